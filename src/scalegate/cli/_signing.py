"""The signer's password at the moment of signing: every CLI signature asks for it.

A signature is made with the signer's own key, which only their password opens
(``scalegate.governance.signing_keys``). The CLI takes it from ``SCALEGATE_PASSWORD`` (for scripts), and
otherwise prompts for it without echo. In a demo workspace the demo users' published passwords
(``demo-<name>-password``) stand in, so ``--as NAME`` keeps working there without a prompt.
"""

from __future__ import annotations

import os

import typer

from scalegate.actor import Actor
from scalegate.cli._context import workspace_of

__all__ = ["PASSWORD_ENV", "known_password", "signing_password"]

PASSWORD_ENV = "SCALEGATE_PASSWORD"


def known_password(ctx: typer.Context, actor: Actor) -> str | None:
    """The password of ``actor`` given without asking: ``SCALEGATE_PASSWORD``, or a demo login's."""
    given = os.environ.get(PASSWORD_ENV)
    if given:
        return given
    if workspace_of(ctx).demo:
        from scalegate.testing.demo import demo_password

        return demo_password(actor.name)
    return None


def signing_password(ctx: typer.Context, actor: Actor, purpose: str = "to sign") -> str:
    """The password that opens ``actor``'s signing key: the environment, a demo login, or a prompt."""
    known = known_password(ctx, actor)
    if known is not None:
        return known
    return str(typer.prompt(f"Password of {actor.name} ({purpose})", hide_input=True))
