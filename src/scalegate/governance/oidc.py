"""Sign-in through an organisation's OpenID Connect provider (authorization code flow with PKCE).

Authlib drives the OAuth 2.0 exchange (authorization URL, state, PKCE, token request); the ID token is
verified with joserfc, Authlib's JOSE library: signature against the provider's published keys, issuer,
audience, expiry and the nonce of this login. The provider proves who the person is; the workspace decides
what they may do. ``oidc_login`` takes no role from the provider and needs a user an admin added;
``governance.sso`` adds the workspace's rule (roles from group claims, users created at first sign-in).

A person is matched by the (issuer, subject) pair recorded at their first sign-in. That first time, they are
matched by email address, only when the provider says the address is verified; the link is then recorded in
the audit log. The web door keeps a ``LoginRequest`` between ``begin`` and ``finish`` in the signed session
cookie (``web.ui.sso``), and the ID token for the logout at the provider (``logout_url``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

from sqlalchemy import select

from scalegate.actor import Actor
from scalegate.errors import AuthenticationError, InputError
from scalegate.extras import requires_extra
from scalegate.governance.users import actor_for
from scalegate.jsonable import JsonObject
from scalegate.store.models.identity import UserRow

if TYPE_CHECKING:
    import httpx
    from sqlalchemy.orm import Session

    from scalegate.workspace import Workspace

__all__ = ["LoginRequest", "OIDCClient", "OIDCConfig", "SignedIn", "find_or_link", "oidc_login"]

ALGORITHMS = ("RS256", "ES256", "PS256", "EdDSA")
"""Signature algorithms accepted for ID tokens (never `none`, never a shared-secret HMAC)."""


@dataclass(frozen=True)
class OIDCConfig:
    """How this workspace talks to the provider."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    scope: str = "openid email profile"


@dataclass(frozen=True)
class SignedIn:
    """A completed sign-in at the provider: the verified claims and the ID token they came from."""

    claims: JsonObject
    id_token: str


@dataclass(frozen=True)
class LoginRequest:
    """What must be remembered between sending the browser to the provider and its return."""

    url: str
    state: str
    nonce: str
    code_verifier: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


