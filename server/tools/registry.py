"""The tool registry: the one place where tool errors become MCP `isError` results.

Tools are data (`server/tools/spec.py`): a spec names its endpoint, and its `ToolCall` carries the
caller's key to the shared upstream client. `call` also applies what every tool needs: argument
validation, a deadline, keep-alive progress and the result size cap.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Iterable
from typing import Any

import anyio
import mcp_types as types
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from server.errors import ToolArgumentError, UpstreamError, UpstreamStreamBroken
from server.limits.deadlines import DEADLINE_GRACE, TOOL_DEADLINE
from server.policy import EVERYTHING, Policy, Profile
from server.tools.extra import ExtraFields
from server.tools.limits import fit_result, json_size
from server.tools.progress import ProgressFn, ProgressReporter
from server.tools.spec import EXTRA, ToolCall, ToolOutput, ToolSpec
from server.upstream.client import MistralClient
from server.views import VIEW_DATA_KEY

logger = logging.getLogger(__name__)

# A valid pair is one code point once JSON is read; only an unpaired half is left in this range.
_SURROGATE = re.compile("[\ud800-\udfff]")

__all__ = ["ProgressFn", "ToolCall", "ToolOutput", "ToolRegistry", "ToolSpec", "error_result"]


def _describe(error: ValidationError) -> str:
    path = ".".join(str(p) for p in error.absolute_path)
    alternatives = (
        [s.get("required", []) for s in error.validator_value] if error.validator in {"oneOf", "anyOf"} else []
    )
    if alternatives and all(
        len(a) == 1 and len(s) == 1 for a, s in zip(alternatives, error.validator_value, strict=True)
    ):
        names = " or ".join(f"'{a[0]}'" for a in alternatives)
        return f"Give exactly one of {names}."
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        where = f" in '{path}'" if path else ""
        return f"Missing required argument '{missing}'{where}."
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        where = f" in '{path}'" if path else ""
        return f"Unknown argument{where}: {error.message.split('(')[-1].rstrip(')')}. Allowed: {', '.join(allowed)}."
    if error.validator == "enum":
        options = ", ".join(repr(v) for v in error.validator_value)
        return f"Invalid argument '{path}': must be one of {options}."
    if error.validator == "maxLength" and isinstance(error.instance, str):
        return (
            f"Invalid argument '{path}': too long ({len(error.instance):,} characters; "
            f"at most {error.validator_value:,})."
        )
    if error.validator == "pattern" and isinstance(error.instance, str):
        hint = error.schema.get("description") or f"expected the pattern {error.validator_value}"
        return f"Invalid argument '{path}': {error.instance[:80]!r} is not valid ({hint})."
    shown = error.message if len(error.message) < 300 else error.message[:300] + "…"
    return f"Invalid argument '{path or 'arguments'}': {shown}."


def _tags(arm: Any) -> list[Any] | None:
    """The `type` values an object arm of a union takes, or None when it does not say."""
    tag = arm.get("properties", {}).get("type") if isinstance(arm, dict) else None
    if not isinstance(tag, dict):
        return None
    return list(tag["enum"]) if "enum" in tag else [tag["const"]] if "const" in tag else None


def _narrow(error: ValidationError) -> ValidationError | str:
    """For a union of objects told apart by `type` (tools: functions or built-ins), the error of the arm
    the value's `type` names, or what `type` may be; any other error as it is."""
    if error.validator != "anyOf" or not isinstance(error.instance, dict):
        return error
    tag = error.instance.get("type")
    tagged = [(index, _tags(arm), arm) for index, arm in enumerate(error.validator_value)]
    if not any(tags for _, tags, _ in tagged):
        return error
    for index, tags, arm in tagged:
        untyped = tag is None and "type" not in arm.get("required", [])
        if untyped or (tags is not None and tag in tags):
            found = best_match(e for e in error.context or [] if e.schema_path and e.schema_path[0] == index)
            return _narrow(found) if found is not None else error
    kinds = ", ".join(repr(t) for _, tags, _ in tagged for t in tags or [])
    path = ".".join(str(p) for p in (*error.absolute_path, "type"))
    return f"Invalid argument '{path}': {tag!r} is not one of {kinds}."


