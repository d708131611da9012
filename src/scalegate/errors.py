"""The one exception tree of scalegate.

Every error scalegate raises on purpose is a ``ScalegateError``; each names what was wrong and where (a
file:line, a field path, a record id). The CLI maps them to exit codes and the API to HTTP statuses through
``exit_code`` and ``http_status``, so doors never decide this themselves::

    ScalegateError                     exit 1, HTTP 500
    ├── InputError                     exit 2, HTTP 400   bad input from a user or a file
    │   ├── PolicyError                                   a policy file that does not parse or validate
    │   ├── EvidenceError                                 an evaluation log or result that cannot be ingested
    │   └── FitError                                      a statistical fit the data cannot support
    ├── NotFoundError                  exit 2, HTTP 404   a named record that does not exist
    ├── ConflictError                  exit 2, HTTP 409   a write that contradicts the stored state
    ├── PermissionDenied               exit 2, HTTP 403   an actor who may not do this
    │   └── WrongPassword                                 a signer's password does not open their key
    ├── AuthenticationError            exit 2, HTTP 401   no valid identity
    │   └── TooManyRequests                   HTTP 429   too many failed sign-ins; retry after a delay
    ├── StoreError                     exit 1, HTTP 503   the store is unreachable or inconsistent
    ├── IntegrityError                 exit 1, HTTP 500   the audit log or a row disagrees with the record
    ├── MissingExtraError              exit 1, HTTP 501   an optional dependency is missing (an ImportError)
    └── InternalError                  exit 1, HTTP 500   scalegate's own code broke its contract (a bug)
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "ConflictError",
    "EvidenceError",
    "FitError",
    "InputError",
    "IntegrityError",
    "InternalError",
    "MissingExtraError",
    "NotFoundError",
    "PermissionDenied",
    "PolicyError",
    "ScalegateError",
    "StoreError",
    "TooManyRequests",
    "WrongPassword",
]


class ScalegateError(Exception):
    """Root of every error scalegate raises on purpose."""

    exit_code: int = 1
    http_status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class InputError(ScalegateError):
    """Bad input: a malformed argument, file or field."""

    exit_code = 2
    http_status = 400
    code = "invalid_input"


class PolicyError(InputError):
    """A policy file that does not parse, or does not validate against the schema or its semantic checks."""

    code = "invalid_policy"


class EvidenceError(InputError):
    """An evaluation log or result file that cannot be ingested."""

    code = "invalid_evidence"


class FitError(InputError):
    """A statistical fit (scaling law, forecast) that the data cannot support."""

    code = "ill_posed_fit"


class NotFoundError(ScalegateError):
    """A named record (model, checkpoint, policy, user...) that does not exist."""

    exit_code = 2
    http_status = 404
    code = "not_found"


class ConflictError(ScalegateError):
    """A write contradicting the stored state (duplicate id, wrong lifecycle step, separation of duties)."""

    exit_code = 2
    http_status = 409
    code = "conflict"


class PermissionDenied(ScalegateError):
    """An authenticated actor who is not allowed to perform the action."""

    exit_code = 2
    http_status = 403
    code = "forbidden"


class WrongPassword(PermissionDenied):
    """A password typed to sign does not match: counted by the web door like a failed sign-in."""


class AuthenticationError(ScalegateError):
    """No valid identity was presented."""

    exit_code = 2
    http_status = 401
    code = "unauthenticated"


class TooManyRequests(AuthenticationError):
    """Too many failed sign-ins: refused, credential unchecked, until ``retry_after`` seconds pass."""

    http_status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, where: str | None = None) -> None:
        super().__init__(message, where=where)
        self.retry_after = retry_after


class StoreError(ScalegateError):
    """The store cannot be reached, or is not a scalegate workspace."""

    exit_code = 1
    http_status = 503
    code = "store_unavailable"


class IntegrityError(ScalegateError):
    """The audit log, or a row it covers, disagrees with the record."""

    exit_code = 1
    http_status = 500
    code = "integrity_violation"


class MissingExtraError(ScalegateError, ImportError):
    """A feature needs an optional dependency that is not installed; the message names the extra to install.

    It is also an ``ImportError``, so code that already treats a missing module as "feature unavailable" keeps
    working. Raised through ``scalegate.extras.requires_extra``.
    """

    exit_code = 1
    http_status = 501
    code = "missing_extra"


class InternalError(ScalegateError):
    """scalegate's own code was used against its contract (a bug): fail loudly rather than guess."""

    exit_code = 1
    http_status = 500
    code = "internal_error"
