"""``scalegate report ...``, ``scalegate safety-case ...`` and ``scalegate export ...``: documents from the
record.

The commands parse and print; ``scalegate.reports`` builds, renders, records and exports.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import typer

from scalegate.cli._context import actor_of, workspace_of
from scalegate.cli._output import as_dict, command, console, fail

if TYPE_CHECKING:
    from scalegate.cli._documents import BuiltCase, CisoLibrary, RenderedCase, WrittenReport

report_app = typer.Typer(help="Generate reports from the record (HTML, PDF, Markdown).", no_args_is_help=True)
case_app = typer.Typer(help="Build, validate and draw GSN safety cases.", no_args_is_help=True)
export_app = typer.Typer(
    help="Export bundles and libraries for reviewers and GRC tools.", no_args_is_help=True
)

FORMAT_HELP = "Output format: html, pdf or md (repeatable)."
OUT_HELP = "Output directory, or a file name whose suffix (.html, .pdf, .md) gives the format."
INVALID_EXIT = 3
"""Exit status of `safety-case validate` for an invalid or stale case (0 valid, 2 bad input)."""


# -- reports -------------------------------------------------------------------------------------------------


def _target(out: Path, formats: list[str]) -> tuple[Path, list[str], str | None]:
    """(directory, formats, file stem) from ``--out``: a file name fixes the format and the name."""
    if out.suffix.lower() in (".html", ".pdf", ".md"):
        fmt = out.suffix.lower().lstrip(".")
        if formats and formats != [fmt]:
            fail(f"--out {out} names a .{fmt} file but --format asks for {', '.join(formats)}")
        return out.parent, [fmt], out.stem
    return out, formats or ["html", "pdf"], None


def _write(ctx: typer.Context, build: Any, out: Path, formats: list[str]) -> WrittenReport:
    """Build a report, write it in each format and record it; returns what was written."""
    from scalegate.reports.service import describe, write_report

    directory, fmts, stem = _target(out, formats)
    workspace = workspace_of(ctx)
    report = build(workspace)
    if stem:
        report.name = stem
    paths = write_report(workspace, report, directory, fmts, actor_of(ctx))
    return {
        "kind": report.kind,
        "subject": report.subject,
        "data_sha256": report.provenance.data_sha256,
        "files": describe(paths),
    }


def _print_written(written: WrittenReport) -> None:
    out_console = console()
    for fmt, info in written["files"].items():
        out_console.print(f"wrote {fmt:<5} {info['path']}  sha256 {info['sha256'][:16]}")


@report_app.command("capability")
@command(render=_print_written)
def report_capability(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="MODEL or MODEL@CHECKPOINT."),
    formats: list[str] = typer.Option([], "--format", "-f", help=FORMAT_HELP),
    out: Path = typer.Option(Path("."), "--out", "-o", help=OUT_HELP),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> WrittenReport:
    """The Capability Report of a checkpoint: triggers, findings, forecasts, determination, gate."""
    from scalegate.reports.capability import capability_report

    return _write(ctx, lambda ws: capability_report(ws, ref), out, formats)


def _print_each_written(written: list[WrittenReport]) -> None:
    for one in written:
        _print_written(one)


@report_app.command("safeguards")
@command(render=_print_each_written)
def report_safeguards(
    ctx: typer.Context,
    ref: str | None = typer.Argument(None, help="MODEL@CHECKPOINT: report on each standard it requires."),
    standard: str | None = typer.Option(None, "--standard", help="KIND:LEVEL, e.g. deployment:ASL-3."),
    formats: list[str] = typer.Option([], "--format", "-f", help=FORMAT_HELP),
    out: Path = typer.Option(Path("."), "--out", "-o", help=OUT_HELP),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> list[WrittenReport]:
    """The Safeguards Report of one standard, or of every standard a checkpoint requires (with --json, one
    JSON array of the reports written)."""
    from scalegate.reports.safeguards import safeguards_report
    from scalegate.reports.safety_case.builder import parse_standard

    if standard is not None:
        standards = [parse_standard(standard)]
    elif ref is not None:
        from scalegate.assessment.service import assess

        levels = assess(workspace_of(ctx), ref).requirements.levels
        standards = [(kind, lv.level) for kind, lv in levels.items()]
    else:
        fail("give a MODEL@CHECKPOINT or --standard KIND:LEVEL")
    return [
        _write(ctx, lambda ws, k=kind, lv=level: safeguards_report(ws, k, lv, ref=ref), out, formats)
        for kind, level in standards
    ]


@report_app.command("compliance")
@command(render=_print_written)
def report_compliance(
    ctx: typer.Context,
    start: str = typer.Option(..., "--from", help="First day of the period (YYYY-MM-DD)."),
    end: str = typer.Option(..., "--to", help="Last day of the period (YYYY-MM-DD), included."),
    formats: list[str] = typer.Option([], "--format", "-f", help=FORMAT_HELP),
    out: Path = typer.Option(Path("."), "--out", "-o", help=OUT_HELP),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> WrittenReport:
    """The compliance review of a period: deadlines met and missed, noncompliance, policy changes."""
    from scalegate.reports.compliance import compliance_report

    first, last = _date(start, "--from"), _date(end, "--to")
    return _write(ctx, lambda ws: compliance_report(ws, first, last, actor_of(ctx)), out, formats)


@report_app.command("public")
@command(render=_print_written)
def report_public(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="MODEL or MODEL@CHECKPOINT."),
    formats: list[str] = typer.Option([], "--format", "-f", help=FORMAT_HELP),
    out: Path = typer.Option(Path("."), "--out", "-o", help=OUT_HELP),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> WrittenReport:
    """The public summary of a checkpoint, redacted as the policy's `redaction` says."""
    from scalegate.reports.public import public_summary

    return _write(ctx, lambda ws: public_summary(ws, ref), out, formats or ["html", "md"])


