"""Credentials on every door: in a production workspace ``--as NAME`` needs NAME's credential (a password, an
API token, or a ``scalegate login`` session kept in the OS keyring), and the local SDK takes the same; a demo
workspace accepts the bare name and says it is a demo in every audit entry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from scalegate.actor import Actor
from scalegate.audit import log_size
from scalegate.cli.app import app
from scalegate.errors import AuthenticationError
from scalegate.governance.identity import resolve_actor
from scalegate.governance.users import add_user, create_token
from scalegate.sdk import Client
from scalegate.store.models.audit import AuditEntryRow
from scalegate.workspace import Workspace, init_workspace
from tests.conftest import MINIMAL_POLICY

PASSWORDS = {"root": "root-password-long", "rita": "rita-password-long", "carl": "carl-password-long"}


def _people(ws: Workspace) -> None:
    add_user(ws, Actor("root"), "root", admin=True, password=PASSWORDS["root"])
    root = resolve_actor(ws, "root")
    add_user(ws, root, "rita", roles=["rso"], password=PASSWORDS["rita"])
    add_user(ws, root, "carl", roles=["ceo"], password=PASSWORDS["carl"])


@pytest.fixture
def production(sqlite_url: str) -> Iterator[Workspace]:
    """A production workspace (no test clock): real time, and credentials for every user."""
    ws = init_workspace(sqlite_url, str(MINIMAL_POLICY))
    assert ws.mode == "production" and not ws.demo
    _people(ws)
    try:
        yield ws
    finally:
        ws.close()


@pytest.fixture
def keyring_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The keyrings.alt file backend in a directory of this test (never the machine's own keyring)."""
    import keyring
    from keyrings.alt.file import PlaintextKeyring  # type: ignore[import-untyped]

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    previous = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())
    yield tmp_path / "data" / "python_keyring" / "keyring_pass.cfg"  # type: ignore[misc]
    keyring.set_keyring(previous)


def run(ws: Workspace, *args: str, user: str | None = None, **env: str) -> Any:
    argv = ["--db", ws.url, *(["--as", user] if user else []), *args]
    environment = {"SCALEGATE_USER": "", "SCALEGATE_TOKEN": "", "SCALEGATE_PASSWORD": "", **env}
    return CliRunner().invoke(app, argv, env=environment)


def one_line_error(result: Any) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return str(lines[0])


def size(ws: Workspace) -> int:
    with ws.read() as session:
        return log_size(session)


def test_as_without_a_credential_is_refused_in_production(production: Workspace) -> None:
    before = size(production)
    # one shell user naming the admin, to mint a token for the CEO: refused, and nothing is written
    line = one_line_error(
        run(
            production,
            "token",
            "create",
            "--name",
            "x",
            "--scope",
            "decision.*",
            "--user",
            "carl",
            user="root",
        )
    )
    assert "needs a credential" in line and "scalegate login root" in line and "SCALEGATE_TOKEN" in line
    assert size(production) == before
    line = one_line_error(run(production, "model", "add", "m", "--family", "f", "--owner", "o", user="rita"))
    assert "needs a credential" in line and size(production) == before


def test_a_wrong_password_is_refused_never_ignored(production: Workspace) -> None:
    result = run(production, "model", "add", "m", "--family", "f", "--owner", "o", user="rita",
                 SCALEGATE_PASSWORD=PASSWORDS["carl"])  # fmt: skip
    assert "invalid user name or password" in one_line_error(result)


def test_the_password_of_the_named_user_authenticates_one_command(production: Workspace) -> None:
    result = run(production, "model", "add", "m", "--family", "f", "--owner", "o", "--json", user="rita",
                 SCALEGATE_PASSWORD=PASSWORDS["rita"])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    with production.read() as session:
        entry = session.execute(
            select(AuditEntryRow).order_by(AuditEntryRow.seq.desc()).limit(1)
        ).scalar_one()
    assert (entry.event, entry.actor) == ("model.registered", "user:rita")
    assert "demo" not in json.loads(entry.body)


def test_an_api_token_stands_for_its_user_and_no_other(production: Workspace) -> None:
    token = create_token(
        production, resolve_actor(production, "rita"), name="ci", scopes=["registry.*"]
    ).secret
    ok = run(
        production, "model", "add", "m", "--family", "f", "--owner", "o", "--json", SCALEGATE_TOKEN=token
    )
    assert ok.exit_code == 0, ok.stderr
    line = one_line_error(
        run(
            production,
            "model",
            "add",
            "m2",
            "--family",
            "f",
            "--owner",
            "o",
            user="carl",
            SCALEGATE_TOKEN=token,
        )
    )
    assert "belongs to 'rita', not 'carl'" in line
    scoped = run(production, "token", "create", "--name", "y", "--scope", "gate.read", SCALEGATE_TOKEN=token)
    assert "scopes do not include it" in one_line_error(scoped)


