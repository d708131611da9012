"""scalegate: run a frontier-AI safety framework (a Responsible Scaling Policy) as code.

The names below are the public Python API (``docs/python-api.md``): the SDK a training pipeline uses, the gate
and its verdicts, the workspace and its unit of work, the policy, the assessment, and the errors. They live in
the domain packages (policy, registry, evidence, assessment, safeguards, gate, governance, audit, store,
reports, web, cli, sdk) and are re-exported here.

Importing the top-level package is deliberately cheap: the gate is called by training pipelines and must start
fast, so each name is imported on first use (PEP 562 ``__getattr__``), not here. ``import scalegate`` loads
no third-party module; ``from scalegate import Client`` loads what the SDK needs and nothing else.

The gate function is ``evaluate_gate`` (there is no ``scalegate.gate`` function: that name is the package of
the gate's modules, and Python binds a subpackage to its parent's attribute once it is imported).
"""

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (the gate's start-up counts)

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # the SDK: what a training pipeline calls
    "Client": "scalegate.sdk.client",
    "GateResult": "scalegate.sdk.result",
    "check_and_report": "scalegate.sdk.loop",
    "ScalegateCallback": "scalegate.sdk.callbacks",
    # the gate and its verdicts
    "evaluate_gate": "scalegate.gate.service",
    "decide": "scalegate.gate.service",
    "Verdict": "scalegate.gate.verdict",
    "Reason": "scalegate.gate.verdict",
    "Outcome": "scalegate.vocabulary",
    "Action": "scalegate.vocabulary",
    "ACTIONS": "scalegate.vocabulary",
    # the workspace and its unit of work
    "Workspace": "scalegate.workspace",
    "open_workspace": "scalegate.workspace",
    "init_workspace": "scalegate.workspace",
    "Context": "scalegate.context",
    "Actor": "scalegate.actor",
    # the policy
    "Policy": "scalegate.policy.schema",
    "load_policy": "scalegate.policy.loader",
    # the assessment of a checkpoint
    "assess": "scalegate.assessment.service",
    "Assessment": "scalegate.assessment.service",
    # errors (``scalegate.errors`` draws the tree)
    "ScalegateError": "scalegate.errors",
    "InputError": "scalegate.errors",
    "PolicyError": "scalegate.errors",
    "EvidenceError": "scalegate.errors",
    "FitError": "scalegate.errors",
    "NotFoundError": "scalegate.errors",
    "ConflictError": "scalegate.errors",
    "PermissionDenied": "scalegate.errors",
    "AuthenticationError": "scalegate.errors",
    "StoreError": "scalegate.errors",
    "IntegrityError": "scalegate.errors",
    "MissingExtraError": "scalegate.errors",
    "InternalError": "scalegate.errors",
}
"""Each public name and the module that defines it (imported on first use)."""

__all__ = [
    "ACTIONS",
    "Action",
    "Actor",
    "Assessment",
    "AuthenticationError",
    "Client",
    "ConflictError",
    "Context",
    "EvidenceError",
    "FitError",
    "GateResult",
    "InputError",
    "IntegrityError",
    "InternalError",
    "MissingExtraError",
    "NotFoundError",
    "Outcome",
    "PermissionDenied",
    "Policy",
    "PolicyError",
    "Reason",
    "ScalegateCallback",
    "ScalegateError",
    "StoreError",
    "Verdict",
    "Workspace",
    "__version__",
    "assess",
    "check_and_report",
    "decide",
    "evaluate_gate",
    "init_workspace",
    "load_policy",
    "open_workspace",
]

if TYPE_CHECKING:  # what type checkers and editors see; nothing is imported at run time
    from typing import Any

    from scalegate.actor import Actor
    from scalegate.assessment.service import Assessment, assess
    from scalegate.context import Context
    from scalegate.errors import (
        AuthenticationError,
        ConflictError,
        EvidenceError,
        FitError,
        InputError,
        IntegrityError,
        InternalError,
        MissingExtraError,
        NotFoundError,
        PermissionDenied,
        PolicyError,
        ScalegateError,
        StoreError,
    )
    from scalegate.gate.service import decide, evaluate_gate
    from scalegate.gate.verdict import Reason, Verdict
    from scalegate.policy.loader import load_policy
    from scalegate.policy.schema import Policy
    from scalegate.sdk.callbacks import ScalegateCallback
    from scalegate.sdk.client import Client
    from scalegate.sdk.loop import check_and_report
    from scalegate.sdk.result import GateResult
    from scalegate.vocabulary import ACTIONS, Action, Outcome
    from scalegate.workspace import Workspace, init_workspace, open_workspace


def __getattr__(name: str) -> "Any":
    """Import a public name's module on first use and keep the name here (later lookups are plain).

    The builtin ``__import__`` is used so that the package itself imports nothing, not even ``importlib``.
    """
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'scalegate' has no attribute {name!r}")
    value = getattr(__import__(module, fromlist=[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names with what the module already holds, so completion offers them before first use."""
    return sorted({*globals(), *__all__})
