"""The consent page: who is asking, then paste a Mistral key (or an existing token) and approve.

Approving creates (or reuses) a connection and redirects to the client with a one-time code,
`state` echoed and `iss` set (RFC 9207); denying redirects with `access_denied`.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape

from mcp.server.auth.provider import construct_redirect_uri
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from server.errors import ApiError
from server.http.bodies import read_form
from server.oauth.provider import OAuthProvider, PendingAuthorization, client_display
from server.policy import CORE, NEW_CONNECTION
from server.policy.input import form_profile
from server.security.tokens import TOKEN_IN_TEXT
from server.services import Services
from server.web.pages import is_cross_site
from server.web.policy_templates import profile_fieldset
from server.web.signup_guard import check_signup_rate
from server.web.templates import layout


def _page(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def _expired() -> HTMLResponse:
    return _page(
        layout(
            "<h1>This sign-in link has expired</h1><p>Go back to your AI client and connect again.</p>",
            title="Sign-in expired",
        ),
        400,
    )


def _consent_html(request_id: str, client_name: str, redirect_host: str, profile_choice: str, error: str | None) -> str:
    error_box = (
        f'<div class="card error" role="alert" id="form-error"><strong>That did not work.</strong> {escape(error)}</div>'
        if error
        else ""
    )
    return layout(
        f"""
<h1>Connect <span>Mistral</span> to {escape(client_name)}</h1>
<p class="lead"><strong>{escape(client_name)}</strong> (returning to <code>{escape(redirect_host)}</code>) asks to use
Mistral AI on your behalf: chat, embeddings, code completion and the rest of the Mistral API, billed to your key.</p>
{error_box}
<form class="card" method="post" action="/oauth/consent">
  <input type="hidden" name="request" value="{escape(request_id)}">
  <label for="api_key">Mistral API key</label>
  <input id="api_key" name="api_key" type="password" autocomplete="off" autocapitalize="off" spellcheck="false" maxlength="256">
  <p class="hint">We check it with Mistral, then store it encrypted.</p>
  {profile_choice}
  <p class="hint">Or use a connection you already have (it keeps its own tools and limits, changed on the manage page):</p>
  <label for="connection_token">Existing mistral-mcp URL or token (optional)</label>
  <input id="connection_token" name="connection_token" type="password" autocomplete="off" spellcheck="false" maxlength="4096">
  <button type="submit" name="decision" value="approve">Approve</button>
  <button type="submit" name="decision" value="deny" class="secondary" formnovalidate>Deny</button>
</form>
""",
        title="Connect Mistral",
    )


async def _render(
    request: Request,
    provider: OAuthProvider,
    request_id: str,
    pending: PendingAuthorization,
    error: str | None,
    status: int,
) -> Response:
    client = await provider.get_client(pending.client_id)
    if client is None:
        return _expired()
    name, host = client_display(client, str(pending.params.redirect_uri))
    services: Services = request.state.services
    choice = profile_fieldset(services.registry, CORE, legend="Which tools a new connection offers")
    return _page(_consent_html(request_id, name, host, choice, error), status)


def _redirect(provider: OAuthProvider, pending: PendingAuthorization, **params: str | None) -> RedirectResponse:
    url = construct_redirect_uri(
        str(pending.params.redirect_uri), state=pending.params.state, iss=provider.issuer, **params
    )
    return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})


def routes(provider: OAuthProvider) -> list[Route]:
    async def show(request: Request) -> Response:
        request_id = request.query_params.get("request", "")
        pending = await provider.pending(request_id) if request_id else None
        if pending is None:
            return _expired()
        return await _render(request, provider, request_id, pending, None, 200)

    async def decide(request: Request) -> Response:
        services: Services = request.state.services
        form = await read_form(request, services.settings.max_api_body_bytes)
        request_id = form.get("request", "")
        pending = await provider.pending(request_id) if request_id else None
        if pending is None:
            return _expired()
        if is_cross_site(request, services.settings.public_url):
            return await _render(
                request, provider, request_id, pending, "This form can only be sent from this site.", 403
            )
        if form.get("decision") != "approve":
            if not await provider.take_pending(request_id):
                return _expired()
            return _redirect(provider, pending, error="access_denied", error_description="The user denied access.")
        token_text = form.get("connection_token", "").strip()
        try:
            if token_text:
                match = TOKEN_IN_TEXT.search(token_text)
                record = await services.connections.find(match.group(1)) if match else None
                if record is None:
                    raise ApiError(401, "unauthorized", "That URL or token does not open any connection.")
                connection_id = record.id
            else:
                policy = replace(NEW_CONNECTION, profile=form_profile(form, CORE))
                await check_signup_rate(request)
                connection_id = (await services.connections.create(form.get("api_key"), policy)).record.id
        except ApiError as exc:
            return await _render(request, provider, request_id, pending, exc.message, exc.status)
        if not await provider.take_pending(request_id):
            return _expired()
        code = await provider.issue_code(pending, connection_id)
        return _redirect(provider, pending, code=code)

    return [Route("/oauth/consent", show, methods=["GET"]), Route("/oauth/consent", decide, methods=["POST"])]