class OIDCClient:
    """One provider: discovery, the authorization URL, and the verified claims of a returning browser."""

    def __init__(self, config: OIDCConfig, *, timeout: float = 10.0) -> None:
        if not config.issuer.startswith(("https://", "http://")):
            raise InputError(f"OIDC issuer must be an http(s) URL: {config.issuer!r}", where="issuer")
        self.config, self.timeout = config, timeout
        self._metadata: JsonObject | None = None

    def _http(self) -> httpx.Client:
        import httpx

        return httpx.Client(timeout=self.timeout)

    def metadata(self) -> JsonObject:
        """The provider's discovery document; its issuer must be the configured one."""
        if self._metadata is None:
            url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
            with self._http() as http:
                document = _json(_get(http, url, "discovery"), "discovery")
            issuer = document.get("issuer", "")
            if not isinstance(issuer, str) or issuer.rstrip("/") != self.config.issuer.rstrip("/"):
                raise AuthenticationError(
                    f"OIDC discovery names issuer {document.get('issuer')!r}, expected {self.config.issuer!r}"
                )
            self._metadata = document
        return self._metadata

    def _oauth(self) -> Any:
        with requires_extra("web", "single sign-on (OIDC)"):
            from authlib.integrations.httpx_client import OAuth2Client

        return OAuth2Client(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret,
            scope=self.config.scope,
            redirect_uri=self.config.redirect_uri,
            code_challenge_method="S256",
            timeout=self.timeout,
        )

    def begin(self) -> LoginRequest:
        """Where to send the browser, and what to remember for ``finish``."""
        with requires_extra("web", "single sign-on (OIDC)"):
            from authlib.common.security import generate_token

        nonce, verifier = generate_token(32), generate_token(48)
        with self._oauth() as oauth:
            url, state = oauth.create_authorization_url(
                self.metadata()["authorization_endpoint"], code_verifier=verifier, nonce=nonce
            )
        return LoginRequest(url=url, state=state, nonce=nonce, code_verifier=verifier)

    def finish(self, request: LoginRequest, callback_url: str, *, now: int) -> JsonObject:
        """Exchange the code of the provider's redirect for tokens and return the verified ID-token claims.

        ``now`` is the current Unix time (from the workspace clock) against which expiry is checked.
        """
        return self.exchange(request, callback_url, now=now).claims

    def exchange(self, request: LoginRequest, callback_url: str, *, now: int) -> SignedIn:
        """``finish``, keeping the raw ID token too (the hint a logout at the provider sends back)."""
        query = parse_qs(urlparse(callback_url).query)
        if "error" in query:
            raise AuthenticationError(f"OIDC provider refused the sign-in: {query['error'][0]}")
        if query.get("state", [None])[0] != request.state:
            raise AuthenticationError("OIDC state mismatch: the response does not belong to this sign-in")
        code = query.get("code", [None])[0]
        if not code:
            raise AuthenticationError("OIDC response carries no authorization code")
        with self._oauth() as oauth:
            try:
                token = oauth.fetch_token(
                    self.metadata()["token_endpoint"],
                    code=code,
                    code_verifier=request.code_verifier,
                    state=request.state,
                )
            except Exception as exc:
                raise AuthenticationError(f"OIDC token request failed: {exc}") from exc
        id_token = token.get("id_token")
        if not id_token:
            raise AuthenticationError("OIDC token response has no id_token")
        return SignedIn(self.verify(id_token, nonce=request.nonce, now=now), str(id_token))

    def _discovered(self, name: str) -> str:
        """A string the discovery document gives (the issuer, an endpoint's URL); a provider that gives none
        refuses the sign-in (one line)."""
        url = self.metadata().get(name)
        if not isinstance(url, str):
            raise AuthenticationError(f"OIDC discovery document names no {name}")
        return url

    def logout_url(self, id_token: str | None, after: str) -> str | None:
        """Where to send the browser to end its session at the provider too (OpenID Connect RP-initiated
        logout), or None when the provider publishes no ``end_session_endpoint``."""
        from urllib.parse import urlencode

        endpoint = self.metadata().get("end_session_endpoint")
        if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
            return None
        query = {"client_id": self.config.client_id, "post_logout_redirect_uri": after}
        if id_token:
            query["id_token_hint"] = id_token
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"

    def verify(self, id_token: str, *, nonce: str, now: int) -> JsonObject:
        """Verify an ID token's signature and claims; returns the claims."""
        from joserfc import jwt
        from joserfc.errors import JoseError
        from joserfc.jwk import KeySet

        with self._http() as http:
            document = _json(_get(http, self._discovered("jwks_uri"), "jwks"), "jwks")
        keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
        registry = jwt.JWTClaimsRegistry(
            now=now,
            leeway=60,
            iss={"essential": True, "value": self._discovered("issuer")},
            aud={"essential": True, "value": self.config.client_id},
            exp={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            decoded = jwt.decode(id_token, keys, algorithms=list(ALGORITHMS))
            registry.validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise AuthenticationError(f"OIDC ID token rejected: {exc}") from exc
        return dict(decoded.claims)


def _get(http: httpx.Client, url: str, what: str) -> Any:
    """GET from the provider; an unreachable provider refuses the sign-in (one line) instead of failing."""
    import httpx

    try:
        return http.get(url)
    except httpx.HTTPError as exc:
        raise AuthenticationError(f"cannot reach the identity provider for its {what}: {exc}") from exc


def _json(response: Any, what: str) -> JsonObject:
    """A provider's JSON answer, which must be an object (its keys are the provider's)."""
    if response.status_code != 200:
        raise AuthenticationError(f"OIDC {what} request answered {response.status_code}")
    document = response.json()
    if not isinstance(document, dict):
        raise AuthenticationError(f"OIDC {what} document is not a JSON object")
    return document


def oidc_login(workspace: Workspace, issuer: str, claims: dict[str, Any]) -> Actor:
    """The workspace actor for verified ID-token claims; ``AuthenticationError`` if no user matches.

    Roles stay the workspace's; ``governance.sso.sign_in`` adds roles from groups and new users."""
    subject = str(claims.get("sub") or "")
    if not subject:
        raise AuthenticationError("OIDC claims carry no subject")
    with workspace.transaction() as session:
        user = find_or_link(workspace, session, issuer, subject, claims)
        assert user is not None
        if not user.active:
            raise AuthenticationError(f"user {user.name} is deactivated")
        return actor_for(session, user)


def find_or_link(
    workspace: Workspace,
    session: Session,
    issuer: str,
    subject: str,
    claims: dict[str, Any],
    *,
    missing_ok: bool = False,
) -> UserRow | None:
    """The user linked to (issuer, subject), else the user with the claims' verified email, linked now (and
    logged). When neither exists: None if ``missing_ok``, else ``AuthenticationError``."""
    stmt = select(UserRow).where(UserRow.oidc_issuer == issuer, UserRow.oidc_subject == subject)
    user = session.execute(stmt).scalar_one_or_none()
    if user is not None:
        return user
    email = claims.get("email")
    verified = bool(email) and claims.get("email_verified") is True
    match = (
        session.execute(select(UserRow).where(UserRow.email == email)).scalar_one_or_none()
        if verified
        else None
    )
    if match is None and missing_ok:
        return None
    return _link_by_email(workspace, session, issuer, subject, claims)


def _link_by_email(
    workspace: Workspace, session: Session, issuer: str, subject: str, claims: dict[str, Any]
) -> UserRow:
    email = claims.get("email")
    if not email or claims.get("email_verified") is not True:
        raise AuthenticationError(
            f"no workspace user is linked to {issuer} subject {subject!r}, and the provider "
            "gave no verified email address to match"
        )
    user = session.execute(select(UserRow).where(UserRow.email == email)).scalar_one_or_none()
    if user is None:
        raise AuthenticationError(f"no workspace user has the email address {email}; ask an admin to add you")
    if user.oidc_subject is not None:
        raise AuthenticationError(f"user {user.name} is linked to another OIDC identity")
    user.oidc_issuer, user.oidc_subject = issuer, subject
    actor = Actor(name=user.name, kind="user", user_id=user.id)
    workspace.record(
        session,
        actor,
        "user.oidc_linked",
        f"user:{user.name}",
        {"name": user.name, "issuer": issuer},
        rows=[user],
    )
    return user
