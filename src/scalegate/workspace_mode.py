"""A workspace's mode: ``production`` (the default) or ``demo``, fixed when the workspace is created.

The mode decides how much the workspace trusts the machine it runs on:

- ``production``: every record takes the real time (the system clock, whatever ``SCALEGATE_NOW`` or a test
  clock says), and acting as a user needs that user's credential (a password, an API token, or a
  ``scalegate login`` session).
- ``demo``: made by ``scalegate demo``, ``scalegate init --demo``, or in-process with an explicit clock
  (tests). The clock seam moves time and ``--as NAME`` acts as anyone without a credential, so a scenario can
  be walked through; in exchange every audit entry carries ``"demo": true`` and every page and report says
  "demo workspace", so nothing made there passes for a real record.

The mode is the ``mode`` row of the ``settings`` table, written by ``init`` in the same transaction as the
``workspace.initialised`` audit entry, whose row digests cover it: changing it with SQL afterwards fails
``audit verify``. A workspace without the row (created before modes existed) is production: fail closed.
"""

from __future__ import annotations

from typing import Literal, get_args

from sqlalchemy.orm import Session

from scalegate.errors import InputError
from scalegate.store.models.workspace import SettingRow

__all__ = ["MODES", "MODE_SETTING", "WorkspaceMode", "check_mode", "stored_mode"]

WorkspaceMode = Literal["production", "demo"]
"""``production``: real time and credentials; ``demo``: moved time and ``--as`` without a credential."""

MODES: tuple[WorkspaceMode, ...] = get_args(WorkspaceMode)

MODE_SETTING = "mode"
"""The ``settings`` key holding the mode."""


def check_mode(value: str) -> WorkspaceMode:
    """``value`` as a mode; ``InputError`` naming the modes otherwise."""
    for mode in MODES:
        if value == mode:
            return mode
    raise InputError(f"unknown workspace mode {value!r}; expected one of {', '.join(MODES)}", where="mode")


def stored_mode(session: Session) -> WorkspaceMode:
    """The mode recorded in the store; production when none is recorded or the value is not a mode."""
    row = session.get(SettingRow, MODE_SETTING)
    if row is None or row.value not in MODES:
        return "production"
    return check_mode(row.value)
