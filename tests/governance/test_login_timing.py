"""Every failed sign-in runs one argon2 verification, so a failure's time does not tell a known name from an
unknown one. The timing itself is measured in ``bench/login`` (a ratio, same run); here the test watches
which hash each failure is verified against, by wrapping the real verifier (it still runs)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from scalegate.actor import Actor
from scalegate.errors import AuthenticationError
from scalegate.governance.users import add_user, authenticate_password, dummy_hash
from scalegate.workspace import Workspace

PASSWORD = "correct horse battery staple"


@pytest.fixture
def verified(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The hashes ``PasswordHasher.verify`` was called with, in order (the real verification still runs)."""
    seen: list[str] = []
    real = PasswordHasher.verify

    def watching(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        seen.append(hash if isinstance(hash, str) else hash.decode())
        return real(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", watching)
    yield seen


@pytest.fixture
def people(workspace: Workspace) -> Workspace:
    add_user(workspace, Actor(name="root"), "root", admin=True, password=PASSWORD)
    from scalegate.governance.identity import resolve_actor

    root = resolve_actor(workspace, "root")
    add_user(workspace, root, "nopass", roles=["rso"])
    return workspace


def _stored_hash(workspace: Workspace, name: str) -> str:
    from sqlalchemy import select

    from scalegate.store.models.identity import UserRow

    with workspace.read() as session:
        value = session.execute(select(UserRow.password_hash).where(UserRow.name == name)).scalar_one()
    assert isinstance(value, str)
    return value


@pytest.mark.parametrize("name", ["nobody", "nopass"])
def test_a_name_that_cannot_sign_in_is_verified_against_the_dummy_hash(
    people: Workspace, verified: list[str], name: str
) -> None:
    with pytest.raises(AuthenticationError, match="invalid user name or password"):
        authenticate_password(people, name, "some guess")
    assert verified == [dummy_hash()]


def test_a_wrong_password_is_verified_against_the_users_hash(people: Workspace, verified: list[str]) -> None:
    with pytest.raises(AuthenticationError, match="invalid user name or password"):
        authenticate_password(people, "root", "some guess")
    assert verified == [_stored_hash(people, "root")]
    assert verified[0] != dummy_hash()


def test_the_dummy_hash_has_the_parameters_of_real_hashes(people: Workspace) -> None:
    """Same argon2 variant, memory, time and parallelism: the same cost to verify."""
    params = dummy_hash().split("$")[1:4]
    assert params == _stored_hash(people, "root").split("$")[1:4]


def test_an_unknown_name_with_a_real_password_signs_nobody_in(people: Workspace) -> None:
    """A password that is right for another user opens nothing for a name that does not exist."""
    assert authenticate_password(people, "root", PASSWORD).name == "root"
    with pytest.raises(AuthenticationError):
        authenticate_password(people, "nobody", PASSWORD)
