"""The reviewer bundle: everything an external reviewer needs, verifiable with nothing but the bundle.

Layout (a directory, or the same inside a zip)::

    MANIFEST.json           format, subject, policy, audit tree head, and every file with its SHA-256 and role
    README.md               what is here and how to verify it
    verify_bundle.py        the bundle verifier (standard library only)
    public-key.pem          the audit log's active public key (for convenience; trust the organisation's copy)
    policy.json             the active policy, canonical JSON: its SHA-256 is the policy's content hash
    reports/                Capability Report, Safeguards Reports of the required standards, compliance review
    safety-cases/           inability and control cases (JSON) and their diagrams (SVG)
    evidence/<sha256>       the evidence files the reports cite, as the redaction rules allow
    audit/                  the audit-log export (entries, signed checkpoints, keys) and verify_offline.py

Order matters: reports and safety cases are generated first, each recorded in the audit log by hash; then the
list of every file (but the log slice) is recorded (``bundle.contents``); then the log is exported with a
freshly signed checkpoint covering those entries; so ``verify_bundle.py`` can prove every file is the one the
log recorded, even if a file and its manifest line were both replaced, and that no file was removed with its
manifest line. The export itself is recorded last (``bundle.exported`` with the manifest's SHA-256).

A ``public`` bundle carries the public summary instead of the full reports, evidence files only when
``redaction.hide_evidence_files`` is false (never those of ``hide_indicator_ids``), and no audit entries (they
carry values the summary withholds); its files are checked against the manifest only.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from scalegate.actor import Actor
from scalegate.errors import ConflictError, InputError, NotFoundError
from scalegate.evidence.service import blob_bytes
from scalegate.governance.audit_access import export_log
from scalegate.governance.permissions import require
from scalegate.reports.bundle_verify import BUNDLE_FORMAT, MANIFEST
from scalegate.reports.capability import capability_report
from scalegate.reports.compliance import compliance_report
from scalegate.reports.document import lookup
from scalegate.reports.public import public_summary
from scalegate.reports.safeguards import safeguards_report
from scalegate.reports.safety_case.service import cases_for, record_case_entry, render_case, validate
from scalegate.reports.service import _record as record_report
from scalegate.reports.service import render_files

if TYPE_CHECKING:
    from scalegate.context import ActivePolicy
    from scalegate.policy.schema import Redaction
    from scalegate.reports.document import Report
    from scalegate.workspace import Workspace

__all__ = ["Audience", "BundleResult", "BundleResultDocument", "Withheld", "export_bundle"]

Audience = Literal["reviewer", "public"]
"""Who the bundle is for: external reviewers (everything the record holds) or the public (redacted)."""


class Withheld(TypedDict):
    """A file a bundle leaves out, and why."""

    sha256: str
    label: str
    why: str


class BundleResultDocument(TypedDict):
    """What an export wrote, as JSON."""

    path: str
    manifest_sha256: str
    files: int
    audience: str
    withheld: list[Withheld]
    notes: list[str]


@dataclass
class BundleResult:
    """What was exported and where."""

    path: Path
    manifest_sha256: str
    files: int
    audience: str
    withheld: list[Withheld] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> BundleResultDocument:
        return {
            "path": str(self.path),
            "manifest_sha256": self.manifest_sha256,
            "files": self.files,
            "audience": self.audience,
            "withheld": self.withheld,
            "notes": self.notes,
        }


class _Staging:
    """Files gathered into the bundle, with their manifest roles."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.roles: dict[str, tuple[str, str]] = {}
        self.withheld: list[Withheld] = []
        self.notes: list[str] = []
        self.audit: dict[str, Any] | None = None

    def add(self, rel: str, data: bytes, role: str, label: str = "") -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.roles[rel] = (role, label)

    def adopt(self, rel: str, role: str, label: str = "") -> None:
        self.roles[rel] = (role, label)


