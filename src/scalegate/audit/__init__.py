"""The tamper-evident audit log: canonical entries, RFC 6962 Merkle hashing, signed tree heads, verification.

Writers use ``append`` through ``Workspace.record``. Readers and reviewers use ``verify``, the proofs,
``sign_tree_head`` and ``export_log``; ``scalegate.audit.offline`` verifies an export without scalegate.
The log knows no roles: doors reach the operations that need a permission through
``scalegate.governance.audit_access``, which checks it first.
"""

from scalegate.audit.export import ExportResult, export_log
from scalegate.audit.keys import KeyInfo, list_keys
from scalegate.audit.log import NewEntry, append, append_many, ensure_head, log_size
from scalegate.audit.proofs import ConsistencyProof, InclusionProof, consistency_proof, inclusion_proof
from scalegate.audit.refs import deleted_row_ref
from scalegate.audit.tree_heads import Rotation, TreeHead, list_tree_heads, rotate_key, sign_tree_head
from scalegate.audit.verify import Problem, VerifyReport, verify
from scalegate.canonical import canonical_json, digest, leaf_hash, node_hash

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
