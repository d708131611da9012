"""The `scalegate audit` commands through the real CLI: exit codes, one line per problem, one JSON
document."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalegate.actor import Actor
from scalegate.cli.app import app
from scalegate.clock import FixedClock
from scalegate.governance.users import add_user
from scalegate.workspace import Workspace, init_workspace
from tests.audit.conftest import append_events, body_of, sql
from tests.conftest import MINIMAL_POLICY
from tests.support.sql import counting_everywhere

runner = CliRunner()


@pytest.fixture
def ws(sqlite_url: str, clock: FixedClock) -> Iterator[Workspace]:
    """A SQLite workspace with an admin and an RSO (`rita`)."""
    workspace = init_workspace(sqlite_url, str(MINIMAL_POLICY), clock=clock)
    add_user(workspace, Actor(name="root"), "root", admin=True)
    from scalegate.governance.identity import resolve_actor

    add_user(workspace, resolve_actor(workspace, "root"), "rita", roles=["rso"])
    try:
        yield workspace
    finally:
        workspace.close()


def run(ws: Workspace, *args: str, user: str | None = None) -> tuple[int, str]:
    prefix = ["--db", ws.url, *(["--as", user] if user else [])]
    result = runner.invoke(app, [*prefix, "audit", *args])
    return result.exit_code, result.output


def test_verify_exits_zero_and_signs_a_checkpoint(ws: Workspace) -> None:
    code, out = run(ws, "verify")
    assert code == 0, out
    last = out.strip().splitlines()[-1]
    assert last.startswith("ok: 3 entries") and "signed checkpoint 1" in last
    assert "  settings: covered (row digests in log entries), 2 rows: ok" in out.splitlines()
    assert any(line.startswith("  gate_verdicts: cache (") for line in out.splitlines())
    code, out = run(ws, "verify", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["ok"] and doc["checkpoints_checked"] == 1 and doc["problems"] == []


def test_verify_exits_one_with_a_line_per_problem(ws: Workspace) -> None:
    append_events(ws, 3)
    for seq in (3, 5):
        sql(
            ws,
            "UPDATE audit_entries SET body = :b WHERE seq = :s",
            b=body_of(ws, seq).replace('"n":', '"m":'),
            s=seq,
        )
    code, out = run(ws, "verify")
    lines = out.strip().splitlines()
    assert code == 1
    assert lines[:2] == [
        "entry 3: leaf_hash_mismatch: the body does not hash to the stored leaf hash (body or hash altered)",
        "entry 5: leaf_hash_mismatch: the body does not hash to the stored leaf hash (body or hash altered)",
    ]
    assert lines[-1].startswith("FAILED: 2 problems")
    code, out = run(ws, "verify", "--json", "--deep")
    assert code == 1 and [p["seq"] for p in json.loads(out)["problems"]] == [3, 5]


def test_log_lists_newest_first_for_those_who_may_read(ws: Workspace) -> None:
    append_events(ws, 4)
    code, out = run(ws, "log", "--json", "--limit", "2", user="rita")
    assert code == 0, out
    entries = json.loads(out)["entries"]
    assert [e["subject"] for e in entries] == ["item:3", "item:2"]
    code, out = run(ws, "log", "--json", "--subject", "item:1", user="rita")
    assert [e["data"] for e in json.loads(out)["entries"]] == [{"n": 1}]
    code, out = run(ws, "log", "--json")
    assert code == 2 and "may not audit.read" in out


def test_log_pages_through_the_store_with_before(ws: Workspace) -> None:
    """Every entry is reached by following ``next_before``, each once, newest first; a page reads
    ``--limit`` rows with a LIMIT in SQL (not the whole log); without ``--json``, a note gives the next
    page."""
    append_events(ws, 7)
    with counting_everywhere() as statements:
        code, out = run(ws, "log", "--json", "--limit", "3", "--subject", "item:9", user="rita")
    assert code == 0 and json.loads(out) == {"entries": [], "total": 0, "next_before": None}
    assert any(" LIMIT " in s.upper() for s in statements)
    seen: list[int] = []
    args = ["log", "--json", "--limit", "3"]
    while True:
        code, out = run(ws, *args, user="rita")
        assert code == 0, out
        document = json.loads(out)
        page = [e["seq"] for e in document["entries"]]
        assert 0 < len(page) <= 3
        seen += page
        if document["next_before"] is None:
            break
        args = ["log", "--json", "--limit", "3", "--before", str(document["next_before"])]
    code, out = run(ws, "log", "--json", "--limit", "1000", user="rita")
    whole = [e["seq"] for e in json.loads(out)["entries"]]
    assert seen == whole and len(whole) >= 10 and json.loads(out)["total"] == len(whole)
    human = runner.invoke(app, ["--db", ws.url, "--as", "rita", "audit", "log", "--limit", "3"])
    assert human.exit_code == 0 and re.search(
        r"^note: 3 of \d+ entries; next page: --before \d+$", human.stderr
    )


def test_checkpoint_needs_the_role_the_policy_names(ws: Workspace) -> None:
    code, out = run(ws, "checkpoint")
    assert code == 2 and "may not audit.checkpoint" in out
    code, out = run(ws, "checkpoint", "--json", user="rita")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["created_by"] == "user:rita" and doc["text"].startswith("scalegate-audit-checkpoint/v3\n")


def test_proof_and_consistency(ws: Workspace) -> None:
    append_events(ws, 5)
    run(ws, "checkpoint", user="rita")
    code, out = run(ws, "proof", "2", "--json", user="rita")
    doc = json.loads(out)
    assert (
        code == 0
        and doc["verified"]
        and doc["checkpoint"] is not None
        and doc["root"] == doc["checkpoint"]["root"]
    )
    code, out = run(ws, "proof", "1", "--size", "4", user="rita")
    assert code == 0 and "entry 1 in tree of 4: verified" in out
    code, out = run(ws, "consistency", "3", "--json")
    assert code == 0 and json.loads(out)["verified"]
    code, out = run(ws, "consistency", "3", "5")
    assert code == 0 and "tree 3 -> tree 5: verified" in out
    code, out = run(ws, "proof", "99", user="rita")
    assert code == 2 and out.startswith("error: seq: entry 99 is not in a tree")


def test_export_then_offline_verification(ws: Workspace, tmp_path: Path) -> None:
    append_events(ws, 2)
    code, out = run(ws, "export", str(tmp_path / "bundle"), user="rita")
    assert code == 0, out
    assert "verify with: python" in out
    code, out = run(ws, "keys", "public")
    assert code == 0 and out.startswith("-----BEGIN PUBLIC KEY-----")
    (tmp_path / "key.pem").write_text(out)
    from scalegate.audit import offline

    assert offline.main([str(tmp_path / "bundle"), "--public-key", str(tmp_path / "key.pem")]) == 0
    code, out = run(ws, "export", str(tmp_path / "bundle"), user="rita")
    assert code == 2 and "not empty" in out


def test_keys_rotate_and_list(ws: Workspace) -> None:
    code, out = run(ws, "keys", "rotate", "--json", user="rita")
    assert code == 0, out
    first = json.loads(out)
    assert first["retired"] is None and first["handover_checkpoint"] is None
    code, out = run(ws, "keys", "rotate", "--json", user="rita")
    second = json.loads(out)
    assert second["retired"]["key_id"] == first["active"]["key_id"]
    assert second["handover_checkpoint"]["key_id"] == first["active"]["key_id"]
    code, out = run(ws, "keys", "list", "--json")
    keys = json.loads(out)["keys"]
    assert code == 0 and [k["active"] for k in keys] == [False, True]
    code, out = run(ws, "verify")
    assert code == 0, out
    code, out = run(ws, "keys", "rotate")
    assert code == 2 and "may not audit.checkpoint" in out


def test_verify_rehashes_stored_files_unless_told_not_to(ws: Workspace) -> None:
    from scalegate.actor import SYSTEM
    from scalegate.evidence.blobs import put_bytes

    with ws.transaction() as session:
        sha = put_bytes(session, b"an evaluation log\n" * 1000, ws.now())
        ws.record(session, SYSTEM, "test.file_stored", f"blob:{sha}", {})
    code, out = run(ws, "verify", "--no-checkpoint", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["files_checked"] == 1 and doc["blob_bytes"] == 18000
    sql(ws, "UPDATE evidence_blob_chunks SET data = :d", d=b"An evaluation log\n" * 1000)
    code, out = run(ws, "verify", "--no-checkpoint")
    assert code == 1
    assert (
        f'evidence_blob_chunks["{sha}"]: blob_mismatch: the stored bytes do not hash to the file\'s SHA-256: '
        "altered outside scalegate" in out.splitlines()
    )
    code, out = run(ws, "verify", "--no-checkpoint", "--no-blobs")
    assert code == 0, out
    assert "  evidence_blob_chunks: covered (not re-hashed (--no-blobs)): ok" in out.splitlines()
