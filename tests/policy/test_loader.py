"""The policy loader: file:line:column errors, unknown keys, semantic checks, and property tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalegate.errors import PolicyError
from scalegate.policy import content_hash, load_policy, load_policy_text
from tests.conftest import MINIMAL_POLICY

TEXT = MINIMAL_POLICY.read_text()
LOCATED = re.compile(r"^<policy>:\d+:\d+: \S")


def test_minimal_policy_loads() -> None:
    policy = load_policy(MINIMAL_POLICY)
    assert policy.threshold("BIO-1").required_safeguards[0].level == "L3"


@pytest.mark.parametrize(
    ("old", "new", "at", "message"),
    [
        (
            "        alert: 0.6",
            "        alert: 0.9",
            "id: bio-mcq",
            "alert 0.9 must not exceed threshold 0.8",
        ),
        (
            "        min_samples: 20",
            "        min_samplez: 20",
            "min_samplez",
            "min_samplez: Extra inputs are not permitted",
        ),
        (
            "      - {kind: deployment, level: L3}",
            "      - {kind: deployment, level: L7}",
            "level: L7",
            "no deployment level 'L7'",
        ),
        (
            "  effective_compute: {ratio: 4.0,",
            "  effective_compute: {ratio: 0.5,",
            "ratio: 0.5",
            "greater than 1",
        ),
        (
            "    signoff_roles: [rso, ceo]\n    notify:",
            "    signoff_roles: [rso, cfo]\n    notify:",
            "cfo",
            "unknown role 'cfo'",
        ),
        ("  - id: AUTO-1", "  - id: BIO-1", None, "duplicate threshold id 'BIO-1'"),
        ("id: test-minimal", "id: test-minimal\nid: again", "id: again", "duplicate key 'id'"),
        ("schema_version: 1", "schema_version: 2", "schema_version: 2", "schema_version: expected 1, got 2"),
    ],
)
def test_errors_name_line_and_field(old: str, new: str, at: str | None, message: str) -> None:
    assert old in TEXT, old
    broken = TEXT.replace(old, new, 1)
    with pytest.raises(PolicyError) as info:
        load_policy_text(broken)
    text = str(info.value)
    assert "\n" not in text
    assert LOCATED.match(text), text
    assert message in text
    if at is not None:
        # The error points at the line of the offending text (or the record that contains it).
        line = int(text.split(":")[1])
        first = next(n for n, row in enumerate(broken.splitlines(), 1) if at in row)
        assert first - 6 <= line <= first, (line, first, text)


def test_higher_direction_alert_rule_is_mirrored_for_lower_direction() -> None:
    lower = TEXT.replace(
        "        metric: accuracy\n", "        metric: accuracy\n        direction: lower_is_more_capable\n"
    )
    with pytest.raises(
        PolicyError, match=r"alert 0\.6 must not be below threshold 0\.8 when lower is more capable"
    ):
        load_policy_text(lower)
    fixed = lower.replace("threshold: 0.8\n        alert: 0.6", "threshold: 0.6\n        alert: 0.8")
    assert load_policy_text(fixed).indicators()[0][1].alert == 0.8


def test_syntax_error_is_located(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("schema_version: 1\nid: [unterminated\n")
    with pytest.raises(PolicyError, match=rf"^{re.escape(str(broken))}:\d+:\d+: YAML syntax"):
        load_policy(broken)


def test_content_hash_ignores_formatting_but_not_meaning() -> None:
    base = load_policy_text(TEXT)
    reformatted = load_policy_text(
        "# a comment\n" + TEXT.replace("title: Minimal test policy", "title: 'Minimal test policy'")
    )
    changed = load_policy_text(TEXT.replace("alert: 0.6", "alert: 0.55"))
    assert content_hash(base) == content_hash(reformatted)
    assert content_hash(base) != content_hash(changed)


# -- property tests ------------------------------------------------------------------------------------------

_DATA = yaml.safe_load(TEXT)
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True), st.text(max_size=8)
)


def _paths(node: object, prefix: tuple = ()) -> list[tuple]:  # type: ignore[type-arg]
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


PATHS = [p for p in _paths(_DATA) if p]


def _mutate(data: object, path: tuple, value: object, delete: bool) -> object:  # type: ignore[type-arg]
    import copy

    root = copy.deepcopy(data)
    parent = root
    for part in path[:-1]:
        parent = parent[part]  # type: ignore[index]
    if delete:
        del parent[path[-1]]  # type: ignore[attr-defined]
    else:
        parent[path[-1]] = value  # type: ignore[index]
    return root


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), _scalars, st.booleans())
def test_mutated_policies_never_crash_and_validate_only_when_valid(
    path: tuple, value: object, delete: bool
) -> None:  # type: ignore[type-arg]
    mutated = _mutate(_DATA, path, value, delete)
    text = yaml.safe_dump(mutated, sort_keys=False)
    try:
        policy = load_policy_text(text)
    except PolicyError as exc:
        assert LOCATED.match(str(exc)), str(exc)
        return
    # Anything that validates must round-trip and satisfy the cross-references the engine relies on.
    again = load_policy_text(yaml.safe_dump(policy.model_dump(mode="json"), sort_keys=False))
    assert content_hash(again) == content_hash(policy)
    levels = {(lv.kind, lv.id) for lv in policy.safeguards.levels}
    for threshold in policy.thresholds:
        assert all((r.kind, r.level) in levels for r in threshold.required_safeguards)
        for ind in threshold.indicators:
            if ind.threshold is not None and ind.alert is not None:
                capable_side = (
                    ind.alert <= ind.threshold
                    if ind.direction == "higher_is_more_capable"
                    else ind.alert >= ind.threshold
                )
                assert capable_side


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_random_text_never_crashes_the_loader(text: str) -> None:
    try:
        load_policy_text(text)
    except PolicyError as exc:
        assert LOCATED.match(str(exc)) or str(exc).startswith("<policy>"), str(exc)


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(st.integers(0, len(TEXT) - 1), st.integers(1, 40))
def test_truncated_policies_fail_cleanly(start: int, length: int) -> None:
    broken = TEXT[:start] + TEXT[start + length :]
    try:
        load_policy_text(broken)
    except PolicyError as exc:
        assert "\n" not in str(exc)
