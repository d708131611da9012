"""``scalegate sso``: single sign-on settings (provider, group-to-role rule, passwords on or off).

Every command parses, calls ``scalegate.governance.sso`` and prints; no rule lives here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from scalegate.cli._context import actor_of, workspace_of
from scalegate.cli._output import Said, command
from scalegate.jsonable import JsonObject

sso_app = typer.Typer(
    help="Single sign-on: the identity provider and how its groups become roles.", no_args_is_help=True
)

JSON = typer.Option(False, "--json", help="Print one JSON document.")


def _document(path: Path) -> JsonObject:
    """The settings file (YAML or JSON) as a mapping, or one line naming the file and what is wrong (read
    within the bounds every YAML input has: ``scalegate.yaml_data``)."""
    from scalegate.errors import InputError
    from scalegate.inputs import BoundsError, read_text
    from scalegate.yaml_data import YamlDataError, load_yaml

    try:
        loaded = load_yaml(read_text(path))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}", where=str(path)) from None
    except BoundsError as exc:
        raise InputError(f"cannot read {path}: {exc}", where=str(path)) from None
    except YamlDataError as exc:
        where = f"{path}:{exc.line}" if exc.line is not None else str(path)
        raise InputError(f"{path} is not valid settings YAML: {exc}", where=where) from None
    if not isinstance(loaded, dict):
        raise InputError(f"{path} must hold a mapping of settings", where=str(path))
    return loaded


@sso_app.command("configure")
@command()
def configure(
    ctx: typer.Context,
    settings_file: Path = typer.Argument(..., help="YAML or JSON file of single sign-on settings."),
    json_out: bool = JSON,
) -> Any:
    """Store the workspace's single sign-on settings (admins only)."""
    from scalegate.governance.sso import configure_sso, settings_document

    settings = configure_sso(workspace_of(ctx), actor_of(ctx), _document(settings_file))
    passwords = "on" if settings.local_passwords else "off"
    return Said(
        settings_document(settings),
        f"Single sign-on through {settings.provider_name} ({settings.issuer}); "
        f"{len(settings.role_rules)} role rules; local passwords {passwords}",
    )


@sso_app.command("show")
@command()
def show(ctx: typer.Context, json_out: bool = JSON) -> Any:
    """Show the workspace's single sign-on settings."""
    from scalegate.governance.sso import settings_document, sso_settings

    settings = sso_settings(workspace_of(ctx))
    if settings is None:
        return Said(None, "Single sign-on is not configured")
    rules = "; ".join(f"{r.group} -> {', '.join(r.roles)}" for r in settings.role_rules) or "none"
    return Said(
        settings_document(settings),
        f"{settings.provider_name} ({settings.issuer}), client {settings.client_id}; group claim "
        f"{settings.groups_claim!r}; rules: {rules}; create users: {settings.create_users}; "
        f"local passwords: {settings.local_passwords}",
    )
