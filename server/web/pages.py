"""The sign-up page: a form that posts the key and answers with the MCP URL, shown once."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from server.errors import ApiError
from server.services import Services
from server.web.bodies import read_form
from server.web.templates import result_page, signup_page

STATIC_DIR = Path(__file__).parent / "static"


def _page(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def is_cross_site(request: Request, public_url: str) -> bool:
    """A form post from another site (CSRF): judged by Sec-Fetch-Site, else by Origin."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in {"same-origin", "none"}
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin == "null"
    public = urlsplit(public_url)
    return origin not in {f"{public.scheme}://{public.netloc}", f"{request.url.scheme}://{request.url.netloc}"}


async def signup_form(_request: Request) -> Response:
    return _page(signup_page())


async def signup_submit(request: Request) -> Response:
    services: Services = request.state.services
    if is_cross_site(request, services.settings.public_url):
        return _page(signup_page("This form can only be sent from this site."), 403)
    try:
        form = await read_form(request, services.settings.max_api_body_bytes)
        created = await services.connections.create(form.get("api_key"))
    except ApiError as exc:
        # The message never contains the key; the form is re-rendered empty on purpose.
        return _page(signup_page(exc.message), exc.status)
    return _page(result_page(services.mcp_url(created.token), services.settings.public_url, created.token), 201)


ROUTES = [
    Route("/", signup_form, methods=["GET"]),
    Route("/", signup_submit, methods=["POST"]),
    Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
]
