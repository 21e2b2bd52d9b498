"""Helpers shared by the route modules: state access, body/query parsing, ids."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .errors import validation_error
from .models import ResolvedModel, resolve
from .state import FakeMistral, RecordedRequest
from .validation import Model, QueryReader, validate_json_body, validate_path_uuid

RECORD_SCOPE_KEY = "fake_mistral.record"

Handler = Callable[[Request], Awaitable[Response]]


def route(path: str, handlers: Mapping[str, Handler]) -> Route:
    """One route serving several methods, so a wrong method gets 405 with a full Allow header."""

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    return Route(path, endpoint, methods=list(handlers))


def get_state(request: Request) -> FakeMistral:
    state: FakeMistral = request.app.state.fake_mistral
    return state


def record_of(request: Request) -> RecordedRequest:
    record: RecordedRequest = request.scope[RECORD_SCOPE_KEY]
    return record


def visible(request: Request, resource_id: str) -> bool:
    """Whether the key of this request may see ``resource_id`` (see ``FakeMistral.own``)."""
    return get_state(request).visible(resource_id, record_of(request).api_key)


def own(request: Request, resource_id: str) -> None:
    get_state(request).own(resource_id, record_of(request).api_key)


async def read_body(request: Request, schema: Model) -> dict[str, Any] | Response:
    """The validated JSON body, or the 422 response the real API would send."""
    data, errors = validate_json_body(await request.body(), schema)
    if data is None:
        return validation_error(errors)
    return data


def query_reader(request: Request) -> QueryReader:
    return QueryReader(request.query_params, request.query_params.multi_items())


def path_uuid(request: Request, name: str) -> str | Response:
    """A ``format: uuid`` path parameter, or FastAPI's 422 ``uuid_parsing`` response."""
    value, errors = validate_path_uuid(request.path_params[name], name)
    return validation_error(errors) if errors else value


def resolve_model(state: FakeMistral, model_id: str) -> ResolvedModel | None:
    with state.lock:
        return resolve(model_id, state.fine_tuned_models)


def hex_id() -> str:
    return uuid.uuid4().hex


def paginate(items: list[Any], page: int, page_size: int) -> list[Any]:
    start = page * page_size
    return items[start : start + page_size]
