"""Audit entries about a noncompliance report that concerns the RSO are sealed: the RSO (and any other role
the policy does not name for it) sees only their place in the log and the hash commitment; the Board sees
them whole; `audit verify` still verifies every body."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from scalegate.actor import Actor
from scalegate.audit import offline
from scalegate.audit.keys import list_keys
from scalegate.audit.verify import verify
from scalegate.canonical import leaf_hash
from scalegate.clock import FixedClock
from scalegate.errors import PermissionDenied
from scalegate.governance import audit_access, noncompliance
from scalegate.governance.notifications import InMemoryNotifier
from scalegate.store.models.audit import AuditEntryRow
from scalegate.workspace import Workspace


@dataclass(frozen=True)
class Reports:
    about_rso: int
    about_ceo: int


@pytest.fixture
def reports(workspace: Workspace, people: dict[str, Actor]) -> Reports:
    notifier = InMemoryNotifier()
    about_rso = noncompliance.report(
        workspace,
        description="The RSO signed a determination without reading the report.",
        concerning_role="rso",
        material_risk=True,
        notifier=notifier,
    ).id
    noncompliance.transition(workspace, people["bea"], about_rso, "investigating", note="asked the RSO")
    about_ceo = noncompliance.report(
        workspace, description="The CEO skipped a review.", concerning_role="ceo"
    ).id
    noncompliance.transition(workspace, people["rita"], about_ceo, "investigating")
    return Reports(about_rso, about_ceo)


def _about(workspace: Workspace, report_id: int) -> list[int]:
    """Seqs of the entries about a report, read from the store (the test's own view, not a door's)."""
    with workspace.read() as session:
        rows = session.execute(
            select(AuditEntryRow.seq).where(AuditEntryRow.subject == f"noncompliance:{report_id}")
        ).scalars()
        return sorted(rows)


def test_the_rso_sees_entries_about_a_report_on_the_rso_only_as_commitments(
    workspace: Workspace, people: dict[str, Actor], reports: Reports
) -> None:
    sealed_seqs = _about(workspace, reports.about_rso)
    assert len(sealed_seqs) == 3  # received, the Board's notice, the first step
    for reader in ("rita", "carl"):  # the RSO, and the CEO whom the policy does not name either
        shown = {e.seq: e for e in audit_access.recent_entries(workspace, people[reader], limit=500)}
        for seq in sealed_seqs:
            entry = shown[seq]
            assert entry.sealed
            assert (entry.at, entry.event, entry.subject, entry.actor) == (None, "sealed", "sealed", "sealed")
            assert entry.data == {"sealed": True, "commitment": entry.leaf_hash}
        text = json.dumps([e.to_dict() for e in shown.values()])
        assert f"noncompliance:{reports.about_rso}" not in text
        assert "asked the RSO" not in text and "investigating" in text  # the other report is readable
        assert not shown[_about(workspace, reports.about_ceo)[0]].sealed


def test_the_board_reads_them_whole(workspace: Workspace, people: dict[str, Actor], reports: Reports) -> None:
    shown = {e.seq: e for e in audit_access.recent_entries(workspace, people["bea"], limit=500)}
    events = [shown[seq].event for seq in _about(workspace, reports.about_rso)]
    assert events == ["noncompliance.received", "notification.delivered", "noncompliance.transition"]
    assert not any(shown[seq].sealed for seq in _about(workspace, reports.about_rso))


def test_a_filter_never_matches_a_sealed_entry(
    workspace: Workspace, people: dict[str, Actor], reports: Reports
) -> None:
    """Filtering by the report's subject, or by an event, must not reveal how far the report has come."""
    rita, bea = people["rita"], people["bea"]
    subject = f"noncompliance:{reports.about_rso}"
    assert audit_access.recent_entries(workspace, rita, subject=subject) == []
    page = audit_access.entries_page(workspace, rita, subject=subject)
    assert (page.entries, page.total) == ([], 0)
    steps = audit_access.entries_page(workspace, rita, event="noncompliance.transition")
    assert [e.data["report_id"] for e in steps.entries] == [reports.about_ceo]
    assert steps.total == 1
    assert audit_access.entries_page(workspace, bea, subject=subject).total == 3


def test_one_entry_and_its_inclusion_proof_are_sealed_too(
    workspace: Workspace, people: dict[str, Actor], reports: Reports
) -> None:
    seq = _about(workspace, reports.about_rso)[0]
    assert audit_access.entry(workspace, people["rita"], seq).sealed
    proof = audit_access.inclusion_proof(workspace, people["rita"], seq)
    assert proof.body is None and proof.verify()
    opened = audit_access.inclusion_proof(workspace, people["bea"], seq)
    assert opened.body is not None and "noncompliance.received" in opened.body and opened.verify()


