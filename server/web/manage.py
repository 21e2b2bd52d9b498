"""The manage page: paste the URL (or its token) to see usage, rotate, re-key or revoke.

Same rules as the JSON API (`server.web.api`), whose `describe()` and the `ConnectionService`
do the work; this module only turns form posts into those calls and their answers into pages.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.errors import ApiError
from server.http.bodies import read_form
from server.policy import Policy
from server.policy.input import form_update
from server.services import Services
from server.web.api import describe, describe_now
from server.web.manage_templates import lookup_page, revoked_page, rotated_page, status_page
from server.web.pages import CROSS_SITE_MESSAGE, human_message, is_cross_site, page
from server.web.policy_templates import limits_fieldset, profile_fieldset
from server.web.signup_guard import check_signup_rate
from storage.repository import ConnectionRecord

NOT_FOUND_MESSAGE = (
    "That URL or token does not open any connection. Check that you pasted all of it; "
    "if it was rotated or revoked, it no longer works."
)
ACTIONS = {"show", "policy", "rotate", "replace_key", "revoke"}


def token_from(pasted: str) -> str:
    """The token in a pasted MCP URL (`…/mcp/<token>`), or the pasted text itself."""
    text = pasted.strip()
    if "://" in text:
        try:
            path = urlsplit(text).path.rstrip("/")
        except ValueError:  # not a URL after all (an unclosed IPv6 bracket): opens nothing
            return text
        return path.rsplit("/", 1)[-1]
    return text


def choices(services: Services, record: ConnectionRecord) -> str:
    """The tools-and-limits fieldsets, filled with what the connection has now."""
    policy = Policy.from_stored(record.policy)
    return profile_fieldset(services.registry, policy.profile) + limits_fieldset(policy)


async def _status(
    services: Services, record: ConnectionRecord, token: str, *, notice: str | None = None, error: str | None = None
) -> str:
    return status_page(token, await describe(services, record), choices(services, record), notice=notice, error=error)


async def manage_form(_request: Request) -> Response:
    return page(lookup_page())


async def manage_submit(request: Request) -> Response:
    services: Services = request.state.services
    if is_cross_site(request, services.settings.public_url):
        return page(lookup_page(CROSS_SITE_MESSAGE), 403)
    try:
        form = await read_form(request, services.settings.max_api_body_bytes)
    except ApiError as exc:
        return page(lookup_page(human_message(exc)), exc.status)
    action = form.get("action", "show")
    if action not in ACTIONS:
        return page(lookup_page("That form is out of date. Paste your URL again."), 400)
    token = token_from(form.get("token", ""))
    record = await services.connections.find(token)
    if record is None:
        # Same answer for unknown, malformed and revoked tokens, as on the API.
        return page(lookup_page(NOT_FOUND_MESSAGE), 401, {"WWW-Authenticate": "Bearer"})
    if action == "revoke":
        return await _revoke(services, record, token, form)
    if action == "policy":
        return await _change_policy(services, record, token, form)
    if action == "rotate":
        return await _rotate(services, record)
    if action == "replace_key":
        return await _replace_key(request, services, record, token, form.get("api_key"))
    return page(status_page(token, await describe_now(services, record), choices(services, record)))


async def _change_policy(services: Services, record: ConnectionRecord, token: str, form: dict[str, str]) -> Response:
    try:
        policy = form_update(form, Policy.from_stored(record.policy))
        updated = await services.connections.set_policy(record, policy)
    except ApiError as exc:
        return page(await _status(services, record, token, error=human_message(exc)), exc.status)
    return page(await _status(services, updated, token, notice="Your tools and limits are saved; the URL is the same."))


async def _revoke(services: Services, record: ConnectionRecord, token: str, form: dict[str, str]) -> Response:
    if form.get("confirm") != "yes":
        return page(await _status(services, record, token, error="Tick the box to confirm, then revoke again."), 422)
    await services.connections.revoke(record)
    return page(revoked_page())


async def _rotate(services: Services, record: ConnectionRecord) -> Response:
    try:
        token = await services.connections.rotate(record)
    except ApiError as exc:
        return page(lookup_page(human_message(exc)), exc.status)
    rotated = await services.repository.get(record.id) or record
    info = await describe(services, rotated)
    mcp_endpoint = f"{services.settings.public_url}/mcp"
    return page(rotated_page(token, services.mcp_url(token), mcp_endpoint, info, choices(services, rotated)))


async def _replace_key(
    request: Request, services: Services, record: ConnectionRecord, token: str, api_key: str | None
) -> Response:
    try:
        await check_signup_rate(request)
        updated = await services.connections.replace_key(record, api_key)
    except ApiError as exc:
        # As on sign-up, the typed key is never put back into the page.
        return page(await _status(services, record, token, error=human_message(exc)), exc.status)
    notice = f"Mistral accepted the new key, which ends in …{updated.key_hint}."
    return page(await _status(services, updated, token, notice=notice))


ROUTES = [
    Route("/manage", manage_form, methods=["GET"]),
    Route("/manage", manage_submit, methods=["POST"]),
]
