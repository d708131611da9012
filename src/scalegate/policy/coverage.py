"""The coverage matrix: for each framework and concept, what its policy file says and the clauses it cites.

Every cell is read from the policy's own rules, never from a table kept here: change the file and the matrix
changes. Where the rules cannot show what the text does (a stand-in signer for a text that names none, a
notice the schema has no place for), the policy's ``coverage`` notes say it
(``scalegate.policy.coverage_notes``). A concept the file has nothing for is ``not_addressed``.

The only vocabulary kept here is how a threshold's free-text ``domain`` falls into the matrix's domain rows
(``DOMAIN_PATTERNS``): a domain naming biology, chemistry or CBRN counts as CBRN, and so on. ``docs/policy-
format.md`` ("Coverage matrix") says what each row is derived from.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from scalegate.errors import InputError
from scalegate.policy._base import Source
from scalegate.policy.builtin import builtin_ids, load_builtin
from scalegate.policy.coverage_notes import CoverageConcept, CoverageNote, CoverageStatus
from scalegate.policy.loader import load_policy
from scalegate.policy.schema import Policy
from scalegate.policy.thresholds import Threshold

__all__ = [
    "CLAUSE_SEPARATOR",
    "CONCEPTS",
    "CSV_HEADER",
    "DOMAIN_PATTERNS",
    "Cell",
    "Column",
    "ConceptRow",
    "CoverageMatrix",
    "coverage_matrix",
    "select_policies",
    "to_csv",
]


@dataclass(frozen=True)
class ConceptRow:
    """One row of the matrix: a concept and what it is derived from."""

    id: CoverageConcept
    label: str
    derived_from: str


@dataclass(frozen=True)
class Cell:
    """What one policy says about one concept: a short value and the clauses (citations) it rests on."""

    concept: CoverageConcept
    status: CoverageStatus
    value: str
    clauses: tuple[str, ...]


@dataclass(frozen=True)
class Column:
    """One policy's cells, in ``CONCEPTS`` order."""

    policy_id: str
    title: str
    publisher: str
    version: str
    cells: tuple[Cell, ...]

    def cell(self, concept: CoverageConcept) -> Cell:
        """The cell of a concept."""
        return next(c for c in self.cells if c.concept == concept)


@dataclass(frozen=True)
class CoverageMatrix:
    """Frameworks (columns) against concepts (rows)."""

    concepts: tuple[ConceptRow, ...]
    columns: tuple[Column, ...]

    def column(self, policy_id: str) -> Column:
        """The column of a policy; raises KeyError if absent."""
        for column in self.columns:
            if column.policy_id == policy_id:
                return column
        raise KeyError(policy_id)


CONCEPTS: Final[tuple[ConceptRow, ...]] = (
    ConceptRow(
        "thresholds_cbrn", "Thresholds: CBRN / bio", "thresholds whose domain names CBRN, bio, chem, nuclear"
    ),
    ConceptRow("thresholds_cyber", "Thresholds: cyber", "thresholds whose domain names cyber"),
    ConceptRow(
        "thresholds_autonomy",
        "Thresholds: autonomy / AI R&D",
        "thresholds whose domain names autonomy or R&D",
    ),
    ConceptRow("thresholds_other", "Thresholds: other domains", "thresholds of any other domain"),
    ConceptRow(
        "threshold_scale", "Threshold scale", "coverage.threshold_scale; else the number of thresholds"
    ),
    ConceptRow("triggers", "Triggers and cadences", "triggers; obligations.documents[].cadence"),
    ConceptRow("safeguard_levels", "Safeguard / security levels", "safeguards.levels by kind"),
    ConceptRow("decision_makers", "Decision-makers", "decisions[].signoff_roles (policy changes aside)"),
    ConceptRow(
        "notifications",
        "Notifications",
        "decisions[].notify, interim_measures.notify, government_notice, noncompliance, documents' notify",
    ),
    ConceptRow("disclosure", "Disclosure", "redaction.source, publication cadences, documents' disclosure"),
    ConceptRow(
        "external_review", "External review", "obligations.reviews, third-party cadences, cited reviewers"
    ),
    ConceptRow("noncompliance", "Noncompliance", "governance.noncompliance"),
    ConceptRow("policy_change", "Policy changes", "governance.change_control"),
)
"""The rows, in display order."""

CSV_HEADER: Final = ("policy_id", "concept", "status", "value", "clauses")
"""Columns of the CSV export: one line per (policy, concept)."""

CLAUSE_SEPARATOR: Final = " | "
"""Between a cell's clauses in the CSV export (a section may itself hold `; `: `2.1.2 (2); 3.1.2 (2)`)."""

