"""RFC 6962 tree hashing and proofs: the reference vectors, an independent recursive definition, pymerkle as
an oracle, and properties over random trees (every proof verifies, every tampered proof fails)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scalegate.audit.merkle import (
    EMPTY_ROOT,
    TreeBuilder,
    consistency_path,
    inclusion_path,
    merkle_root,
    verify_consistency,
    verify_inclusion,
)
from scalegate.canonical import leaf_hash, node_hash

# The eight leaves and the roots of their prefixes from the Certificate Transparency reference tests
# (merkle_tree_test.cc), which implement RFC 6962 section 2.1.
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [  # (leaf index, tree size, audit path)
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CT_CONSISTENCY = [  # (old size, new size, consistency proof)
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
LEAVES = [leaf_hash(x) for x in CT_LEAVES]


# -- an independent, literal transcription of RFC 6962 section 2.1 -------------------------------------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    return node_hash(ref_mth(d[:k]), ref_mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def leaves_of(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


# -- reference vectors ---------------------------------------------------------------------------------------


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle_root([]) == EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_match_the_ct_reference_vectors(size: int) -> None:
    assert merkle_root(LEAVES[:size]).hex() == CT_ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "path"), CT_INCLUSION)
def test_audit_paths_match_the_ct_reference_vectors(index: int, size: int, path: list[str]) -> None:
    assert [h.hex() for h in inclusion_path(index, LEAVES[:size])] == path
    assert verify_inclusion(
        LEAVES[index], index, size, [bytes.fromhex(h) for h in path], merkle_root(LEAVES[:size])
    )


@pytest.mark.parametrize(("old", "new", "proof"), CT_CONSISTENCY)
def test_consistency_proofs_match_the_ct_reference_vectors(old: int, new: int, proof: list[str]) -> None:
    assert [h.hex() for h in consistency_path(old, LEAVES[:new])] == proof
    assert verify_consistency(
        old, new, merkle_root(LEAVES[:old]), merkle_root(LEAVES[:new]), [bytes.fromhex(h) for h in proof]
    )


def test_roots_agree_with_pymerkle() -> None:
    from pymerkle import InmemoryTree  # type: ignore[import-untyped]

    tree = InmemoryTree(algorithm="sha256")
    data = [f"entry {i}".encode() for i in range(300)]
    for n, item in enumerate(data, start=1):
        tree.append_entry(item)
        if n in (1, 2, 3, 7, 8, 9, 100, 255, 256, 257, 300):
            assert tree.get_root(n) == merkle_root([leaf_hash(x) for x in data[:n]])


# -- against the recursive definition ------------------------------------------------------------------------


@pytest.mark.parametrize("n", range(0, 70))
def test_every_root_path_and_proof_equals_the_recursive_definition(n: int) -> None:
    d = leaves_of(n)
    assert merkle_root(d) == ref_mth(d)
    for m in range(n):
        assert inclusion_path(m, d) == ref_path(m, d)
    for m in range(1, n):
        assert consistency_path(m, d) == ref_subproof(m, d, True)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=20))
def test_tree_builder_fed_in_any_chunks_equals_the_root(chunks: list[int]) -> None:
    d = leaves_of(sum(chunks))
    builder, at = TreeBuilder(), 0
    for size in chunks:
        builder.extend(d[at : at + size])
        at += size
        assert builder.root() == ref_mth(d[:at])


def test_tree_builder_handles_large_aligned_subtrees() -> None:
    d = leaves_of(40_000)
    builder = TreeBuilder()
    builder.extend(d[:3])
    builder.extend(d[3:])
    assert builder.root() == merkle_root(d) == ref_mth(d)


# -- properties: proofs verify, tampered proofs fail ---------------------------------------------------------

sizes = st.integers(min_value=1, max_value=300)


@settings(max_examples=150, deadline=None)
@given(sizes, st.data())
def test_every_inclusion_proof_verifies_and_tampering_fails(n: int, data: st.DataObject) -> None:
    d = leaves_of(n)
    root = merkle_root(d)
    m = data.draw(st.integers(min_value=0, max_value=n - 1))
    path = inclusion_path(m, d)
    assert verify_inclusion(d[m], m, n, path, root)
    assert not verify_inclusion(leaf_hash(b"other"), m, n, path, root)
    assert not verify_inclusion(d[m], m, n, path, leaf_hash(b"other root"))
    if n > 1:
        assert not verify_inclusion(d[m], (m + 1) % n, n, path, root) or d[m] == d[(m + 1) % n]
        i = data.draw(st.integers(min_value=0, max_value=len(path) - 1))
        flipped = [*path[:i], bytes([path[i][0] ^ 1]) + path[i][1:], *path[i + 1 :]]
        assert not verify_inclusion(d[m], m, n, flipped, root)
        assert not verify_inclusion(d[m], m, n, path[:-1], root)
        assert not verify_inclusion(d[m], m, n, [*path, path[0]], root)


@settings(max_examples=150, deadline=None)
@given(sizes, st.data())
def test_every_consistency_proof_verifies_and_tampering_fails(n: int, data: st.DataObject) -> None:
    d = leaves_of(n)
    m = data.draw(st.integers(min_value=1, max_value=n))
    old, new = merkle_root(d[:m]), merkle_root(d)
    proof = consistency_path(m, d)
    assert verify_consistency(m, n, old, new, proof)
    assert not verify_consistency(m, n, leaf_hash(b"forged"), new, proof)
    assert not verify_consistency(m, n, old, leaf_hash(b"forged"), proof)
    if proof:
        i = data.draw(st.integers(min_value=0, max_value=len(proof) - 1))
        flipped = [*proof[:i], bytes([proof[i][0] ^ 1]) + proof[i][1:], *proof[i + 1 :]]
        assert not verify_consistency(m, n, old, new, flipped)
        assert not verify_consistency(m, n, old, new, proof[:-1])


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=2, max_value=200), st.data())
def test_a_rewritten_history_has_no_consistency_proof(n: int, data: st.DataObject) -> None:
    """Change one leaf before the old size: no proof produced from the new tree links the old root to it."""
    d = leaves_of(n)
    m = data.draw(st.integers(min_value=1, max_value=n - 1))
    changed = data.draw(st.integers(min_value=0, max_value=m - 1))
    forged = [*d[:changed], leaf_hash(b"rewritten"), *d[changed + 1 :]]
    assert not verify_consistency(m, n, merkle_root(d[:m]), merkle_root(forged), consistency_path(m, forged))


def test_out_of_range_requests_are_refused() -> None:
    d = leaves_of(4)
    with pytest.raises(ValueError, match="outside a tree of size 4"):
        inclusion_path(4, d)
    with pytest.raises(ValueError, match=r"outside 0\.\.4"):
        consistency_path(5, d)
    assert not verify_inclusion(d[0], 4, 4, [], merkle_root(d))
    assert not verify_consistency(5, 4, EMPTY_ROOT, merkle_root(d), [])
    assert verify_consistency(0, 4, EMPTY_ROOT, merkle_root(d), [])
    assert verify_consistency(4, 4, merkle_root(d), merkle_root(d), [])
    assert not verify_consistency(4, 4, merkle_root(d), merkle_root(d), [d[0]])
