"""Tools as data: a `ToolSpec` names the Mistral endpoint it calls once, and a `ToolCall` derives
the request from it.

The path's `{slots}` are filled from the arguments of the same name; every other argument is
forwarded to Mistral as it is (a POST's JSON body, a GET's or DELETE's query, or the query of a
POST, PATCH or PUT when the spec lists it in `query`) unless the spec declares it `tool_only`:
consumed by the tool itself or sent in another shape. A plain proxy tool is then a spec and, when
the reply needs one, a renderer; a tool that does more brings its own `run`.
"""

from __future__ import annotations

import json
import string
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import mcp_types as types

from server.errors import ToolArgumentError
from server.policy import model_refusal
from server.tools.icons import ICONS
from server.tools.progress import ProgressFn
from server.upstream.client import Download, FileField, FormPart, MistralClient
from server.views import tool_meta

__all__ = ["EXTRA", "Operation", "Renderer", "ToolCall", "ToolFn", "ToolOutput", "ToolSpec"]

# The argument grouping a spec's `extra` fields (server/tools/extra.py checks them against the reference).
EXTRA = "extra"

# Methods whose arguments travel in the query string; the others carry a JSON body.
_QUERY_METHODS = frozenset({"GET", "DELETE"})


@dataclass(frozen=True, slots=True)
class ToolOutput:
    """What a tool hands back: text a model reads, the full response as structured data, and what only
    its view needs (sent in the result's `_meta`, which hosts give the view and not the model)."""

    text: str
    structured: dict[str, Any] | None = None
    usage: Mapping[str, Any] | None = None
    # More MCP content blocks after the text: an embedded file, `resource_link`s to what a client can read later.
    content: tuple[types.ContentBlock, ...] = ()
    view: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Operation:
    """One Mistral endpoint: a method and a path whose `{slots}` name arguments of the tool."""

    method: str
    path: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def slots(self) -> tuple[str, ...]:
        return tuple(name for _, name, _, _ in string.Formatter().parse(self.path) if name)

    def fill(self, arguments: Mapping[str, Any]) -> str:
        """The path with each slot percent-encoded from its argument, one path segment each."""
        ids = {name: urllib.parse.quote(str(arguments[name]), safe=":@") for name in self.slots}
        return self.path.format(**ids)


@dataclass(slots=True)
class ToolCall:
    """One invocation: validated arguments plus the means to reach Mistral as this user."""

    arguments: dict[str, Any]
    upstream: MistralClient
    api_key: str = field(repr=False)
    progress: ProgressFn | None = None
    deadline: float | None = None  # time.monotonic() by which a streamed reply must be done
    spec: ToolSpec | None = None
    allowed_models: frozenset[str] | None = None  # the connection's model allow-list (None: any model)

    @property
    def _spec(self) -> ToolSpec:
        if self.spec is None:
            raise RuntimeError("this call was made without its tool spec")
        return self.spec

    def fields(self) -> dict[str, Any]:
        """The arguments the caller set that Mistral takes as they are, the fields of `extra` among them."""
        fields = {name: self.arguments[name] for name in self._spec.forwarded if name in self.arguments}
        if self._spec.extra:
            fields.update(self.arguments.get(EXTRA, {}))
        return fields

    def path(self, *, alternate: bool = False) -> str:
        return self._spec.operation(alternate=alternate).fill(self.arguments)

    def _check_model(self, body: object) -> None:
        """Refuse a body that would run a model outside the allow-list, defaults included: the model a
        tool fills in itself is checked here, where every request body leaves.

        Raises:
            ToolArgumentError: naming the model and the allowed ones.
        """
        model = body.get("model") if self.allowed_models is not None and isinstance(body, Mapping) else None
        if isinstance(model, str) and self.allowed_models is not None and model not in self.allowed_models:
            raise ToolArgumentError(model_refusal(self._spec.name, model, self.allowed_models))

    async def send(
        self,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        files: Mapping[str, FileField] | None = None,
        data: Mapping[str, str] | None = None,
        multipart: Sequence[tuple[str, FormPart]] | None = None,
        alternate: bool = False,
    ) -> Any:
        """Call the spec's endpoint (its alternate one if asked) and return the decoded reply.

        Raises:
            ToolArgumentError: the body names a model the connection does not allow.
        """
        self._check_model(json)
        self._check_model(data)
        self._check_model(_text_parts(multipart))
        operation = self._spec.operation(alternate=alternate)
        response = await self.upstream.request(
            self.api_key,
            operation.method,
            operation.fill(self.arguments),
            json=json,
            params=params,
            files=files,
            data=data,
            multipart=multipart,
        )
        return response.json()

    async def forward(self, fields: Mapping[str, Any] | None = None, *, alternate: bool = False) -> Any:
        """Send `fields` (by default the forwarded arguments) as the query of a GET or DELETE, or the
        JSON body of a POST, PATCH or PUT, less the spec's `query` arguments, which go in its query;
        an endpoint whose only arguments are path slots or query arguments gets no body."""
        fields = self.fields() if fields is None else fields
        if self._spec.operation(alternate=alternate).method in _QUERY_METHODS:
            return await self.send(params=fields or None, alternate=alternate)
        query = {name: value for name, value in fields.items() if name in self._spec.query}
        body = {name: value for name, value in fields.items() if name not in self._spec.query}
        takes_body = bool(body) or any(name not in self._spec.query for name in self._spec.forwarded)
        return await self.send(json=body if takes_body else None, params=query or None, alternate=alternate)

    def stream(
        self,
        body: Any = None,
        *,
        multipart: Sequence[tuple[str, FormPart]] | None = None,
        final: Callable[[dict[str, Any]], bool] | None = None,
    ) -> AbstractAsyncContextManager[AsyncIterator[dict[str, Any]]]:
        """The spec's endpoint as server-sent events: `"stream": true` added to the JSON `body`, or
        as a part of the `multipart` body; `final` recognises the last event of a stream without `[DONE]`.

        Raises:
            ToolArgumentError: the body names a model the connection does not allow.
        """
        self._check_model(_text_parts(multipart) if multipart is not None else body)
        if multipart is not None:
            parts = [*multipart, ("stream", "true")]
            return self.upstream.stream(self.api_key, self.path(), multipart=parts, final=final)
        return self.upstream.stream(self.api_key, self.path(), json={**body, "stream": True}, final=final)

    async def download(self, *, offset: int, limit: int, alternate: bool = False) -> Download:
        path = self.path(alternate=alternate)
        return await self.upstream.download(self.api_key, path, offset=offset, limit=limit)