DOMAIN_PATTERNS: Final[dict[CoverageConcept, re.Pattern[str]]] = {
    "thresholds_cbrn": re.compile(r"cbrn|bio|chemical|nuclear|radiolog", re.IGNORECASE),
    "thresholds_cyber": re.compile(r"cyber", re.IGNORECASE),
    "thresholds_autonomy": re.compile(r"autonom|r&d|self-improvement|replication", re.IGNORECASE),
    "thresholds_other": re.compile(
        r"misalign|manipulat|persuasion|sabotage|loss of control|sandbag|decepti|undermining", re.IGNORECASE
    ),
}
"""How a threshold's ``domain`` (or, when the domain names none of these, its ``name``) falls into the domain
rows; a threshold matching no pattern counts among the other domains. When the domain matches several rows
and the name matches some of them, the name decides (GDM's `Cyber` domain holds `Cyber autonomy level 1`)."""

_DOMAIN_ROWS: Final = tuple(DOMAIN_PATTERNS)


MAX_SELECTION: Final = 100
"""Most policies one matrix may set side by side."""


def select_policies(spec: str, *, allow_files: bool = False) -> list[Policy]:
    """The policies ``spec`` names: `all` (every built-in, in id order) or comma-separated built-in ids, and,
    when ``allow_files`` (the CLI, never the API, which must not read the server's files), policy files.

    Raises ``InputError`` (``where="policies"``) naming the first entry that is neither."""
    names = list(dict.fromkeys(n.strip() for n in spec.split(",") if n.strip()))
    if not names:
        raise InputError("name `all` or at least one policy id", where="policies")
    if len(names) > MAX_SELECTION:
        raise InputError(f"{len(names)} policies named; at most {MAX_SELECTION}", where="policies")
    if names == ["all"]:
        return [load_builtin(i) for i in builtin_ids()]
    if "all" in names:
        raise InputError("`all` stands alone; name either `all` or policy ids", where="policies")
    known = builtin_ids()
    chosen: list[Policy] = []
    for name in names:
        if name in known:
            chosen.append(load_builtin(name))
        elif allow_files and Path(name).is_file():
            chosen.append(load_policy(name))
        else:
            shown = name if len(name) <= 80 else f"{name[:60]}... ({len(name)} characters)"
            raise InputError(
                f"{shown!r} is not a built-in policy (see `scalegate policy list`)"
                + ("" if not allow_files else " nor a policy file"),
                where="policies",
            )
    return chosen


def coverage_matrix(policies: Iterable[Policy]) -> CoverageMatrix:
    """The matrix of ``policies`` (columns in the order given) against every concept."""
    return CoverageMatrix(CONCEPTS, tuple(_column(p) for p in policies))


