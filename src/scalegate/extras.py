"""Optional dependencies, grouped in the extras of the distribution, and the one error a missing one raises.

``pip install scalegate`` gives the SDK, the gate, the store and the command line. Everything else is an
extra: ``web`` (the dashboard and API), ``reports`` (PDF and plots), ``inspect`` (running Inspect evaluations
and reading zstd-compressed Inspect logs), ``postgres`` (a PostgreSQL store) and ``ml`` (the Hugging Face
``Trainer`` callback); ``all`` is every extra but ``ml``. Code that imports an optional dependency does so
inside ``requires_extra``, so a user without it gets one line naming what to install instead of a traceback
(the pattern of inspect_ai's ``pip_dependency_error``). Only the standard library is imported here, so any
module may use it at import time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final, Literal

from scalegate.errors import MissingExtraError

__all__ = ["EXTRAS", "Extra", "missing_extra", "requires_extra"]

Extra = Literal["web", "reports", "inspect", "postgres", "ml"]

EXTRAS: Final[dict[Extra, frozenset[str]]] = {
    "web": frozenset(
        {"fastapi", "starlette", "uvicorn", "multipart", "python_multipart", "itsdangerous", "authlib"}
        | {"jinja2", "prometheus_client"}
    ),
    "reports": frozenset({"weasyprint", "matplotlib", "jinja2"}),
    "inspect": frozenset({"inspect_ai", "zstandard"}),
    "postgres": frozenset({"psycopg", "psycopg_binary"}),
    "ml": frozenset({"transformers", "torch", "accelerate"}),
}
"""The top-level modules each extra provides (a missing one of these is reported as that extra missing)."""


def missing_extra(extra: Extra, feature: str, module: str) -> MissingExtraError:
    """The one-line error for ``feature`` when ``module`` of ``extra`` is not installed."""
    return MissingExtraError(
        f"{feature} needs the optional dependency {module!r}: pip install 'scalegate[{extra}]'"
    )


@contextmanager
def requires_extra(extra: Extra, feature: str) -> Iterator[None]:
    """Run imports of ``extra``'s modules; a missing one becomes ``MissingExtraError`` naming the extra.

    Only a module the extra provides is reported so: any other ``ImportError`` (a broken install, a bug in
    scalegate's own imports) propagates unchanged rather than being disguised as a missing extra.
    """
    try:
        yield
    except MissingExtraError:
        raise
    except ImportError as exc:
        module = (exc.name or "").partition(".")[0]
        if module not in EXTRAS[extra]:
            raise
        raise missing_extra(extra, feature, module) from exc
