"""The shipped index of the built-in policies (``scalegate.policy.service.builtin_index``), read with the
standard library alone: ``scalegate policy list`` answers from it while every policy file still has the hash
recorded there, instead of loading and validating all of them."""

from __future__ import annotations

import os

__all__ = ["builtin_summaries"]


def builtin_summaries() -> str | None:
    """``scalegate policy list --json`` from the index of the built-in policies, or None if the index is
    missing or any policy file differs from the one it was computed from (``policy.service.builtin_index``).
    """
    import hashlib

    directory = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "policy", "builtin")
    try:
        with open(os.path.join(directory, "index.txt"), encoding="utf-8") as fh:
            head, sep, document = fh.read().partition("\n\n")
        listed = [line.split(" ", 1) for line in head.splitlines() if not line.startswith("#")]
        if not sep or sorted(n for _, n in listed) != sorted(
            n for n in os.listdir(directory) if n.endswith(".yaml")
        ):
            return None
        for digest, name in listed:
            with open(os.path.join(directory, name), "rb") as fh:
                if hashlib.sha256(fh.read()).hexdigest() != digest:
                    return None
    except (OSError, ValueError):
        return None
    return document