def _refuse_unsendable(value: Any, path: tuple[str | int, ...]) -> None:
    """Raise for what no JSON request to Mistral can carry, anywhere in `value`: NaN or ±Infinity,
    and text (values and keys) holding an unpaired UTF-16 surrogate.

    Python's JSON reader accepts the non-standard literals and `\\ud800`-style escapes alone, JSON
    Schema's bounds let NaN through (every comparison with it is false), and no JSON writer can send
    either on as UTF-8.

    Raises:
        ToolArgumentError: naming where the value is.
    """
    if isinstance(value, float) and not math.isfinite(value):
        raise ToolArgumentError(
            f"Invalid argument '{_where(path)}': {value} is not a finite number; give a real number."
        )
    if isinstance(value, str) and _SURROGATE.search(value):
        raise ToolArgumentError(
            f"Invalid argument '{_where(path)}': it holds an unpaired surrogate (\\ud800-\\udfff), which is not text."
        )
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and _SURROGATE.search(key):
                raise ToolArgumentError(f"Invalid argument '{_where(path)}': a key holds an unpaired surrogate.")
            _refuse_unsendable(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_unsendable(item, (*path, index))


def _where(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path) or "arguments"


def error_result(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=message)], is_error=True)


class ToolRegistry:
    def __init__(self, specs: Iterable[ToolSpec]) -> None:
        self._specs: dict[str, ToolSpec] = {}
        for spec in specs:
            if spec.name in self._specs:
                raise ValueError(f"duplicate tool {spec.name}")
            Draft202012Validator.check_schema(spec.input_schema)
            self._specs[spec.name] = spec
        self._validators = {name: Draft202012Validator(s.input_schema) for name, s in self._specs.items()}
        self._extra = ExtraFields(self._specs.values())
        # Built once: listing tools is on every client's hot path and never changes at run time.
        self._tools = {name: spec.to_mcp() for name, spec in self._specs.items()}
        # One listing per profile, read-only setting and view support, made on first use: a few hundred at most.
        self._listings: dict[tuple[Profile, bool, bool], types.ListToolsResult] = {}
        self._running = 0
        self._idle = anyio.Event()
        self._idle.set()

    def __iter__(self) -> Any:
        return iter(self._specs.values())

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def get(self, name: str) -> ToolSpec | None:
        return self._specs.get(name)

    def visible(self, policy: Policy) -> list[ToolSpec]:
        """The tools `policy` shows, in listing order: the only ones its connection may call."""
        return [
            spec
            for spec in self._specs.values()
            if policy.shows(spec.name, spec.family, changes_something=not spec.read_only)
        ]

    def listing(self, policy: Policy = EVERYTHING, *, app_tools: bool = True) -> types.ListToolsResult:
        """The tools `policy` shows; without `app_tools`, not the ones only views call (for clients that
        show no views)."""
        key = (policy.profile, policy.read_only, app_tools)
        listing = self._listings.get(key)
        if listing is None:
            tools = [self._tools[spec.name] for spec in self.visible(policy)]
            listing = self._listings[key] = types.ListToolsResult(
                tools=tools if app_tools else [tool for tool in tools if not _app_only(tool)]
            )
        return listing

    @property
    def running(self) -> int:
        """Tool calls started and not yet returned or unwound from a cancellation."""
        return self._running

    async def wait_idle(self) -> None:
        """Return once no tool call is running.

        A caller that records a call's usage does so right after `call` returns or raises, with no
        await in between; so at shutdown, once this returns, every cancelled call has been recorded.
        """
        await self._idle.wait()

    def input_schema(self, name: str) -> dict[str, Any] | None:
        spec = self._specs.get(name)
        return spec.input_schema if spec else None

    def validate(self, name: str, arguments: Any) -> dict[str, Any]:
        """Raises:
        ToolArgumentError: naming the first bad argument.
        """
        if not isinstance(arguments, dict):
            raise ToolArgumentError("Tool arguments must be a JSON object.")
        _refuse_unsendable(arguments, ())
        # Narrowed before best_match, which would otherwise pick an error from any arm of a union.
        errors = [_narrow(e) for e in self._validators[name].iter_errors(arguments)]
        told = next((e for e in errors if isinstance(e, str)), None)
        error = best_match(e for e in errors if not isinstance(e, str))
        if told is not None:
            raise ToolArgumentError(told)
        if error is not None:
            raise ToolArgumentError(_describe(error))
        if isinstance(arguments.get(EXTRA), dict) and self._specs[name].extra:
            self._extra.check(name, arguments[EXTRA])
        coerced: dict[str, Any] = _integers(self._specs[name].input_schema, arguments)
        return coerced

    async def call(
        self,
        name: str,
        arguments: Any,
        *,
        upstream: MistralClient,
        api_key: str,
        progress: ProgressFn | None,
        allowed_models: frozenset[str] | None = None,
    ) -> tuple[types.CallToolResult, ToolOutput | None]:
        """Run a tool; every failure becomes an `isError` result, never an exception.

        Whether the caller may run it at all is decided before (`server.tools.access`); `allowed_models`
        is checked again on every request body the tool sends, where the models it fills in show.
        """
        spec = self._specs.get(name)
        if spec is None:
            return error_result(f"Unknown tool '{name}'. Call tools/list to see the available tools."), None
        reporter = ProgressReporter(progress) if progress is not None else None
        self._running += 1
        if self._running == 1:
            self._idle = anyio.Event()
        try:
            async with anyio.create_task_group() as tasks:
                if reporter is not None:
                    tasks.start_soon(reporter.keep_alive)
                outcome = await self._run(spec, arguments, upstream, api_key, reporter, allowed_models)
                tasks.cancel_scope.cancel()
            return outcome
        finally:
            self._running -= 1
            if self._running == 0:
                self._idle.set()

    async def _run(
        self,
        spec: ToolSpec,
        arguments: Any,
        upstream: MistralClient,
        api_key: str,
        progress: ProgressFn | None,
        allowed_models: frozenset[str] | None,
    ) -> tuple[types.CallToolResult, ToolOutput | None]:
        try:
            deadline = time.monotonic() + TOOL_DEADLINE
            arguments = self.validate(spec.name, arguments)
            call = ToolCall(arguments, upstream, api_key, progress, deadline, spec=spec, allowed_models=allowed_models)
            with anyio.fail_after(TOOL_DEADLINE + DEADLINE_GRACE):
                output = await spec.execute(call)
        except UpstreamStreamBroken as exc:
            partial = f"\n\nReceived before the break:\n{exc.partial_text}" if exc.partial_text else ""
            text, _ = fit_result(f"{exc}{partial}", None)
            return error_result(text), None
        except (ToolArgumentError, UpstreamError) as exc:
            return error_result(str(exc)), None
        except TimeoutError:
            return error_result(
                f"{spec.name} was stopped after {TOOL_DEADLINE:.0f} s, before MCP clients give up on a call. "
                "Ask for less work per call (fewer pages or inputs, a smaller max_tokens), or use a batch job."
            ), None
        except Exception:
            logger.exception("tool %s failed unexpectedly", spec.name)
            return error_result(
                f"{spec.name} failed because of an internal error; it has been logged. Try again."
            ), None
        return _result(output), output