def _text_parts(multipart: Sequence[tuple[str, FormPart]] | None) -> dict[str, str] | None:
    """A multipart body's plain fields (a `model` among them), for the checks JSON bodies get."""
    return {name: part for name, part in multipart if isinstance(part, str)} if multipart is not None else None


ToolFn = Callable[[ToolCall], Awaitable[ToolOutput]]
Renderer = Callable[[ToolCall, Any], ToolOutput]


def render_json(call: ToolCall, reply: Any) -> ToolOutput:
    """The reply as it came, for tools whose reply needs no words around it."""
    structured = reply if isinstance(reply, dict) else {"data": reply}
    return ToolOutput(json.dumps(reply, ensure_ascii=False), structured)


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool: what the model reads, the Mistral endpoint it calls, and how the reply is told.

    Without `run`, calling the tool forwards its arguments to `method path` and hands the reply to
    `render` (by default, the reply's JSON).
    """

    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    method: str
    path: str
    family: str = ""  # one of server.policy.FAMILIES: what a connection's profile shows (checked by a test)
    render: Renderer = render_json
    run: ToolFn | None = None  # a tool that does more than forward its arguments and render the reply
    tool_only: frozenset[str] = frozenset()  # arguments never forwarded under their own name
    query: frozenset[str] = frozenset()  # arguments a POST, PATCH or PUT sends in its query string, not its body
    alternate: Operation | None = None  # a second endpoint some arguments choose (e.g. chats, not texts)
    read_only: bool = False
    destructive: bool = False
    idempotent: bool = False
    open_world: bool = True
    output_schema: dict[str, Any] | None = None
    view: str | None = None  # the MCP Apps view (a ui:// resource) hosts show the result in
    app_only: bool = False  # called by a view, never offered to the model (MCP Apps visibility ["app"])
    # Request fields of `method path` taken inside the `extra` argument, not at the top: the rarely used ones.
    extra: frozenset[str] = frozenset()
    forwarded: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        properties = self.input_schema.get("properties", {})
        slots = {slot for operation in self.operations for slot in operation.slots}
        unknown = (self.tool_only | self.query | slots) - set(properties)
        if unknown:
            raise ValueError(f"{self.name}: {sorted(unknown)} are path slots, tool-only or query but not arguments")
        if self.extra and (EXTRA not in properties or self.extra & set(properties)):
            raise ValueError(f"{self.name}: extra fields need an `{EXTRA}` argument and must not be arguments too")
        kept = self.tool_only | slots | ({EXTRA} if self.extra else set())
        object.__setattr__(self, "forwarded", tuple(name for name in properties if name not in kept))

    @property
    def operations(self) -> tuple[Operation, ...]:
        primary = Operation(self.method, self.path)
        return (primary, self.alternate) if self.alternate is not None else (primary,)

    def operation(self, *, alternate: bool = False) -> Operation:
        if not alternate:
            return Operation(self.method, self.path)
        if self.alternate is None:
            raise RuntimeError(f"{self.name} has no alternate endpoint")
        return self.alternate

    @property
    def endpoint(self) -> str:
        """The endpoints this tool calls as README's Tools table shows them: "METHOD /path", comma-separated."""
        return ", ".join(str(operation) for operation in self.operations)

    async def execute(self, call: ToolCall) -> ToolOutput:
        if self.run is not None:
            return await self.run(call)
        return self.render(call, await call.forward())

    def to_mcp(self) -> types.Tool:
        where = "Mistral endpoints" if self.alternate is not None else "Mistral endpoint"
        return types.Tool(
            name=self.name,
            title=self.title,
            description=f"{self.description} {where}: {self.endpoint}.",
            input_schema=self.input_schema,
            output_schema=self.output_schema,
            icons=list(ICONS),
            # The title is the tool's own (MCP 2025-11-25); `annotations.title` would only repeat it.
            annotations=types.ToolAnnotations(
                read_only_hint=self.read_only,
                destructive_hint=self.destructive,
                idempotent_hint=self.idempotent,
                open_world_hint=self.open_world,
            ),
            _meta=tool_meta(self.view, app_only=self.app_only),
        )
