"""The sign-up page: a form that posts the key and answers with the MCP URL, shown once."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from server.errors import ApiError
from server.http.bodies import read_form
from server.policy import CORE, NEW_CONNECTION, Profile
from server.policy.input import form_profile
from server.services import Services
from server.web.policy_templates import profile_fieldset
from server.web.signup_guard import check_signup_rate
from server.web.templates import result_page, signup_page

STATIC_DIR = Path(__file__).parent / "static"

CROSS_SITE_MESSAGE = "This form can only be sent from this site. Open the page again and send it from there."

# What a person sees on the page for each error code; the API keeps its own wording.
_HUMAN_MESSAGES = {
    "missing_api_key": "Paste your Mistral API key in the box first.",
    "invalid_api_key": (
        "That does not look like a Mistral API key: it is one line of letters and digits, without spaces. "
        "Copy it again from console.mistral.ai."
    ),
    "mistral_unreachable": "We could not reach Mistral to check your key. Nothing was saved; try again in a minute.",
    "payload_too_large": "That is far too long to be a Mistral API key.",
    "invalid_form": "The form could not be read. Reload the page and try again.",
    "invalid_calls_per_day": "Calls per day must be a whole number of at least 1, or empty for no cap.",
    "invalid_tokens_per_month": "Tokens per month must be a whole number of at least 1, or empty for no cap.",
    "invalid_allowed_models": (
        "Allowed models must be model ids separated by spaces (at most 50, e.g. mistral-small-latest), "
        "or empty for every model."
    ),
}


def page(html: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    # no-store: these pages can hold a secret URL, which must not linger in any cache.
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})


def human_message(error: ApiError) -> str:
    return _HUMAN_MESSAGES.get(error.code, error.message)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    default_port = {"http": 80, "https": 443}.get(scheme)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port if parts.port not in {None, default_port} else None
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


def is_cross_site(request: Request, public_url: str) -> bool:
    """A form post from another site (CSRF): judged by Sec-Fetch-Site, else by Origin.

    Browsers send at least one of them on every form post; a request with neither does not come
    from a browser page, so it carries no victim's ambient credentials (there are none here anyway).
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in {"same-origin", "none"}
    origin = request.headers.get("origin")
    if origin is None:
        return False
    if origin == "null":
        return True
    try:
        return _origin(origin) not in {_origin(public_url), _origin(str(request.url))}
    except ValueError:  # not a URL a browser would send (a port out of range, say)
        return True


def _signup(services: Services, error: str | None = None, profile: Profile = CORE) -> str:
    return signup_page(profile_fieldset(services.registry, profile), error)


async def signup_form(request: Request) -> Response:
    return page(_signup(request.state.services))


async def signup_submit(request: Request) -> Response:
    services: Services = request.state.services
    if is_cross_site(request, services.settings.public_url):
        return page(_signup(services, CROSS_SITE_MESSAGE), 403)
    profile = CORE
    try:
        await check_signup_rate(request)
        form = await read_form(request, services.settings.max_api_body_bytes)
        # Checked before the key goes to Mistral: a bad choice costs no upstream call.
        profile = form_profile(form, CORE)
        created = await services.connections.create(form.get("api_key"), replace(NEW_CONNECTION, profile=profile))
    except ApiError as exc:
        # The key field is re-rendered empty on purpose: the typed key never comes back in the page.
        return page(_signup(services, human_message(exc), profile), exc.status, exc.headers)
    mcp_endpoint = f"{services.settings.public_url}/mcp"
    return page(result_page(services.mcp_url(created.token), mcp_endpoint, created.token), 201)


ROUTES = [
    Route("/", signup_form, methods=["GET"]),
    Route("/", signup_submit, methods=["POST"]),
    Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
]
