"""Export evidence records as Every Eval Ever documents (schema 0.3.0, ``eval.schema.json``).

Every Eval Ever (EvalEval coalition) is a shared format for evaluation results from any harness. Each evidence
record becomes one document: the model, the harness and its version, and one ``evaluation_results`` entry per
(scorer, metric) with its sample count and uncertainty. The interval is the one scalegate's decisions use
(Wilson or clustered bootstrap at the policy's confidence level, or the reported standard error), so an
outside reader sees the same numbers as the gate. The ``every-eval-ever`` package itself needs Python 3.12 and
a large dependency set; this module writes its format directly and the tests validate it against the package's
schema.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import object_session

from scalegate.evidence.parsed import DISPERSION_METRICS, ScorerScores
from scalegate.evidence.service import evidence_scores, metric_estimate
from scalegate.registry.lookup import resolve_checkpoint
from scalegate.store.models.evidence import EvidenceRow
from scalegate.workspace import Workspace

__all__ = ["EEE_SCHEMA_VERSION", "export_every_eval_ever"]

EEE_SCHEMA_VERSION = "0.3.0"

_LIBRARY = {"inspect": "inspect_ai", "lm_eval": "lm_eval", "manual": "manual"}
_BOUNDED = frozenset(
    {"accuracy", "acc", "acc_norm", "exact_match", "mean", "pass@1", "f1", "mcc", "brier_score"}
)


def export_every_eval_ever(
    workspace: Workspace,
    *,
    checkpoint_ref: str | None = None,
    evidence_ids: list[int] | None = None,
    organization: str = "unknown",
    relationship: str = "first_party",
    current_only: bool = True,
) -> list[dict[str, Any]]:
    """One Every Eval Ever document per evidence record (of a checkpoint, or the ids given, or all)."""
    with workspace.read() as session:
        query = select(EvidenceRow).order_by(EvidenceRow.id)
        if checkpoint_ref:
            query = query.where(EvidenceRow.checkpoint_id == resolve_checkpoint(session, checkpoint_ref).id)
        if evidence_ids:
            query = query.where(EvidenceRow.id.in_(evidence_ids))
        rows = list(session.execute(query).scalars())
        replaced = {
            r.supersedes_id for r in session.execute(select(EvidenceRow)).scalars() if r.supersedes_id
        }
        documents = []
        for row in rows:
            if current_only and row.id in replaced:
                continue
            documents.append(
                _document(workspace, row, evidence_scores(session, row.id), organization, relationship)
            )
    return documents


def _document(
    workspace: Workspace, row: EvidenceRow, scorers: list[ScorerScores], organization: str, relationship: str
) -> dict[str, Any]:
    retrieved = str(int(row.ingested_at.timestamp()))
    results = [
        entry
        for scorer in scorers
        for metric in scorer.metrics
        if (entry := _result(workspace, row, scorer, metric)) is not None
    ]
    document: dict[str, Any] = {
        "schema_version": EEE_SCHEMA_VERSION,
        "evaluation_id": f"{row.task}/{row.model}/{retrieved}",
        "retrieved_timestamp": retrieved,
        "source_metadata": {
            "source_name": "scalegate",
            "source_type": "evaluation_run" if any(s.has_samples for s in scorers) else "documentation",
            "source_organization_name": organization,
            "evaluator_relationship": relationship,
            "additional_details": _strings(
                {
                    "evidence_id": row.id,
                    "sha256": row.sha256,
                    "filename": row.filename,
                    "status": row.status,
                    "run_id": row.run_id,
                    "task_version": row.task_version,
                    "checkpoint_id": row.checkpoint_id,
                    "elicitation": ",".join(row.elicitation),
                }
            ),
        },
        "model_info": {
            "name": row.model,
            "id": row.model,
            "additional_details": {"deployment_type": "unknown", "model_availability": "unknown"},
        },
        "eval_library": {"name": _LIBRARY.get(row.harness, row.harness), "version": _library_version(row)},
        "evaluation_results": results,
    }
    created = row.info.get("created") or row.info.get("date")
    if created is not None:
        document["evaluation_timestamp"] = str(created)
    return document


def _result(
    workspace: Workspace, row: EvidenceRow, scorer: ScorerScores, metric: str
) -> dict[str, Any] | None:
    value = scorer.metrics.get(metric)
    if value is None or metric in DISPERSION_METRICS or metric.endswith("_stderr"):
        return None
    stderr_key = f"{metric}_stderr" if row.harness == "lm_eval" else "stderr"
    statistics = workspace.active_in(object_session(row)).policy.statistics  # type: ignore[arg-type]
    found = metric_estimate(
        scorer,
        metric,
        stderr_key,
        row,
        statistics.confidence_level,
        statistics.bootstrap_resamples,
        statistics.bootstrap_seed,
    )
    uncertainty: dict[str, Any] = {"num_samples": scorer.n_samples}
    stderr = scorer.metrics.get(stderr_key)
    if stderr is not None:
        uncertainty["standard_error"] = {"value": stderr, "method": "analytic"}
    if found is not None:
        uncertainty["confidence_interval"] = {
            "lower": found.low,
            "upper": found.high,
            "confidence_level": statistics.confidence_level,
            "method": {
                "wilson": "wilson",
                "bootstrap": "clustered bootstrap over samples",
                "reported": "normal approximation from the reported standard error",
            }[found.method],
        }
        if found.method == "bootstrap":
            uncertainty["num_bootstrap_samples"] = statistics.bootstrap_resamples
    binary = scorer.binary and scorer.sample_metric == metric
    higher = (row.info.get("higher_is_better") or {}).get(metric.split(",")[0], True)
    metric_config: dict[str, Any] = {
        "evaluation_description": f"{row.task} ({scorer.name})",
        "metric_id": metric,
        "metric_name": metric,
        "lower_is_better": not bool(higher),
        "score_type": "binary" if binary else "continuous",
    }
    if not binary:
        bounded = metric in _BOUNDED
        metric_config["min_score"] = 0 if bounded else None
        metric_config["max_score"] = 1 if bounded else None
    return {
        "evaluation_result_id": f"{row.id}:{scorer.name}:{metric}",
        "evaluation_name": row.task,
        "source_data": _source_data(row),
        "metric_config": metric_config,
        "score_details": {"score": found.value if found is not None else value, "uncertainty": uncertainty},
    }


def _source_data(row: EvidenceRow) -> dict[str, Any]:
    dataset = row.info.get("dataset") or {}
    name = str(dataset.get("name") or row.task)
    details = _strings(
        {
            "location": dataset.get("location"),
            "revision": dataset.get("revision"),
            "samples": dataset.get("samples"),
            "split": dataset.get("split"),
        }
    )
    location = str(dataset.get("location") or "")
    if row.harness == "lm_eval" and location.count("/") == 1 and "://" not in location:
        out: dict[str, Any] = {
            "dataset_name": name,
            "source_type": "hf_dataset",
            "hf_repo": location,
            "additional_details": details,
        }
        if dataset.get("split"):
            out["hf_split"] = str(dataset["split"])
        if isinstance(dataset.get("samples"), int):
            out["samples_number"] = dataset["samples"]
        return out
    if location.startswith(("http://", "https://")):
        return {"dataset_name": name, "source_type": "url", "url": [location], "additional_details": details}
    return {"dataset_name": name, "source_type": "other", "additional_details": details}


def _library_version(row: EvidenceRow) -> str:
    packages = row.info.get("packages") or {}
    return str(packages.get(_LIBRARY.get(row.harness, row.harness)) or "unknown")


def _strings(values: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in values.items() if v is not None and v != ""}