def test_the_seal_hides_the_body_and_verify_still_checks_it(
    workspace: Workspace, people: dict[str, Actor], reports: Reports
) -> None:
    seqs = _about(workspace, reports.about_rso)
    with workspace.read() as session:
        rows = {
            r.seq: r
            for r in session.execute(select(AuditEntryRow).where(AuditEntryRow.seq.in_(seqs))).scalars()
        }
    for seq in seqs:
        body = json.loads(rows[seq].body)
        seal = body["data"]["seal"]
        assert seal["open_to"][0] == "board" and seal["closed_to"] == "rso"
        assert len(bytes.fromhex(seal["nonce"])) == 16  # the commitment cannot be found by trying bodies
        assert bytes(rows[seq].leaf_hash) == leaf_hash(rows[seq].body.encode("utf-8"))
    assert verify(workspace, checkpoint=False).ok
    # removing the seal behind scalegate's back changes the body the tree committed to
    body = json.loads(rows[seqs[0]].body)
    del body["data"]["seal"]
    unsealed = json.dumps(body, sort_keys=True, separators=(",", ":"))
    with workspace.engine.begin() as connection:
        connection.execute(
            AuditEntryRow.__table__.update().where(AuditEntryRow.seq == seqs[0]).values(body=unsealed)
        )
    assert not verify(workspace, checkpoint=False).ok


def test_reading_the_log_still_needs_audit_read(workspace: Workspace, people: dict[str, Actor]) -> None:
    with pytest.raises(PermissionDenied):
        audit_access.entries_page(workspace, people["sam"])


def test_an_export_carries_sealed_entries_as_leaf_hashes_and_still_verifies_offline(
    workspace: Workspace, people: dict[str, Actor], reports: Reports, tmp_path: Path
) -> None:
    """The RSO may export the log for verification, but not read the sealed entries through the export; the
    verifier that ships with it still checks every root, counting the sealed leaves."""
    sealed = _about(workspace, reports.about_rso)
    key = tmp_path / "trusted.pem"
    for reader, expected in (("rita", len(sealed)), ("bea", 0)):
        target = tmp_path / reader
        audit_access.export_log(workspace, target, people[reader])  # signs a checkpoint first
        key.write_text(list_keys(workspace)[-1].pem)
        lines = (target / "entries.jsonl").read_text().splitlines()
        as_sealed = [i for i, line in enumerate(lines) if line.startswith('{"sealed":')]
        assert as_sealed == (sealed if expected else [])
        assert (f"noncompliance:{reports.about_rso}" in "\n".join(lines)) is (expected == 0)
        report = offline.verify_export(target, [offline.load_public_key(key)])
        assert report.ok, report.problems
        assert report.sealed == expected
        assert report.to_dict()["sealed_entries"] == expected
    # a sealed line cannot stand in for a different leaf: the roots no longer match the signed checkpoint
    lines = (tmp_path / "rita" / "entries.jsonl").read_text().splitlines()
    lines[sealed[0]] = json.dumps({"sealed": "00" * 32, "seq": sealed[0]}, separators=(",", ":"))
    (tmp_path / "rita" / "entries.jsonl").write_text("\n".join(lines) + "\n")
    forged = offline.verify_export(tmp_path / "rita", [offline.load_public_key(key)])
    assert not forged.ok


def test_the_cli_shows_the_rso_sealed_entries_and_proofs_without_bodies(
    workspace: Workspace, people: dict[str, Actor], reports: Reports
) -> None:
    from typer.testing import CliRunner

    from scalegate.cli.app import app

    def cli(*args: str) -> dict[str, object]:
        result = CliRunner().invoke(app, ["--db", workspace.url, "--as", "rita", "audit", *args, "--json"])
        assert result.exit_code == 0, result.output
        parsed = json.loads(result.stdout)
        assert isinstance(parsed, dict)
        return parsed

    seq = _about(workspace, reports.about_rso)[0]
    listed = cli("log", "--limit", "500")
    entries = listed["entries"]
    assert isinstance(entries, list)
    shown = {e["seq"]: e for e in entries}
    assert shown[seq]["sealed"] is True and shown[seq]["at"] is None
    assert f"noncompliance:{reports.about_rso}" not in json.dumps(listed)
    proof = cli("proof", str(seq))
    assert proof["body"] is None and proof["verified"] is True
    refused = CliRunner().invoke(app, ["--db", workspace.url, "--as", "sam", "audit", "proof", str(seq)])
    assert refused.exit_code == 2  # staff may not read the log at all


def test_the_calendar_hides_a_report_on_the_rso_from_the_rso(
    workspace: Workspace, people: dict[str, Actor], clock: FixedClock
) -> None:
    """A material-risk report about the RSO, its notice not yet sent: the Board's calendar names it, and once
    overdue its finding; the RSO's calendar and findings say nothing of it (its number included)."""
    import re
    from datetime import timedelta

    from scalegate.governance.compliance import compliance_status, list_findings
    from scalegate.jsonable import to_jsonable

    rid = noncompliance.report(
        workspace, description="The RSO ignored a trigger.", concerning_role="rso", material_risk=True
    ).id
    clock.advance(timedelta(days=3))  # past "promptly": the notice is overdue and becomes a finding
    subject = f"noncompliance:{rid}"
    board = compliance_status(workspace, people["bea"])
    assert [i.status for i in board.items if i.subject == subject] == ["overdue"]
    assert any(f.subject.startswith(subject + ":") for f in board.findings)
    for rso in (people["rita"], people["otto"]):
        shown = json.dumps(to_jsonable(compliance_status(workspace, rso)))
        assert not re.search(rf"noncompliance:{rid}\b|report #{rid}\b", shown), shown
        assert not any(f.subject.startswith(subject) for f in list_findings(workspace, rso))