def _content_chars(block: types.ContentBlock) -> int:
    if isinstance(block, types.ImageContent):
        # A client hands an image to the model as an image, not as characters; replies bound their
        # images themselves (server/tools/replies/media.py).
        return 0
    if isinstance(block, types.TextContent):
        return len(block.text)
    if isinstance(block, types.EmbeddedResource):
        resource = block.resource
        return len(resource.text if isinstance(resource, types.TextResourceContents) else resource.blob)
    return len(block.model_dump_json())


def _app_only(tool: types.Tool) -> bool:
    ui = (tool.meta or {}).get("ui") or {}
    return "model" not in ui.get("visibility", ["model"])


def _result(output: ToolOutput) -> types.CallToolResult:
    meta = {VIEW_DATA_KEY: dict(output.view)} if output.view is not None else None
    others = sum(_content_chars(b) for b in output.content) + (json_size(meta) if meta is not None else 0)
    text, structured = fit_result(output.text, output.structured, others)
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text), *output.content],
        structured_content=structured,
        is_error=False,
        _meta=meta,
    )


def _integers(schema: Any, value: Any) -> Any:
    """`value` with whole-number floats made ints where `schema` says integer.

    JSON Schema counts 10.0 as an integer, so it passes validation; Python does not, and a float
    page number or byte offset would end up in a query string as "2.0" or slice nothing but a TypeError.
    """
    if not isinstance(schema, dict):
        return value
    kind = schema.get("type")
    if (
        isinstance(value, float)
        and value.is_integer()
        and (kind == "integer" or (isinstance(kind, list) and "integer" in kind))
    ):
        return int(value)
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        return {key: _integers(properties.get(key), item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integers(schema.get("items"), item) for item in value]
    return value
