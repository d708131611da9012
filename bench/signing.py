"""bench/signing: what a signature with the signer's own key costs, against baselines of the same run.

1. Opening a signing key (argon2id key derivation + AES-GCM, ``signing_keys.unlock``) against a sign-in (one
   argon2 verification of the password hash, ``authenticate_password``), interleaved so load affects both
   alike. Goal: at most 1.0x (asking for the password at every signature costs no more than a sign-in).
2. ``audit verify``'s signature check (``audit.signatures.check_signatures``: the trust entries replayed,
   every stored sign-off rebuilt and verified) against raw Ed25519 verification of the same statements with
   ``cryptography``. Goal: raw time / check time at least 0.2 (each signature is verified twice, in its entry
   and in its row, so 0.5 is the ceiling).

Run: ``python -m bench signing`` (``BENCH_SIGNING_RUNS`` rounds for 1, default 15; ``BENCH_SIGNING_N``
sign-offs for 2, default 100).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("BENCH_SIGNING_RUNS", "15"))
N = int(os.environ.get("BENCH_SIGNING_N", "100"))
PASSWORD = "bench-signing-password"
UNLOCK_GOAL, CHECK_GOAL = 1.0, 0.2


def _timed(call: object, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    from scalegate import wiring
    from scalegate.actor import SYSTEM, Actor
    from scalegate.audit.signatures import check_signatures
    from scalegate.canonical import digest
    from scalegate.governance.decisions import open_decision, sign
    from scalegate.governance.identity import resolve_actor
    from scalegate.governance.signing_keys import statement_bytes, unlock
    from scalegate.governance.users import add_user, authenticate_password, find_user
    from scalegate.store.engine import default_url
    from scalegate.workspace import init_workspace

    wiring.install()
    with tempfile.TemporaryDirectory() as tmp:
        ws = init_workspace(default_url(Path(tmp)))
        add_user(ws, Actor(name="bench"), "ada", admin=True, password=PASSWORD)
        ada = resolve_actor(ws, "ada")
        add_user(ws, ada, "rita", roles=["rso", "ceo"], password=PASSWORD, approver_password=PASSWORD)
        rita = resolve_actor(ws, "rita")
        with ws.read() as session:
            user = find_user(session, "rita")

        def sign_in() -> object:
            return authenticate_password(ws, "rita", PASSWORD)

        def open_key() -> object:
            with ws.read() as session:
                return unlock(session, user, PASSWORD)

        sign_in(), open_key()  # warm up
        times: dict[str, list[float]] = {"sign-in": [], "open key": []}
        for _ in range(RUNS):
            times["sign-in"] += _timed(sign_in, 1)
            times["open key"] += _timed(open_key, 1)
        base, key = (statistics.median(times[k]) for k in ("sign-in", "open key"))
        ratio = key / base
        print(f"load average {os.getloadavg()[0]:.2f}; {RUNS} rounds, interleaved, median")
        print(f"sign-in (baseline)   {base * 1000:7.1f} ms")
        print(
            f"open a signing key   {key * 1000:7.1f} ms  ratio {ratio:4.2f}x  goal <= {UNLOCK_GOAL}x  "
            f"{'MET' if ratio <= UNLOCK_GOAL else 'NOT MET'}"
        )

        with ws.reading() as ctx:
            rule = ctx.policy.decision_rule("capability_determination")
        role = "rso" if rule is None or "rso" in rule.signoff_roles else rule.signoff_roles[0]
        for n in range(N):
            with ws.transaction() as session:
                decision = open_decision(
                    ws,
                    session,
                    SYSTEM,
                    decision_type="capability_determination",
                    subject=f"bench:{n}",
                    payload={},
                    bound_state={"findings": digest(n)},
                )
                decision_id = decision.id
            sign(ws, rita, decision_id, role, password=PASSWORD)
        with ws.read() as session:
            start = time.perf_counter()
            problems, verified = check_signatures(session)
            checked = time.perf_counter() - start
        if problems:
            raise SystemExit(f"the signature check found problems: {problems[:3]}")
        raw = _raw_verifications(ws, statement_bytes)
        ratio = raw / checked
        print(
            f"signature check      {checked * 1000:7.1f} ms for {N} sign-offs ({verified} entries verified)"
        )
        print(
            f"raw Ed25519 verify   {raw * 1000:7.1f} ms for the same {N} statements (baseline)  "
            f"ratio {ratio:4.2f}  goal >= {CHECK_GOAL}  {'MET' if ratio >= CHECK_GOAL else 'NOT MET'}"
        )
        ws.close()


def _raw_verifications(ws: object, statement_bytes: object) -> float:
    """Seconds to verify every stored sign-off's signature with cryptography alone (statements prebuilt)."""
    import json

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from sqlalchemy import select

    from scalegate.store.models.audit import AuditEntryRow
    from scalegate.store.models.identity import UserKeyRow

    with ws.read() as session:  # type: ignore[attr-defined]
        keys = {k.key_id: bytes.fromhex(k.public_key) for k in session.execute(select(UserKeyRow)).scalars()}
        bodies = session.execute(select(AuditEntryRow.body).where(AuditEntryRow.event == "decision.signed"))
        signed = [json.loads(body)["data"]["signature"] for body in bodies.scalars()]
    work = [
        (Ed25519PublicKey.from_public_bytes(keys[s["key_id"]]), bytes.fromhex(s["value"]), s["statement"])
        for s in signed
    ]
    start = time.perf_counter()
    for public, value, statement in work:
        public.verify(value, statement_bytes(statement))  # type: ignore[operator]
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
