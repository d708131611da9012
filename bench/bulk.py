"""Registering 1,000 checkpoints through each door: the SDK's local transport, ``scalegate checkpoint import``
of a CSV (a real subprocess), and the SDK over HTTP against the real app. Each is one batch: one write
transaction and one registration audit entry. Run: ``python -m bench bulk`` (``BULK_N`` sets the count)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
N = int(os.environ.get("BULK_N", "1000"))
SCALEGATE = str(Path(sys.executable).with_name("scalegate"))


def _workspace(directory: Path, name: str) -> Any:
    """A workspace with the minimal test policy, a fitted family ``fam``, model ``m1`` and run ``r``."""
    from scalegate.actor import Actor
    from scalegate.governance.identity import resolve_actor
    from scalegate.governance.users import add_user
    from scalegate.registry import fits, service
    from scalegate.registry.specs import ReferencePoint
    from scalegate.workspace import init_workspace

    policy = ROOT / "tests" / "fixtures" / "policies" / "minimal.yaml"
    # a throwaway demo workspace: --as and user= act without a credential
    ws = init_workspace(f"sqlite:///{directory / name}.db", str(policy), mode="demo")
    add_user(ws, Actor("root"), "root", admin=True)
    add_user(ws, resolve_actor(ws, "root"), "rita", roles=["rso"])
    rso = resolve_actor(ws, "rita")
    points = [ReferencePoint(compute=10.0**e, losses={"heldout": _loss(10.0**e)}) for e in range(18, 25)]
    fits.fit_family(ws, rso, "fam", points)
    service.create_model(ws, rso, "m1", "fam", "bench")
    service.create_run(ws, rso, "m1", "r", algorithmic_multiplier=2.0)
    return ws


def _loss(compute: float) -> float:
    return 1.7 + 400.0 * compute ** (-0.15)


def _payloads(ws: Any) -> list[dict[str, Any]]:
    start = ws.now() - timedelta(hours=N + 1)
    return [
        {
            "name": f"s{i:05d}",
            "step": (i + 1) * 100,
            "training_flops": 1e20 * 1.005**i,
            "recorded_at": start + timedelta(hours=i),
            "run": "r",
            "losses": {"heldout": _loss(1e21 * 1.005**i)},
        }
        for i in range(N)
    ]


def _sdk_local(directory: Path) -> float:
    from scalegate.sdk import Client

    ws = _workspace(directory, "local")
    payloads = _payloads(ws)
    start = time.perf_counter()
    Client(workspace=ws, user="rita").register_checkpoints("m1", payloads)
    return time.perf_counter() - start


def _cli_csv(directory: Path) -> float:
    ws = _workspace(directory, "cli")
    csv = directory / "run.csv"
    lines = ["checkpoint,step,training_flops,recorded_at,run,loss:heldout"]
    lines += [
        f"{p['name']},{p['step']},{p['training_flops']!r},{p['recorded_at'].isoformat()},r,"
        f"{p['losses']['heldout']!r}"
        for p in _payloads(ws)
    ]
    csv.write_text("\n".join(lines) + "\n")
    command = [SCALEGATE, "--db", ws.url, "--as", "rita", "checkpoint", "import", str(csv), "--model", "m1"]
    start = time.perf_counter()
    subprocess.run([*command, "--json"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _http(directory: Path) -> float:
    from fastapi.testclient import TestClient

    from scalegate.governance.identity import resolve_actor
    from scalegate.governance.users import create_token
    from scalegate.sdk import Client
    from scalegate.web import WebSettings, create_app

    ws = _workspace(directory, "http")
    token = create_token(ws, resolve_actor(ws, "rita"), name="bench", scopes=["registry.*"]).secret
    payloads = _payloads(ws)
    with (
        TestClient(create_app(ws, WebSettings(session_secret="s" * 48))) as http,
        Client(base_url="http://testserver", token=token, http_client=http) as sdk,  # type: ignore[arg-type]
    ):
        start = time.perf_counter()
        sdk.register_checkpoints("m1", payloads)
        return time.perf_counter() - start


def main() -> None:
    from scalegate import wiring

    wiring.install()
    with tempfile.TemporaryDirectory(prefix="scalegate-bulk-") as scratch:
        directory = Path(scratch)
        doors = (("SDK, local", _sdk_local), ("CLI, CSV import", _cli_csv), ("SDK over HTTP", _http))
        for door, run in doors:
            print(f"{door:16} {N} checkpoints in one batch: {run(directory):6.2f} s", flush=True)


if __name__ == "__main__":
    main()
