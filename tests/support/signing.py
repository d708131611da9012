"""The password test users sign with: every sign-off opens the signer's own key with their password
(``scalegate.governance.signing_keys``), so test users are created with one."""

from __future__ import annotations

__all__ = ["PASSWORD"]

PASSWORD = "test-signing-password"
"""Every test user's password (long enough for the password rules)."""
