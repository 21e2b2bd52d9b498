"""`OAuthProvider`: the SDK's authorization-server protocol backed by our database.

Codes and tokens are random, stored as SHA-256 hashes, bound to one connection, one client and
one resource. Refresh tokens rotate; presenting a used one (reuse) revokes its whole family, as
does replaying an authorization code.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    RefreshToken,
    RegistrationError,
    TokenError,
)
from mcp.shared.auth import InvalidRedirectUriError, OAuthClientInformationFull, OAuthToken
from pydantic import AnyUrl

from server.errors import CryptoError
from server.oauth.bounds import OAuthLimiters, metadata_problem
from server.oauth.client_metadata import ClientMetadataError, ClientMetadataFetcher, is_metadata_url
from server.oauth.client_secrets import open_info, seal_info
from server.oauth.redirect_uris import is_loopback, redirect_uri_problem
from server.security.crypto import Keyring
from server.security.tokens import (
    ACCESS_TOKEN_PREFIX,
    AUTHORIZATION_CODE_PREFIX,
    AUTHORIZATION_REQUEST_PREFIX,
    REFRESH_TOKEN_PREFIX,
    hash_token,
    new_secret,
)
from server.settings import variable_of
from storage.oauth_repository import OAuthRepository, StoredToken

logger = logging.getLogger(__name__)

ACCESS_TOKEN_SECONDS = 3600
REFRESH_TOKEN_SECONDS = 30 * 24 * 3600
CODE_SECONDS = 300
REQUEST_SECONDS = 600
SCOPE = "mistral"
PROTECTED_RESOURCE_PATH = "/.well-known/oauth-protected-resource"


def resource_metadata_url(public_url: str) -> str:
    """Where a client that got 401 on `/mcp` finds how to authorize (RFC 9728)."""
    return f"{public_url}{PROTECTED_RESOURCE_PATH}/mcp"


def _now() -> datetime:
    return datetime.now(UTC)


class OurClient(OAuthClientInformationFull):
    """Exact redirect-URI matching, except the port of a loopback URI (RFC 8252 §7.3), and only to
    URIs the registration rule allows, whenever the client was registered."""

    def validate_redirect_uri(self, redirect_uri: AnyUrl | None) -> AnyUrl:
        chosen = self._matching_redirect_uri(redirect_uri)
        if problem := redirect_uri_problem([chosen]):
            raise InvalidRedirectUriError(problem)
        return chosen

    def _matching_redirect_uri(self, redirect_uri: AnyUrl | None) -> AnyUrl:
        if redirect_uri is not None and is_loopback(redirect_uri) and redirect_uri.scheme == "http":
            for registered in self.redirect_uris or []:
                if (
                    is_loopback(registered)
                    and registered.host == redirect_uri.host
                    and registered.path == redirect_uri.path
                    and registered.query == redirect_uri.query
                ):
                    return redirect_uri
        return super().validate_redirect_uri(redirect_uri)


@dataclass(frozen=True, slots=True)
class PendingAuthorization:
    client_id: str
    params: AuthorizationParams


class OAuthProvider:
    def __init__(self, public_url: str) -> None:
        self.issuer = public_url
        self.resource = f"{public_url}/mcp"
        self._repo: OAuthRepository | None = None
        self._fetcher: ClientMetadataFetcher | None = None
        self._keyring: Keyring | None = None
        self.limiters = OAuthLimiters()
        self._on_revoke: Callable[[str], None] = lambda _connection_id: None

    def attach(
        self,
        repository: OAuthRepository,
        fetcher: ClientMetadataFetcher,
        keyring: Keyring,
        limiters: OAuthLimiters | None = None,
        on_revoke: Callable[[str], None] | None = None,
    ) -> None:
        """Called by the app lifespan once the database exists. `on_revoke(connection_id)` is told
        of every revoked token family, so cached access tokens die at once on this replica."""
        self._repo = repository
        self._fetcher = fetcher
        self._keyring = keyring
        self.limiters = limiters or OAuthLimiters()
        self._on_revoke = on_revoke or (lambda _connection_id: None)

    async def _revoke_family(self, family_id: str, connection_id: str) -> None:
        await self.repo.revoke_family(family_id, _now())
        self._on_revoke(connection_id)

    @property
    def keyring(self) -> Keyring:
        assert self._keyring is not None, "OAuthProvider used outside the app lifespan"
        return self._keyring

    @property
    def repo(self) -> OAuthRepository:
        assert self._repo is not None, "OAuthProvider used outside the app lifespan"
        return self._repo

    def _resource_ok(self, resource: str | None) -> bool:
        return resource is None or resource.rstrip("/") == self.resource

    # --- clients ---------------------------------------------------------------------------

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        if is_metadata_url(client_id):
            assert self._fetcher is not None
            try:
                info = await self._fetcher.fetch(client_id)
            except ClientMetadataError as exc:
                logger.info("client metadata document refused: %s", exc)
                return None
            # The rules registration applies.
            if problem := metadata_problem(info) or redirect_uri_problem(info.redirect_uris):
                logger.info("client metadata document refused: %s", problem)
                return None
            return OurClient.model_validate(info.model_dump())
        stored = await self.repo.get_client(client_id)
        if stored is None:
            return None
        try:
            return OurClient.model_validate(open_info(self.keyring, stored))
        except CryptoError:
            logger.exception(
                "an OAuth client's secret could not be decrypted; check %s", variable_of("encryption_keys")
            )
            return None

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        if problem := metadata_problem(client_info):
            raise RegistrationError("invalid_client_metadata", problem)
        if problem := redirect_uri_problem(client_info.redirect_uris):
            raise RegistrationError("invalid_redirect_uri", problem)
        stored = seal_info(self.keyring, client_info.model_dump(mode="json"))
        await self.repo.add_client(client_info.client_id, stored, _now())

    # --- authorization -------------------------------------------------------------------------

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        if not self._resource_ok(params.resource):
            raise AuthorizeError("invalid_target", f"this server only issues tokens for {self.resource}")
        request_id = new_secret(AUTHORIZATION_REQUEST_PREFIX)
        await self.repo.add_request(
            hash_token(request_id),
            client.client_id,
            params.model_dump_json(),
            _now() + timedelta(seconds=REQUEST_SECONDS),
        )
        return f"{self.issuer}/oauth/consent?request={request_id}"

    async def pending(self, request_id: str) -> PendingAuthorization | None:
        found = await self.repo.get_request(hash_token(request_id))
        if found is None:
            return None
        client_id, params_json = found
        return PendingAuthorization(client_id, AuthorizationParams.model_validate_json(params_json))

    async def take_pending(self, request_id: str) -> bool:
        return await self.repo.take_request(hash_token(request_id))

    async def issue_code(self, pending: PendingAuthorization, connection_id: str) -> str:
        code = new_secret(AUTHORIZATION_CODE_PREFIX)
        await self.repo.add_code(
            hash_token(code),
            pending.client_id,
            connection_id,
            pending.params.model_dump_json(),
            "fam_" + secrets.token_hex(12),
            _now() + timedelta(seconds=CODE_SECONDS),
        )
        return code

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> AuthorizationCode | None:
        stored = await self.repo.get_code(hash_token(authorization_code))
        if stored is None or stored.client_id != client.client_id:
            return None
        if stored.used_at is not None:
            # A replayed code: the tokens it produced may be in the wrong hands.
            await self._revoke_family(stored.family_id, stored.connection_id)
            return None
        params = AuthorizationParams.model_validate_json(stored.params_json)
        return AuthorizationCode(
            code=authorization_code,
            scopes=params.scopes or [SCOPE],
            expires_at=stored.expires_at.timestamp(),
            client_id=stored.client_id,
            code_challenge=params.code_challenge,
            redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly,
            resource=params.resource or self.resource,
            subject=stored.connection_id,
        )

    async def _issue_pair(
        self, client_id: str, connection_id: str, family_id: str, resource: str | None, scopes: list[str]
    ) -> OAuthToken:
        access, refresh = new_secret(ACCESS_TOKEN_PREFIX), new_secret(REFRESH_TOKEN_PREFIX)
        now = _now()
        tokens = [
            StoredToken(
                token_hash=hash_token(token),
                kind=kind,
                family_id=family_id,
                client_id=client_id,
                connection_id=connection_id,
                resource=resource or self.resource,
                scopes=" ".join(scopes),
                expires_at=now + timedelta(seconds=lifetime),
                used_at=None,
                revoked_at=None,
            )
            for token, kind, lifetime in (
                (access, "access", ACCESS_TOKEN_SECONDS),
                (refresh, "refresh", REFRESH_TOKEN_SECONDS),
            )
        ]
        # Also marks the client as in use, which keeps the sweeper away from it.
        await self.repo.add_tokens(tokens, client_id, now)
        return OAuthToken(
            access_token=access, expires_in=ACCESS_TOKEN_SECONDS, refresh_token=refresh, scope=" ".join(scopes)
        )

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        code_hash = hash_token(authorization_code.code)
        stored = await self.repo.get_code(code_hash)
        if stored is None or not await self.repo.use_code(code_hash, _now()):
            if stored is not None:
                await self._revoke_family(stored.family_id, stored.connection_id)
            raise TokenError("invalid_grant", "authorization code was already used")
        return await self._issue_pair(
            client.client_id,
            stored.connection_id,
            stored.family_id,
            authorization_code.resource,
            authorization_code.scopes,
        )

    # --- refresh and access tokens ---------------------------------------------------------------

    async def load_refresh_token(self, client: OAuthClientInformationFull, refresh_token: str) -> RefreshToken | None:
        stored = await self.repo.get_token(hash_token(refresh_token))
        if stored is None or stored.kind != "refresh" or stored.client_id != client.client_id:
            return None
        if stored.revoked_at is not None:
            return None
        if stored.used_at is not None:
            logger.warning(
                "refresh token reuse detected; revoking its token family", extra={"client": client.client_id}
            )
            await self._revoke_family(stored.family_id, stored.connection_id)
            return None
        return RefreshToken(
            token=refresh_token,
            client_id=stored.client_id,
            scopes=stored.scopes.split() or [SCOPE],
            expires_at=int(stored.expires_at.timestamp()),
            resource=stored.resource,
            subject=stored.connection_id,
        )

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]
    ) -> OAuthToken:
        token_hash = hash_token(refresh_token.token)
        stored = await self.repo.get_token(token_hash)
        if stored is None or not await self.repo.use_refresh_token(token_hash, _now()):
            if stored is not None:
                await self._revoke_family(stored.family_id, stored.connection_id)
            raise TokenError("invalid_grant", "refresh token was already used")
        return await self._issue_pair(client.client_id, stored.connection_id, stored.family_id, stored.resource, scopes)

    async def access_token_connection(self, token: str) -> str | None:
        """The connection id a live access token for our resource opens, or None."""
        stored = await self.repo.get_token(hash_token(token))
        if (
            stored is None
            or stored.kind != "access"
            or stored.revoked_at is not None
            or stored.expires_at.timestamp() < time.time()
            or not self._resource_ok(stored.resource)
        ):
            return None
        return stored.connection_id

    async def load_access_token(self, token: str) -> AccessToken | None:
        stored = await self.repo.get_token(hash_token(token))
        if stored is None or stored.kind != "access" or stored.revoked_at is not None:
            return None
        return AccessToken(
            token=token,
            client_id=stored.client_id,
            scopes=stored.scopes.split(),
            expires_at=int(stored.expires_at.timestamp()),
            resource=stored.resource,
            subject=stored.connection_id,
        )

    async def revoke(self, token: str, client_id: str) -> None:
        """Revoke the family of any of this client's tokens; unknown tokens are ignored."""
        stored = await self.repo.get_token(hash_token(token))
        if stored is not None and stored.client_id == client_id:
            await self._revoke_family(stored.family_id, stored.connection_id)

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        stored = await self.repo.get_token(hash_token(token.token))
        if stored is not None:
            await self._revoke_family(stored.family_id, stored.connection_id)

    async def exchange_identity_assertion(self, client: OAuthClientInformationFull, params: object) -> OAuthToken:
        raise TokenError("unsupported_grant_type", "the JWT bearer grant is not supported")


def client_display(client: OAuthClientInformationFull, redirect_uri: str) -> tuple[str, str]:
    """(name, host) to show on the consent page."""
    parts = urlsplit(redirect_uri)
    # Host and port only: a `user@` part would let `https://claude.ai@evil.example/` read as claude.ai.
    host = parts.hostname or redirect_uri
    if parts.hostname and parts.port:
        host += f":{parts.port}"
    name = client.client_name or (urlsplit(client.client_id).netloc if is_metadata_url(client.client_id) else "")
    return (name or "An MCP client"), host
