"""The tamper-evident audit log: canonical entries, RFC 6962 Merkle hashing, signed tree heads, verification.

Writers use ``append`` through ``Workspace.record``. Readers and reviewers use ``verify``, the proofs,
``sign_tree_head`` and ``export_log``; ``scalegate.audit.offline`` verifies an export without scalegate.
The log knows no roles: doors reach the operations that need a permission through
``scalegate.governance.audit_access``, which checks it first.

The names below are loaded on first use (PEP 562): a writer needs only ``append``, and loading verification,
export and the offline verifier with it would cost every command that records a change (an ingestion run
after each evaluation) a noticeable share of its start-up. ``verify`` names both a submodule and the function
in it; the package's ``verify`` is always the function, as when this package imported everything at once,
even after the submodule has been imported (``_Package``).
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scalegate.audit.export import ExportResult, export_log
    from scalegate.audit.keys import KeyInfo, list_keys
    from scalegate.audit.log import NewEntry, append, append_many, ensure_head, log_size
    from scalegate.audit.proofs import ConsistencyProof, InclusionProof, consistency_proof, inclusion_proof
    from scalegate.audit.refs import deleted_row_ref
    from scalegate.audit.tree_heads import Rotation, TreeHead, list_tree_heads, rotate_key, sign_tree_head
    from scalegate.audit.verify import Problem, VerifyReport, verify
    from scalegate.canonical import canonical_json, digest, leaf_hash, node_hash

_MODULES: dict[str, tuple[str, ...]] = {
    "scalegate.audit.export": ("ExportResult", "export_log"),
    "scalegate.audit.keys": ("KeyInfo", "list_keys"),
    "scalegate.audit.log": ("NewEntry", "append", "append_many", "ensure_head", "log_size"),
    "scalegate.audit.proofs": ("ConsistencyProof", "InclusionProof", "consistency_proof", "inclusion_proof"),
    "scalegate.audit.refs": ("deleted_row_ref",),
    "scalegate.audit.tree_heads": ("Rotation", "TreeHead", "list_tree_heads", "rotate_key", "sign_tree_head"),
    "scalegate.audit.verify": ("Problem", "VerifyReport"),
    "scalegate.canonical": ("canonical_json", "digest", "leaf_hash", "node_hash"),
}
"""The modules that define the exported names (``verify`` aside: see ``_Package``)."""

_EXPORTS = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    """Import an exported name's module on first use and keep the name here."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


class _Package(ModuleType):
    """This package's module, whose ``verify`` is the verification function: importing the submodule of that
    name binds it here too, and that binding is ignored."""

    @property
    def verify(self) -> Any:
        # deferred: audit.verify loads every table model (~300 modules, ~0.5 s); ``audit verify`` needs it
        from scalegate.audit.verify import verify

        return verify

    @verify.setter
    def verify(self, value: Any) -> None:
        if not isinstance(value, ModuleType):
            raise AttributeError("scalegate.audit.verify is the verification function")


sys.modules[__name__].__class__ = _Package

__all__ = [
    "ConsistencyProof",
    "ExportResult",
    "InclusionProof",
    "KeyInfo",
    "NewEntry",
    "Problem",
    "Rotation",
    "TreeHead",
    "VerifyReport",
    "append",
    "append_many",
    "canonical_json",
    "consistency_proof",
    "deleted_row_ref",
    "digest",
    "ensure_head",
    "export_log",
    "inclusion_proof",
    "leaf_hash",
    "list_keys",
    "list_tree_heads",
    "log_size",
    "node_hash",
    "rotate_key",
    "sign_tree_head",
    "verify",
]
