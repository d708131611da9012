"""Inclusion and consistency proofs served from the store verify against the signed checkpoints."""

from __future__ import annotations

import pytest

from scalegate.audit import consistency_proof, inclusion_proof, leaf_hash, sign_tree_head
from scalegate.audit.merkle import verify_consistency, verify_inclusion
from scalegate.errors import InputError, IntegrityError
from scalegate.workspace import Workspace
from tests.audit.conftest import append_events, body_of, sql


def test_inclusion_proofs_verify_against_a_signed_checkpoint(workspace: Workspace) -> None:
    append_events(workspace, 12)
    cp = sign_tree_head(workspace)
    for seq in range(cp.size):
        proof = inclusion_proof(workspace, seq, cp.size)
        assert proof.verify()
        assert proof.checkpoint is not None and proof.checkpoint.root == proof.root == cp.root
        assert proof.leaf == leaf_hash(body_of(workspace, seq).encode())
    doc = inclusion_proof(workspace, 3).to_dict()
    assert doc["verified"] and doc["tree_size"] == cp.size
    assert verify_inclusion(
        bytes.fromhex(doc["leaf_hash"]),
        3,
        doc["tree_size"],
        [bytes.fromhex(h) for h in doc["audit_path"]],
        cp.root,
    )


def test_consistency_proofs_link_old_checkpoints_to_new_ones(workspace: Workspace) -> None:
    append_events(workspace, 5)
    old = sign_tree_head(workspace)
    append_events(workspace, 9)
    new = sign_tree_head(workspace)
    proof = consistency_proof(workspace, old.size, new.size)
    assert proof.verify()
    assert (proof.old_root, proof.new_root) == (old.root, new.root)
    assert proof.old_checkpoint == old and proof.new_checkpoint == new
    assert verify_consistency(old.size, new.size, old.root, new.root, proof.path)
    for size in range(0, new.size + 1):
        assert consistency_proof(workspace, size).verify()


def test_an_inclusion_proof_of_an_altered_entry_is_refused(workspace: Workspace) -> None:
    append_events(workspace, 4)
    body = body_of(workspace, 2)
    sql(workspace, "UPDATE audit_entries SET body = :b WHERE seq = 2", b=body.replace("item:1", "item:9"))
    with pytest.raises(IntegrityError, match="entry 2 does not match its leaf hash"):
        inclusion_proof(workspace, 2)


def test_proofs_refuse_sizes_outside_the_log(workspace: Workspace) -> None:
    append_events(workspace, 2)
    with pytest.raises(InputError, match="entry 3 is not in a tree of 3"):
        inclusion_proof(workspace, 3)
    with pytest.raises(InputError, match=r"outside 0\.\.3"):
        inclusion_proof(workspace, 0, 4)
    with pytest.raises(InputError, match="between 0 and the new size 2"):
        consistency_proof(workspace, 3, 2)


def test_a_proof_over_a_gap_is_refused(workspace: Workspace) -> None:
    append_events(workspace, 4)
    sql(workspace, "DELETE FROM audit_entries WHERE seq = 1")
    with pytest.raises(IntegrityError, match="entry 1 is missing"):
        consistency_proof(workspace, 2)
