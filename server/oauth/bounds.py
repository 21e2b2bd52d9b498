"""How much an anonymous caller may make the OAuth server hold: per-address attempt limits for client
registration and sign-in starts, and size caps on registration metadata and authorization parameters.

Anyone can register a client or start a sign-in, and both leave a row behind (a client, a pending
authorization), so both are counted per client address and capped in size; unused rows are swept
(`server/oauth/sweeper.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from mcp.shared.auth import OAuthClientInformationFull

from server.limits import Limits
from server.limits.attempts import AttemptLimiter, Unlimited
from server.settings import Settings

# Real registrations are well under 2 KiB; the room is for long app names and several redirect URIs.
MAX_REGISTRATION_BYTES = 16 * 1024
# A sign-in start sent as a form post rather than a query string: a query string is capped by the
# server's header limits, a body only by this.
MAX_AUTHORIZE_BODY_BYTES = 16 * 1024
# Clients put their own URLs in `state` (VS Code: the window's callback URI); a few hundred characters.
MAX_PARAMETER_CHARS = 2048
# RFC 7636 §4.1: a verifier is 43 to 128 characters, and so is an S256 challenge at most.
MAX_CODE_CHALLENGE_CHARS = 128

MAX_LIST_ENTRIES = 20
MAX_URI_CHARS = 2048
_TEXT_CAPS = {
    "client_name": 200,
    "software_id": 256,
    "software_version": 256,
    "scope": 256,
    "token_endpoint_auth_method": 64,
    "application_type": 64,
}
_URI_FIELDS = ("client_uri", "logo_uri", "tos_uri", "policy_uri", "jwks_uri")
_LIST_ENTRY_CAPS = {"redirect_uris": MAX_URI_CHARS, "contacts": 256, "grant_types": 256, "response_types": 256}


@dataclass(frozen=True, slots=True)
class OAuthLimiters:
    """Attempts per client address: client registrations and sign-in starts."""

    registration: AttemptLimiter = field(default_factory=Unlimited)
    authorization: AttemptLimiter = field(default_factory=Unlimited)


def oauth_limiters(limits: Limits, settings: Settings) -> OAuthLimiters:
    return OAuthLimiters(
        registration=limits.attempt_limiter("registration", settings.registration_rate_limit),
        authorization=limits.attempt_limiter("authorize", settings.authorize_rate_limit),
    )


def metadata_problem(info: OAuthClientInformationFull) -> str | None:
    """Why this client metadata is too large to keep, or None."""
    data = info.model_dump(mode="json", exclude_none=True)
    for name, cap in _TEXT_CAPS.items():
        if len(str(data.get(name, ""))) > cap:
            return f"{name} is longer than {cap} characters"
    for name in _URI_FIELDS:
        if len(str(data.get(name, ""))) > MAX_URI_CHARS:
            return f"{name} is longer than {MAX_URI_CHARS} characters"
    for name, cap in _LIST_ENTRY_CAPS.items():
        entries = data.get(name) or []
        if len(entries) > MAX_LIST_ENTRIES:
            return f"{name} has more than {MAX_LIST_ENTRIES} entries"
        if any(len(str(entry)) > cap for entry in entries):
            return f"{name} entries must be at most {cap} characters"
    return None


def parameter_problem(parameters: Iterable[tuple[str, str]]) -> str | None:
    """Why these authorization request parameters are too large to keep, or None."""
    for name, value in parameters:
        cap = MAX_CODE_CHALLENGE_CHARS if name == "code_challenge" else MAX_PARAMETER_CHARS
        if len(value) > cap:
            shown = name if len(name) <= 40 else name[:40] + "…"
            return f"{shown} is longer than {cap} characters"
    return None
