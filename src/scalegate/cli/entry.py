"""The console-script entry point.

Kept tiny on purpose: the gate is called by training pipelines on every evaluation step, so ``scalegate gate``
takes a fast path that avoids importing the full CLI (Typer, Rich) and the engine unless it must; ``--help``,
``--version`` and ``policy list --json`` are answered the same way (``scalegate.cli.fast``). Everything else
goes to the Typer application, which imports only the command group that is invoked.
"""

from __future__ import annotations

import gc
import sys

__all__ = ["main"]


def main() -> None:
    """Run the CLI."""
    args = sys.argv[1:]
    if args[:1] == ["gate"]:
        try:
            from scalegate.gate.fast import main as gate_main  # type: ignore[import-not-found, unused-ignore]
        except ImportError:
            pass
        else:
            raise SystemExit(gate_main(args[1:]))
    from scalegate.cli.fast import answer

    code = answer(args)
    if code is not None:
        # The process ends here. Frozen, the objects it made are not walked once more by the interpreter's
        # last garbage collection (a tenth of an ingestion's CPU time) before the exit frees them all.
        gc.freeze()
        raise SystemExit(code)
    from scalegate.cli.app import app

    app()
