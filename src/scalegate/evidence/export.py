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

from typing import Any, NotRequired, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import object_session

from scalegate.evidence.parsed import DISPERSION_METRICS, ScorerScores
from scalegate.evidence.service import evidence_scores, metric_estimate
from scalegate.registry.lookup import resolve_checkpoint
from scalegate.store.models.evidence import EvidenceRow
from scalegate.workspace import Workspace

__all__ = ["EEE_SCHEMA_VERSION", "EveryEvalEverDocument", "export_every_eval_ever"]

EEE_SCHEMA_VERSION = "0.3.0"


class SourceMetadata(TypedDict):
    """Where an Every Eval Ever document's numbers come from."""

    source_name: str
    source_type: str
    source_organization_name: str
    evaluator_relationship: str
    additional_details: dict[str, str]


class ModelInfo(TypedDict):
    """The evaluated model, as the log names it."""

    name: str
    id: str
    additional_details: dict[str, str]


class EvalLibrary(TypedDict):
    """The harness and its version."""

    name: str
    version: str


class SourceData(TypedDict):
    """The dataset of a result: a Hugging Face dataset, a URL or another source."""

    dataset_name: str
    source_type: str
    hf_repo: NotRequired[str]
    url: NotRequired[list[str]]
    additional_details: dict[str, str]
    hf_split: NotRequired[str]
    samples_number: NotRequired[int]


class StandardError(TypedDict):
    """The standard error the harness reported."""

    value: float
    method: str


class ConfidenceInterval(TypedDict):
    """The interval scalegate's decisions use, at the policy's confidence level."""

    lower: float
    upper: float
    confidence_level: float
    method: str


class Uncertainty(TypedDict):
    """How sure a score is: sample count, reported standard error, interval."""

    num_samples: int
    standard_error: NotRequired[StandardError]
    confidence_interval: NotRequired[ConfidenceInterval]
    num_bootstrap_samples: NotRequired[int]


class MetricConfig(TypedDict):
    """What a metric measures and its range (unbounded: None)."""

    evaluation_description: str
    metric_id: str
    metric_name: str
    lower_is_better: bool
    score_type: str
    min_score: NotRequired[int | None]
    max_score: NotRequired[int | None]


class ScoreDetails(TypedDict):
    """A score and its uncertainty."""

    score: float
    uncertainty: Uncertainty


class EvaluationResult(TypedDict):
    """One (scorer, metric) of an evidence record."""

    evaluation_result_id: str
    evaluation_name: str
    source_data: SourceData
    metric_config: MetricConfig
    score_details: ScoreDetails


class EveryEvalEverDocument(TypedDict):
    """One evidence record as an Every Eval Ever document (schema ``EEE_SCHEMA_VERSION``)."""

    schema_version: str
    evaluation_id: str
    retrieved_timestamp: str
    source_metadata: SourceMetadata
    model_info: ModelInfo
    eval_library: EvalLibrary
    evaluation_results: list[EvaluationResult]
    evaluation_timestamp: NotRequired[str]


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
) -> list[EveryEvalEverDocument]:
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
) -> EveryEvalEverDocument:
    retrieved = str(int(row.ingested_at.timestamp()))
    results = [
        entry
        for scorer in scorers
        for metric in scorer.metrics
        if (entry := _result(workspace, row, scorer, metric)) is not None
    ]
    document: EveryEvalEverDocument = {
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
) -> EvaluationResult | None:
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
    uncertainty: Uncertainty = {"num_samples": scorer.n_samples}
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
    metric_config: MetricConfig = {
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


def _source_data(row: EvidenceRow) -> SourceData:
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
        out: SourceData = {
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
