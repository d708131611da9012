"""The tamper-evident audit log: canonical entries, RFC 6962 Merkle hashing, checkpoints and verification.

Writers use ``append`` through ``Workspace.record``. Readers and reviewers use ``verify``, the proofs,
``create_checkpoint`` and ``export_log``; ``scalegate.audit.offline`` verifies an export without scalegate.
"""

from scalegate.audit.checkpoints import Checkpoint, create_checkpoint, list_checkpoints
from scalegate.audit.export import ExportResult, export_log
from scalegate.audit.keys import KeyInfo, list_keys, rotate_key
from scalegate.audit.log import NewEntry, append, append_many, ensure_head, log_size
from scalegate.audit.proofs import ConsistencyProof, InclusionProof, consistency_proof, inclusion_proof
from scalegate.audit.refs import deleted_row_ref
from scalegate.audit.verify import Problem, VerifyReport, verify
from scalegate.canonical import canonical_json, digest, leaf_hash, node_hash

__all__ = [
    "Checkpoint",
    "ConsistencyProof",
    "ExportResult",
    "InclusionProof",
    "KeyInfo",
    "NewEntry",
    "Problem",
    "VerifyReport",
    "append",
    "append_many",
    "canonical_json",
    "consistency_proof",
    "create_checkpoint",
    "deleted_row_ref",
    "digest",
    "ensure_head",
    "export_log",
    "inclusion_proof",
    "leaf_hash",
    "list_checkpoints",
    "list_keys",
    "log_size",
    "node_hash",
    "rotate_key",
    "verify",
]
