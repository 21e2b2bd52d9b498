"""The ASGI app: a gateway middleware (record, stall, inject faults, authenticate) before the routes.

Order for every HTTP request:
1. read the whole body and record the request (even if it is rejected later);
2. ``stall_next``: sleep before anything is sent (stops early if the client leaves);
   ``hold_next``: wait the same way, until the test calls ``release_held``;
3. ``fail_next``: answer the injected status (after its own ``delay``);
4. check ``Authorization: Bearer <key>`` against ``valid_keys`` (401 otherwise);
5. route; unknown paths get 404 and wrong methods 405, FastAPI-style.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import (
    routes_agent_building,
    routes_agents,
    routes_audio,
    routes_batch,
    routes_classifiers,
    routes_completions,
    routes_conversations,
    routes_files,
    routes_fine_tuning,
    routes_libraries,
    routes_models,
    routes_ocr,
)
from .common import RECORD_SCOPE_KEY
from .errors import default_error_body, raw_response, unauthorized
from .state import FakeMistral, Fault, RecordedRequest

_PUBLIC_PREFIXES = (routes_files.SIGNED_PREFIX,)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Callable[[], Awaitable[Message]]:
    """A ``receive`` that yields the buffered body once, then defers to the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


FormParts = tuple[dict[str, str], dict[str, tuple[str, bytes, str]], list[tuple[str, str]]]


async def _parse_form(request: Request) -> FormParts | None:
    """Plain fields (the last of each name, and all of them in order) and files of a form body;
    None if it cannot be parsed."""
    fields: dict[str, str] = {}
    items: list[tuple[str, str]] = []
    files: dict[str, tuple[str, bytes, str]] = {}
    try:
        async with request.form() as parsed:
            for name, item in parsed.multi_items():
                if isinstance(item, UploadFile):
                    files[name] = (item.filename or "", await item.read(), item.content_type or "")
                else:
                    fields[name] = item
                    items.append((name, item))
    except Exception:  # malformed multipart: recorded without a form
        return None
    return fields, files, items


async def _record(scope: Scope, body: bytes, receive: Receive) -> RecordedRequest:
    request = Request(scope, _replay(body, receive))
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    content_type = headers.get("content-type", "")
    json_body: Any = None
    parts: FormParts | None = None
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        parts = await _parse_form(request)
    elif body:
        try:
            json_body = json.loads(body)
        except ValueError:
            json_body = None
    return RecordedRequest(
        method=request.method,
        path=request.url.path,
        headers=headers,
        query=dict(request.query_params),
        json=json_body,
        form=parts[0] if parts else None,
        files=parts[1] if parts else None,
        form_items=parts[2] if parts else [],
        api_key=_bearer(headers.get("authorization")),
        body=body,
        query_items=request.query_params.multi_items(),
    )


async def _sleep_unless_disconnected(seconds: float, receive: Receive) -> bool:
    """Sleep; return True if the client disconnected meanwhile."""
    with anyio.move_on_after(seconds):
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return True
    return False


async def _wait_unless_disconnected(released: threading.Event, receive: Receive) -> bool:
    """Wait for `released` (set from the test's thread, so polled); return True if the client left first."""
    gone = False
    async with anyio.create_task_group() as tasks:

        async def watch() -> None:
            nonlocal gone
            while (await receive())["type"] != "http.disconnect":
                pass
            gone = True
            tasks.cancel_scope.cancel()

        tasks.start_soon(watch)
        while not released.is_set():
            await anyio.sleep(0.01)
        tasks.cancel_scope.cancel()
    return gone


def _fault_response(fault: Fault) -> Response:
    headers = {"retry-after": fault.retry_after} if fault.retry_after is not None else None
    if fault.headers:
        headers = {**(headers or {}), **fault.headers}
    body = default_error_body(fault.status) if fault.body is None else fault.body
    return raw_response(fault.status, body, headers)


def _with_header(send: Send, name: bytes, value: bytes) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), (name, value)]}
        await send(message)

    return sending


class GatewayMiddleware:
    """Everything that happens before routing: recording, faults and authentication."""

    def __init__(self, app: ASGIApp, state: FakeMistral) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        record = await _record(scope, body, receive)
        self.state.record(record)
        with self.state.lock:
            cookie = self.state.set_cookie
        if cookie is not None:
            send = _with_header(send, b"set-cookie", cookie.encode())
        scope[RECORD_SCOPE_KEY] = record
        path: str = scope["path"]
        stall = self.state.take_stall(path)
        if stall and await _sleep_unless_disconnected(stall, receive):
            with self.state.lock:
                self.state.hung_up.append(path)
            return
        released = self.state.take_hold(path, record.api_key)
        if released is not None:
            self.state.holding(+1)
            try:
                gone = await _wait_unless_disconnected(released, receive)
            finally:
                self.state.holding(-1)
            if gone:
                with self.state.lock:
                    self.state.hung_up.append(path)
                return
        fault = self.state.take_fault(path)
        if fault is not None:
            if fault.delay and await _sleep_unless_disconnected(fault.delay, receive):
                return
            await _fault_response(fault)(scope, receive, send)
            return
        if not path.startswith(_PUBLIC_PREFIXES):
            with self.state.lock:
                authorised = record.api_key is not None and record.api_key in self.state.valid_keys
            if not authorised:
                await unauthorized()(scope, receive, send)
                return
        await self.app(scope, _replay(body, receive), send)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)


def create_app(state: FakeMistral) -> Starlette:
    """A Starlette app serving the fake Mistral API from ``state``."""
    routes = [
        *routes_models.routes,
        *routes_completions.routes,  # before routes_agents: /v1/agents/completions
        *routes_agents.routes,
        *routes_agent_building.routes,  # other methods on the same paths, and versions and aliases
        *routes_classifiers.routes,
        *routes_files.routes,
        *routes_fine_tuning.routes,
        *routes_batch.routes,
        *routes_ocr.routes,
        *routes_libraries.routes,
        *routes_audio.routes,
        *routes_conversations.routes,
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(GatewayMiddleware, state=state)],
        exception_handlers={HTTPException: _http_exception},
    )
    app.state.fake_mistral = state
    return app