def export_bundle(
    workspace: Workspace,
    target: str | Path,
    *,
    actor: Actor,
    ref: str | None = None,
    audience: Audience = "reviewer",
    period: tuple[date, date] | None = None,
) -> BundleResult:
    """Write the bundle to ``target`` (a new directory, or a path ending in ``.zip``).

    The bundle gathers reports, cases and the log slice, each read or recorded in a unit of work of its own;
    the permission is checked in a reading context first, and the policy that context sees is the one the
    bundle ships (``policy.json``), redacts by and names in its manifest, so all three agree."""
    with workspace.reading() as ctx:
        require(actor, "report.export", ctx.policy)
        active = ctx.active
    out = Path(target)
    as_zip = out.suffix.lower() == ".zip"
    if out.exists() and (as_zip or not out.is_dir() or any(out.iterdir())):
        raise ConflictError("bundle target exists and is not an empty directory", where=str(out))
    if audience not in ("reviewer", "public"):
        raise InputError(f"unknown audience {audience!r}; expected reviewer or public", where="audience")
    with tempfile.TemporaryDirectory(prefix=".bundle-", dir=_parent(out)) as tmp:
        stage = _Staging(Path(tmp) / "bundle")
        stage.root.mkdir()
        _gather(workspace, stage, active, actor=actor, ref=ref, audience=audience, period=period)
        manifest_sha = _finish(workspace, stage, active, ref=ref, audience=audience)
        if as_zip:
            _zip(stage.root, out)
        else:
            if out.exists():
                out.rmdir()
            shutil.move(str(stage.root), out)
    _record(workspace, actor, out, manifest_sha, audience, ref)
    return BundleResult(out, manifest_sha, len(stage.roles), audience, stage.withheld, stage.notes)


def _parent(out: Path) -> Path:
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    return parent