@report_app.command("comparison")
@command(render=_print_written)
def report_comparison(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="MODEL or MODEL@CHECKPOINT."),
    policies: str = typer.Option(
        "all", "--policies", help="`all` (every built-in policy) or comma-separated built-in policy ids."
    ),
    formats: list[str] = typer.Option([], "--format", "-f", help=FORMAT_HELP),
    out: Path = typer.Option(Path("."), "--out", "-o", help=OUT_HELP),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> WrittenReport:
    """The comparison report of a checkpoint: its record judged under each framework, and what each lacks."""
    from scalegate.gate.comparison import select_policies
    from scalegate.reports.comparison import comparison_report

    chosen = select_policies(policies)
    return _write(ctx, lambda ws: comparison_report(ws, ref, chosen), out, formats)


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: expected a date YYYY-MM-DD, got {value!r}")
    raise AssertionError("unreachable")  # pragma: no cover


# -- safety cases --------------------------------------------------------------------------------------------


def _print_built(results: list[BuiltCase]) -> None:
    for r in results:
        state = "valid" if r["valid"] else f"{r['errors']} errors"
        console().print(
            f"wrote {r['path']} ({r['case']}, {state}, sha256 {r['sha256'][:16]}, audit #{r['audit_seq']})"
        )


@case_app.command("build")
@command(render=_print_built)
def case_build(
    ctx: typer.Context,
    ref: str | None = typer.Argument(None, help="MODEL@CHECKPOINT the case argues about."),
    threshold: str | None = typer.Option(
        None, "--threshold", help="Build the inability case of this threshold."
    ),
    standard: str | None = typer.Option(None, "--standard", help="Build the control case of KIND:LEVEL."),
    all_cases: bool = typer.Option(
        False, "--all", help="Every threshold and every required standard of REF."
    ),
    purpose: str = typer.Option(
        "review", "--purpose", help="review (a draft) or deploy (relied on to proceed)."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Case file (.json), or a directory with --all."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> list[BuiltCase]:
    """Build safety cases from the record and record each file in the audit log by hash."""
    from scalegate.reports.safety_case.model import CasePurpose
    from scalegate.reports.safety_case.service import build_case, cases_for, record_case, validate, write_case

    if purpose not in ("review", "deploy"):
        fail(f"--purpose must be review or deploy, not {purpose!r}")
    results: list[BuiltCase] = []
    workspace = workspace_of(ctx)
    if all_cases:
        if ref is None:
            fail("--all needs a MODEL@CHECKPOINT")
        cases = cases_for(workspace, str(ref), cast(CasePurpose, purpose))
        targets = [out / f"{_case_stem(c.id)}.json" for c in cases]
    else:
        cases = [
            build_case(
                workspace,
                ref=ref,
                threshold=threshold,
                standard=standard,
                purpose=cast(CasePurpose, purpose),
            )
        ]
        targets = [out]
    for case, path in zip(cases, targets, strict=True):
        sha = write_case(case, path)
        seq = record_case(workspace, case, sha, actor_of(ctx))
        check = validate(workspace, case)
        results.append(
            {
                "case": case.id,
                "path": str(path),
                "sha256": sha,
                "audit_seq": seq,
                "valid": check.valid,
                "errors": len(check.errors),
            }
        )
    return results


def _case_stem(case_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in case_id)


def _print_validation(checked: tuple[Any, Any]) -> None:
    case, result = checked
    out_console = console()
    for d in result.diagnostics:
        out_console.print(f"{d.severity}: {d.code} {d.node or '-'}: {d.message}")
    verdict = "valid" if result.valid else f"INVALID ({len(result.errors)} errors)"
    out_console.print(f"{case.id}: {verdict}, {len(result.warnings)} warnings")


@case_app.command("validate")
@command(
    render=_print_validation,
    to_json=lambda checked: checked[1].to_dict(),
    exit_code=lambda checked: 0 if checked[1].valid else INVALID_EXIT,
)
def case_validate(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="Safety case file (.json)."),
    for_deploy: bool = typer.Option(
        False, "--for-deploy", help="Treat it as used to deploy: no undeveloped goals."
    ),
    offline: bool = typer.Option(
        False, "--offline", help="Structure only; do not check evidence against the store."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> tuple[Any, Any]:
    """Validate a case (gsn2x's checks, evidence bindings, freshness); exit 0 valid, 3 invalid or stale."""
    from scalegate.reports.safety_case.model import load_case
    from scalegate.reports.safety_case.service import validate

    case = load_case(path)
    result = validate(None if offline else workspace_of(ctx), case, for_deploy=for_deploy or None)
    return case, result


@case_app.command("render")
@command(text=lambda r: f"wrote {r['path']} ({r['case']}, {'valid' if r['valid'] else 'invalid'})")
def case_render(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="Safety case file (.json)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output file: .svg, .dot or .gsn.yaml (gsn2x syntax)."),
    offline: bool = typer.Option(False, "--offline", help="Do not check evidence against the store."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> RenderedCase:
    """Draw a case as a GSN diagram (Graphviz SVG); stale or invalid elements are outlined in red."""
    from scalegate.reports.safety_case.diagram import to_dot
    from scalegate.reports.safety_case.model import load_case
    from scalegate.reports.safety_case.service import render_case, validate

    case = load_case(path)
    check = validate(None if offline else workspace_of(ctx), case)
    name = out.name.lower()
    if name.endswith(".gsn.yaml") or name.endswith(".yaml"):
        data = case.to_gsn_yaml().encode("utf-8")
    elif name.endswith(".dot"):
        data = to_dot(case).encode("utf-8")
    elif name.endswith(".svg"):
        data = render_case(case, check)
    else:
        fail("--out must end in .svg, .dot or .gsn.yaml")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    except OSError as exc:
        fail(f"{out}: cannot write: {exc.strerror}")
    return {"case": case.id, "path": str(out), "valid": check.valid, "errors": len(check.errors)}


# -- exports -------------------------------------------------------------------------------------------------


def _print_bundle(result: Any) -> None:
    out_console = console()
    out_console.print(
        f"wrote {result.path}: {result.files} files, manifest sha256 {result.manifest_sha256[:16]}"
    )
    for note in result.notes:
        out_console.print(f"note: {note}")
    out_console.print(
        f"verify with: python {result.path}/verify_bundle.py --public-key KEY.pem"
        if result.path.suffix != ".zip"
        else "verify with: unzip it, then python verify_bundle.py --public-key KEY.pem"
    )


@export_app.command("bundle")
@command(render=_print_bundle, to_json=as_dict)
def export_bundle_cmd(
    ctx: typer.Context,
    target: Path = typer.Argument(..., help="New directory, or a path ending in .zip."),
    ref: str | None = typer.Option(
        None, "--ref", help="MODEL@CHECKPOINT whose reports and cases to include."
    ),
    audience: str = typer.Option(
        "reviewer", "--audience", help="reviewer (everything) or public (redacted)."
    ),
    start: str | None = typer.Option(None, "--from", help="Compliance review from (default: a year ago)."),
    end: str | None = typer.Option(None, "--to", help="Compliance review to (default: today)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> Any:
    """A reviewer bundle: reports, evidence files, the audit-log slice, and a verifier that needs only it."""
    from scalegate.reports.bundle import Audience, export_bundle

    if audience not in ("reviewer", "public"):
        fail(f"--audience must be reviewer or public, not {audience!r}")
    period = None
    if start or end:
        if not (start and end):
            fail("give both --from and --to, or neither")
        period = (_date(str(start), "--from"), _date(str(end), "--to"))
    result = export_bundle(
        workspace_of(ctx),
        target,
        actor=actor_of(ctx),
        ref=ref,
        audience=cast(Audience, audience),
        period=period,
    )
    return result


def _print_library(result: CisoLibrary) -> None:
    for shown in result["files"].values():
        console().print(f"wrote {shown}")


@export_app.command("ciso-assistant")
@command(render=_print_library)
def export_ciso(
    policy: str = typer.Argument(..., help="Built-in policy id or policy file."),
    out: Path = typer.Option(Path("."), "--out", "-o", help="Directory for the library files."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> CisoLibrary:
    """The policy's safeguard standards as a CISO Assistant library, with mapping hints (ISO 42001, NIST)."""
    from scalegate.policy import resolve_policy
    from scalegate.reports.ciso import export_ciso_assistant

    files = export_ciso_assistant(resolve_policy(policy))
    written: dict[str, str] = {}
    for name, text in files.items():
        path = out / name
        try:
            out.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"{path}: cannot write: {exc.strerror}")
        written[name] = str(path)
    return {"policy": policy, "files": written}