def test_login_keeps_a_session_in_the_keyring_and_logout_ends_it(
    production: Workspace, keyring_file: Path
) -> None:
    signed_in = run(production, "login", "rita", "--json", SCALEGATE_PASSWORD=PASSWORDS["rita"])
    assert signed_in.exit_code == 0, signed_in.stderr
    assert json.loads(signed_in.stdout)["user"] == "rita"
    assert keyring_file.exists() and keyring_file.stat().st_mode & 0o077 == 0
    assert PASSWORDS["rita"] not in keyring_file.read_text()
    # no --as, no password: the kept session acts
    made = run(production, "model", "add", "m", "--family", "f", "--owner", "o", "--json")
    assert made.exit_code == 0, made.stderr
    # naming another user is not covered by rita's session
    assert "needs a credential" in one_line_error(
        run(production, "model", "add", "m2", "--family", "f", "--owner", "o", user="carl")
    )
    kept = keyring_file.read_text()
    out = run(production, "logout", "--json")
    assert out.exit_code == 0 and json.loads(out.stdout) == {"user": "rita", "signed_out": True}
    # a copy of the secret taken before logout is worth nothing afterwards
    keyring_file.write_text(kept)
    line = one_line_error(run(production, "model", "add", "m3", "--family", "f", "--owner", "o"))
    assert "login session" in line and "ended" in line


def test_a_wrong_password_opens_no_login(production: Workspace, keyring_file: Path) -> None:
    before = size(production)
    assert "invalid" in one_line_error(
        run(production, "login", "rita", SCALEGATE_PASSWORD="not-her-password")
    )
    assert size(production) == before and not keyring_file.exists()


def test_the_local_sdk_takes_the_same_credentials(production: Workspace) -> None:
    with pytest.raises(AuthenticationError, match="needs a credential"):
        Client(workspace=production, user="rita")
    with pytest.raises(AuthenticationError, match="invalid user name or password"):
        Client(workspace=production, user="rita", password=PASSWORDS["carl"])
    sdk = Client(workspace=production, user="rita", password=PASSWORDS["rita"])
    assert sdk.ensure_model("m", "f", "o")["name"] == "m"
    token = create_token(production, resolve_actor(production, "rita"), name="t", scopes=["*"]).secret
    assert Client(workspace=production, token=token).ensure_model("m2", "f", "o")["name"] == "m2"


def test_a_demo_workspace_accepts_the_name_and_marks_every_entry(sqlite_url: str) -> None:
    ws = init_workspace(sqlite_url, str(MINIMAL_POLICY), mode="demo")
    _people(ws)
    made = run(ws, "model", "add", "m", "--family", "f", "--owner", "o", "--json", user="rita")
    assert made.exit_code == 0, made.stderr
    with ws.read() as session:
        bodies = [json.loads(b) for b in session.execute(select(AuditEntryRow.body)).scalars()]
    assert bodies and all(body["demo"] is True for body in bodies)
    assert bodies[-1]["actor"] == "user:rita"
    status = run(ws, "status", "--json")
    assert json.loads(status.stdout)["mode"] == "demo"
    ws.close()


def test_a_workspace_keeps_the_mode_it_was_created_with(production: Workspace) -> None:
    line = one_line_error(CliRunner().invoke(app, ["--db", production.url, "init", "--demo",
                                                   "--policy", str(MINIMAL_POLICY)]))  # fmt: skip
    assert "already a production workspace" in line
    assert not init_workspace(production.url, str(MINIMAL_POLICY)).demo


def test_switching_a_workspace_to_demo_with_sql_fails_verify(production: Workspace) -> None:
    from sqlalchemy import update

    from scalegate.audit.verify import verify
    from scalegate.store.models.workspace import SettingRow

    assert verify(production, checkpoint=False).ok
    with production.transaction() as session:
        session.execute(update(SettingRow).where(SettingRow.key == "mode").values(value="demo"))
    report = verify(production, checkpoint=False)
    assert not report.ok
    assert [(p.kind, p.table, p.pk) for p in report.problems] == [("row_mismatch", "settings", "mode")]


def test_the_first_admin_of_a_new_production_workspace_needs_no_credential(sqlite_url: str) -> None:
    ws = init_workspace(sqlite_url, str(MINIMAL_POLICY))
    made = run(ws, "user", "add", "root", "--admin", "--json", user="root")
    assert made.exit_code == 0, made.stderr
    # from now on the workspace has a user, and the name alone is no longer enough
    line = one_line_error(run(ws, "user", "add", "rita", "--role", "rso", user="root"))
    assert "needs a credential" in line
    ws.close()
