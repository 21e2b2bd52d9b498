"""Libraries: ``GET /v1/libraries/{library_id}`` (Library), read by the ``mistral://libraries/…`` resource.

Tests store libraries with ``FakeMistral.add_library``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .common import get_state, path_uuid, route, visible
from .errors import not_found


async def get_library(request: Request) -> Response:
    library_id = path_uuid(request, "library_id")
    if isinstance(library_id, Response):
        return library_id
    state = get_state(request)
    with state.lock:
        library = state.libraries.get(library_id)
    if library is None or not visible(request, library_id):
        return not_found("Library", library_id)
    return JSONResponse(library)


routes = [
    route("/v1/libraries/{library_id}", {"GET": get_library}),
]