def to_csv(matrix: CoverageMatrix) -> str:
    """The matrix as CSV, one line per (policy, concept); clauses joined by ``CLAUSE_SEPARATOR``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for column in matrix.columns:
        for cell in column.cells:
            writer.writerow(
                [column.policy_id, cell.concept, cell.status, cell.value, CLAUSE_SEPARATOR.join(cell.clauses)]
            )
    return out.getvalue()


# -- one column ----------------------------------------------------------------------------------------------


def _column(policy: Policy) -> Column:
    notes = policy.coverage.notes if policy.coverage else []
    cells = tuple(_cell(policy, row.id, [n for n in notes if n.concept == row.id]) for row in CONCEPTS)
    fw = policy.framework
    return Column(policy.id, policy.title, fw.publisher, fw.version, cells)


def _cell(policy: Policy, concept: CoverageConcept, notes: list[CoverageNote]) -> Cell:
    """The derived cell, unless a note says the text does not address the concept or leaves it to the lab."""
    overriding = [n for n in notes if n.status != "stated"]
    if overriding:
        left = any(n.status == "left_to_lab" for n in overriding)
        status: CoverageStatus = "left_to_lab" if left else "not_addressed"
        return Cell(
            concept, status, "; ".join(n.text for n in overriding), _cites(n.source for n in overriding)
        )
    parts = DERIVATIONS[concept](policy)
    parts += [_Part(n.text, (n.source,)) for n in notes]
    if not parts:
        return Cell(concept, "not_addressed", "not addressed", ())
    return Cell(
        concept,
        "stated",
        "; ".join(p.text for p in parts),
        _cites(s for p in parts for s in p.sources),
    )


@dataclass(frozen=True)
class _Part:
    """One statement of a cell and the sources behind it."""

    text: str
    sources: tuple[Source | None, ...]


def _cites(sources: Iterable[Source | None]) -> tuple[str, ...]:
    """Distinct citations in first-seen order."""
    return tuple(dict.fromkeys(s.cite() for s in sources if s is not None))


def _titles(policy: Policy, role_ids: Iterable[str]) -> str:
    titles = {r.id: r.title for r in policy.governance.roles}
    return ", ".join(titles.get(r, r) for r in role_ids)


def _words(value: str) -> str:
    return value.replace("_", " ")


# -- thresholds ----------------------------------------------------------------------------------------------


def _rows_of(threshold: Threshold) -> set[CoverageConcept]:
    by_domain = {r for r in _DOMAIN_ROWS if DOMAIN_PATTERNS[r].search(threshold.domain)}
    by_name = {r for r in _DOMAIN_ROWS if DOMAIN_PATTERNS[r].search(threshold.name)}
    if not by_domain:
        return by_name or {"thresholds_other"}
    if len(by_domain) > 1 and by_name & by_domain:
        return by_name & by_domain
    return by_domain


def _thresholds_in(row: CoverageConcept) -> Callable[[Policy], list[_Part]]:
    def derive(policy: Policy) -> list[_Part]:
        found = [t for t in policy.thresholds if row in _rows_of(t)]
        if not found:
            return []
        names = ", ".join(t.id + ("" if t.status == "active" else f" ({_words(t.status)})") for t in found)
        return [_Part(f"{len(found)}: {names}", tuple(t.source for t in found))]

    return derive


def _threshold_scale(policy: Policy) -> list[_Part]:
    scale = policy.coverage.threshold_scale if policy.coverage else None
    if scale is None:
        return [_Part(f"{len(policy.thresholds)} thresholds, no named scale", ())]
    levels = f": {' / '.join(scale.levels)}" if scale.levels else ""
    return [_Part(f"{scale.term}{levels}", (scale.source,))]


# -- triggers ------------------------------------------------------------------------------------------------


def _triggers(policy: Policy) -> list[_Part]:
    t = policy.triggers
    parts: list[_Part] = []
    if t.effective_compute:
        parts.append(
            _Part(f"{t.effective_compute.ratio:g}x effective compute", (t.effective_compute.source,))
        )
    if t.calendar:
        basis = (
            "of post-training" if t.calendar.basis == "post_training_accumulated" else "since last assessment"
        )
        parts.append(_Part(f"{t.calendar.months} months {basis}", (t.calendar.source,)))
    if t.safety_buffer:
        parts.append(
            _Part(f"{t.safety_buffer.effective_compute_multiple:g}x safety buffer", (t.safety_buffer.source,))
        )
    if t.discretionary:
        parts.append(_Part(f"{_titles(policy, t.discretionary.roles)} discretion", (t.discretionary.source,)))
    if t.events:
        events = ", ".join(dict.fromkeys(_words(e.event) for e in t.events))
        parts.append(_Part(f"events: {events}", tuple(e.source for e in t.events)))
    if t.deadline_days:
        parts.append(_Part(f"conclude within {t.deadline_days} days", (t.deadline_source,)))
    for doc in policy.obligations.documents if policy.obligations else []:
        if doc.cadence:
            low = f"{doc.cadence.min_months}-" if doc.cadence.min_months else "at most "
            parts.append(
                _Part(f"{doc.title} every {low}{doc.cadence.max_months} months", (doc.cadence.source,))
            )
    return parts


# -- safeguards and decisions --------------------------------------------------------------------------------


def _safeguard_levels(policy: Policy) -> list[_Part]:
    parts = []
    for kind in ("deployment", "security"):
        levels = policy.levels_of(kind)
        if levels:
            names = " < ".join(lv.id + ("" if lv.criteria_published else " (unpublished)") for lv in levels)
            parts.append(_Part(f"{kind}: {names}", tuple(lv.source for lv in levels)))
    return parts


def _decision_makers(policy: Policy) -> list[_Part]:
    groups: dict[tuple[str, ...], list[str]] = {}
    sources: dict[tuple[str, ...], list[Source]] = {}
    for d in policy.decisions:
        if d.decision == "policy_change":
            continue
        key = tuple(d.signoff_roles)
        groups.setdefault(key, []).append(_words(d.decision))
        sources.setdefault(key, []).append(d.source)
    if policy.interim_measures:
        key = tuple(policy.interim_measures.approver_roles)
        if "interim measures" not in groups.get(key, []):
            groups.setdefault(key, []).append("interim measures")
            sources.setdefault(key, []).append(policy.interim_measures.source)
    for doc in policy.obligations.documents if policy.obligations else []:
        if doc.approver_roles:
            key = tuple(doc.approver_roles)
            groups.setdefault(key, []).append(f"{doc.title} approval")
            sources.setdefault(key, []).append(doc.source)
    return [
        _Part(f"{_titles(policy, roles)} ({', '.join(what)})", tuple(sources[roles]))
        for roles, what in groups.items()
    ]


# -- notifications -------------------------------------------------------------------------------------------


def _notifications(policy: Policy) -> list[_Part]:
    told: dict[str, list[str]] = {}
    sources: dict[str, list[Source]] = {}

    def add(role: str, what: str, source: Source) -> None:
        if what not in told.setdefault(role, []):
            told[role].append(what)
        sources.setdefault(role, []).append(source)

    for d in policy.decisions:
        for n in d.notify:
            add(_titles(policy, [n.role]), _words(d.decision), n.source)
    if policy.interim_measures:
        for n in policy.interim_measures.notify:
            add(_titles(policy, [n.role]), "interim measures", n.source)
    for doc in policy.obligations.documents if policy.obligations else []:
        for n in doc.notify:
            add(_titles(policy, [n.role]), doc.title, n.source)
    nc = policy.governance.noncompliance
    if nc.material_risk_notify_role:
        add(_titles(policy, [nc.material_risk_notify_role]), "material noncompliance", nc.source)
    for b in policy.governance.briefings:
        add(_titles(policy, [b.role]), "briefings", b.source)
    gov = policy.government_notice
    if gov:
        above = ", ".join(f"{r.kind} > {r.level}" for r in gov.when_required_exceeds)
        add(gov.recipient, f"when required {above}", gov.source)
    return [_Part(f"{who} ({', '.join(what)})", tuple(sources[who])) for who, what in told.items()]


# -- disclosure and review -----------------------------------------------------------------------------------


def _disclosure(policy: Policy) -> list[_Part]:
    parts = []
    if policy.redaction.source:
        parts.append(_Part("publication commitment (public summary)", (policy.redaction.source,)))
    for c in policy.governance.cadences:
        if c.kind == "publication":
            parts.append(_Part(f"{c.title} every {c.interval_months} months", (c.source,)))
    for doc in policy.obligations.documents if policy.obligations else []:
        public = [t for t in doc.disclosure if t.audience == "public"]
        if public:
            versions = ", ".join(dict.fromkeys(_words(t.version) for t in public))
            parts.append(_Part(f"{doc.title} to the public ({versions})", tuple(t.source for t in public)))
    return parts


_REVIEWER_ROLES: Final = ("external_reviewer", "auditor")
"""Workflow roles that stand for outside reviewers; they count only when the file cites a text naming them."""


def _external_review(policy: Policy) -> list[_Part]:
    parts = []
    for r in policy.obligations.reviews if policy.obligations else []:
        parts.append(_Part(f"{r.title} ({r.strength.replace('_', ' ')})", (r.source,)))
    for c in policy.governance.cadences:
        if c.third_party:
            parts.append(_Part(f"{c.title} every {c.interval_months} months", (c.source,)))
    for role in policy.governance.roles:
        if role.id in _REVIEWER_ROLES and role.source is not None:
            parts.append(_Part(role.title, (role.source,)))
    return parts


# -- governance ----------------------------------------------------------------------------------------------


def _noncompliance(policy: Policy) -> list[_Part]:
    nc = policy.governance.noncompliance
    intake = "anonymous reports" if nc.anonymous_intake else "named reports"
    parts = [_Part(f"{intake} to {_titles(policy, [nc.recipient_role])}", (nc.source,))]
    for r in nc.routing:
        parts.append(
            _Part(
                f"about {_titles(policy, [r.concerning_role])}: to {_titles(policy, [r.route_to])}",
                (r.source,),
            )
        )
    if nc.recipient_options:
        parts.append(_Part(f"or to {_titles(policy, nc.recipient_options)}", (nc.source,)))
    if nc.summary_interval_months:
        parts.append(_Part(f"summaries every {nc.summary_interval_months} months", (nc.source,)))
    return parts


def _policy_change(policy: Policy) -> list[_Part]:
    cc = policy.governance.change_control
    text = (
        f"proposed by {_titles(policy, cc.proposer_roles)}; approved by {_titles(policy, cc.approver_roles)}"
    )
    if cc.consulted_roles:
        text += f"; consulting {_titles(policy, cc.consulted_roles)}"
    if cc.publication_before_effect:
        text += "; published before taking effect"
    return [_Part(text, (cc.source,))]


DERIVATIONS: Final[dict[CoverageConcept, Callable[[Policy], list[_Part]]]] = {
    "thresholds_cbrn": _thresholds_in("thresholds_cbrn"),
    "thresholds_cyber": _thresholds_in("thresholds_cyber"),
    "thresholds_autonomy": _thresholds_in("thresholds_autonomy"),
    "thresholds_other": _thresholds_in("thresholds_other"),
    "threshold_scale": _threshold_scale,
    "triggers": _triggers,
    "safeguard_levels": _safeguard_levels,
    "decision_makers": _decision_makers,
    "notifications": _notifications,
    "disclosure": _disclosure,
    "external_review": _external_review,
    "noncompliance": _noncompliance,
    "policy_change": _policy_change,
}
"""How each concept is read from a policy."""