def _gather(
    workspace: Workspace,
    stage: _Staging,
    active: ActivePolicy,
    *,
    actor: Actor,
    ref: str | None,
    audience: Audience,
    period: tuple[date, date] | None,
) -> None:
    policy_doc = active.policy.model_dump(mode="json")
    stage.add(
        "policy.json",
        json.dumps(policy_doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8"),
        "policy",
        active.policy.id,
    )
    reports = _reports(workspace, ref, audience, actor, period)
    for report in reports:
        _add_report(workspace, stage, report, actor, audience)
    if ref is not None and audience == "reviewer":
        _add_cases(workspace, stage, ref, actor)
    _add_evidence(workspace, stage, reports, audience, active.policy.redaction)
    stage.add("verify_bundle.py", Path(__file__).with_name("bundle_verify.py").read_bytes(), "verifier")
    stage.add("README.md", _readme(ref, audience).encode("utf-8"), "readme")
    if audience == "reviewer":
        _record_contents(workspace, stage, actor)
        _add_audit(workspace, stage, actor)
    else:
        stage.notes.append(
            "public bundle: the audit-log entries are withheld; files are verified against the manifest only"
        )


def _record_contents(workspace: Workspace, stage: _Staging, actor: Actor) -> None:
    """Bind the bundle's contents to the log before the log is exported: every file but the log slice
    itself, by path and SHA-256, in a ``bundle.contents`` entry the export's checkpoint covers. Removing a
    report together with its manifest line then fails ``verify_bundle.py``, which compares the two lists."""
    files = [
        {"path": rel, "sha256": hashlib.sha256((stage.root / rel).read_bytes()).hexdigest()}
        for rel in sorted(stage.roles)
    ]
    with workspace.transaction() as session:
        workspace.record(session, actor, "bundle.contents", "bundle", {"files": files})


def _reports(
    workspace: Workspace,
    ref: str | None,
    audience: Audience,
    actor: Actor,
    period: tuple[date, date] | None,
) -> list[Report]:
    if audience == "public":
        if ref is None:
            raise InputError("a public bundle needs a MODEL@CHECKPOINT for its summary", where="ref")
        return [public_summary(workspace, ref)]
    out: list[Report] = []
    if ref is not None:
        capability = capability_report(workspace, ref)
        out.append(capability)
        for kind, level in lookup(capability.data, "assessment/requirements/levels").items():
            out.append(safeguards_report(workspace, kind, level["level"], ref=capability.subject))
    end = period[1] if period else workspace.now().date()
    start = period[0] if period else end - timedelta(days=365)
    out.append(compliance_report(workspace, start, end, actor))
    return out


def _add_report(
    workspace: Workspace, stage: _Staging, report: Report, actor: Actor, audience: Audience
) -> None:
    formats = ("html", "md") if audience == "public" else ("html", "pdf", "md")
    rendered = render_files(report, formats)
    for rel, data, _ in rendered:
        stage.add(f"reports/{rel}", data, "report", f"{report.kind} {report.subject}")
    record_report(workspace, actor, report, rendered)


def _add_cases(workspace: Workspace, stage: _Staging, ref: str, actor: Actor) -> None:
    for case in cases_for(workspace, ref):
        stem = case.id.replace(":", "_").replace("@", "_").replace("/", "_").replace(" ", "_")
        data = case.to_json().encode("utf-8")
        sha = hashlib.sha256(data).hexdigest()
        stage.add(f"safety-cases/{stem}.json", data, "safety_case", case.title)
        with workspace.writing(actor) as ctx:
            record_case_entry(ctx, case, sha)
        svg = render_case(case, validate(workspace, case))
        stage.add(f"safety-cases/{stem}.svg", svg, "diagram", case.title)
        _record_diagram(workspace, actor, case.id, hashlib.sha256(svg).hexdigest())


def _record_diagram(workspace: Workspace, actor: Actor, case_id: str, sha256: str) -> None:
    with workspace.transaction() as session:
        workspace.record(
            session,
            actor,
            "safety_case.rendered",
            f"safety_case:{case_id}",
            {"case": case_id, "format": "svg", "sha256": sha256},
        )


def _add_evidence(
    workspace: Workspace, stage: _Staging, reports: list[Report], audience: Audience, redaction: Redaction
) -> None:
    """The files the reports cite, as the redaction rules allow."""
    if audience == "public" and redaction.hide_evidence_files:
        stage.notes.append("evidence files withheld from the public bundle (redaction.hide_evidence_files)")
        return
    wanted: dict[str, str] = {}
    for report in reports:
        for c in report.provenance.cited:
            if c.kind in ("evidence", "safeguard_evidence"):
                wanted.setdefault(c.sha256, f"{c.kind} #{c.id}")
    with workspace.read() as session:
        for sha, label in sorted(wanted.items()):
            try:
                data = _stored_file(session, sha)
            except NotFoundError:
                stage.withheld.append(
                    {"sha256": sha, "label": label, "why": "not stored as a file (link or record)"}
                )
                continue
            stage.add(f"evidence/{sha}", data, "evidence", label)


def _stored_file(session: Any, sha256: str) -> bytes:
    """An ingested evaluation file or a stored safeguard document, by hash (verified on read)."""
    return blob_bytes(session, sha256)


def _add_audit(workspace: Workspace, stage: _Staging, actor: Actor) -> None:
    result = export_log(workspace, stage.root / "audit", actor)
    stage.notes += result.notes
    for path in sorted((stage.root / "audit").iterdir()):
        stage.adopt(f"audit/{path.name}", "audit" if path.name != "verify_offline.py" else "verifier")
    keys = json.loads((stage.root / "audit" / "keys.json").read_text(encoding="utf-8"))
    active = [k for k in keys if k.get("active")]
    if active:
        stage.add("public-key.pem", active[-1]["public_key_pem"].encode("ascii"), "key", active[-1]["key_id"])
    stage.audit = {
        "size": result.size,
        "root": result.root,
        "checkpoint": result.checkpoint.to_dict() if result.checkpoint else None,
    }


def _finish(
    workspace: Workspace, stage: _Staging, active: ActivePolicy, *, ref: str | None, audience: Audience
) -> str:
    files = []
    for rel, (role, label) in sorted(stage.roles.items()):
        path = stage.root / rel
        files.append(
            {
                "path": rel,
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                "size": path.stat().st_size,
                "role": role,
                "label": label,
            }
        )
    manifest = {
        "format": BUNDLE_FORMAT,
        "created_at": workspace.now().isoformat(),
        "audience": audience,
        "subject": ref,
        "policy": {
            "id": active.policy.id,
            "version": active.policy.framework.version,
            "content_hash": active.content_hash,
        },
        "audit": stage.audit,
        "files": files,
        "withheld": stage.withheld,
        "notes": stage.notes,
    }
    data = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    (stage.root / MANIFEST).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def _readme(ref: str | None, audience: Audience) -> str:
    return (
        f"# scalegate {audience} bundle{f' for {ref}' if ref else ''}\n\n"
        "Verify it with nothing but this directory (Python 3.10+; the audit check needs `cryptography`):\n\n"
        "    python verify_bundle.py . --public-key ORGANISATION-KEY.pem\n\n"
        "Without `--public-key` the bundled `public-key.pem` is used, which proves only that the bundle is\n"
        "internally consistent. `MANIFEST.json` lists every file with its SHA-256; `audit/` holds the\n"
        "audit-log slice, its signed checkpoints and `verify_offline.py`; each report, safety case and\n"
        "evidence file is\n"
        "recorded in that log by its SHA-256.\n"
    )


def _zip(root: Path, out: Path) -> None:
    """A zip with one top-level folder, members in sorted order, fixed timestamps (reproducible)."""
    folder = out.stem
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(
                f"{folder}/{path.relative_to(root).as_posix()}", date_time=(1980, 1, 1, 0, 0, 0)
            )
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    tmp.replace(out)


def _record(
    workspace: Workspace, actor: Actor, out: Path, manifest_sha: str, audience: str, ref: str | None
) -> None:
    with workspace.transaction() as session:
        workspace.record(
            session,
            actor,
            "bundle.exported",
            f"bundle:{out.name}",
            {"manifest_sha256": manifest_sha, "audience": audience, "subject": ref},
        )
