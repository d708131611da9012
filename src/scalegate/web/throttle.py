"""The sign-in throttle at the doors: the client's address, and a password typed to sign counted as a guess.

The counting itself, shared by every server process through the store, is
``scalegate.governance.login_throttle``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from scalegate.errors import WrongPassword
from scalegate.governance.login_throttle import LoginThrottle

__all__ = ["client_address", "password_attempt"]


def client_address(request: Any) -> str:
    """The address a request came from (the peer: the server trusts no forwarding header)."""
    client = getattr(request, "client", None)
    return str(client.host) if client is not None else "unknown"


@contextmanager
def password_attempt(request: Any, name: str) -> Iterator[None]:
    """Around a service call that checks ``name``'s password: refused while throttled, and a wrong password
    (``WrongPassword``) counted as a failed sign-in."""
    throttle: LoginThrottle = request.app.state.throttle
    address = client_address(request)
    throttle.check(name, address)
    try:
        yield
    except WrongPassword:
        throttle.failed(name, address)
        raise
