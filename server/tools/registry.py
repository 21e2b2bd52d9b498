"""The tool registry: the one place where tool errors become MCP `isError` results.

Tools are data (`server/tools/spec.py`): a spec names its endpoint, and its `ToolCall` carries the
caller's key to the shared upstream client. `call` also applies what every tool needs: argument
validation, a deadline, keep-alive progress and the result size cap.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable
from typing import Any

import anyio
import mcp_types as types
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from server.errors import ToolArgumentError, UpstreamError, UpstreamStreamBroken
from server.limits.deadlines import DEADLINE_GRACE, TOOL_DEADLINE
from server.tools.limits import fit_result, json_size
from server.tools.progress import ProgressFn, ProgressReporter
from server.tools.spec import ToolCall, ToolOutput, ToolSpec
from server.upstream.client import MistralClient
from server.views import VIEW_DATA_KEY

logger = logging.getLogger(__name__)

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


def _refuse_non_finite(value: Any, path: tuple[str | int, ...]) -> None:
    """Raise for NaN or ±Infinity anywhere in `value`.

    Python's JSON reader accepts these non-standard literals, JSON Schema's bounds let NaN through
    (every comparison with it is false), and no JSON writer can send either on to Mistral.

    Raises:
        ToolArgumentError: naming where the number is.
    """
    if isinstance(value, float) and not math.isfinite(value):
        where = ".".join(str(p) for p in path) or "arguments"
        raise ToolArgumentError(f"Invalid argument '{where}': {value} is not a finite number; give a real number.")
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_non_finite(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_non_finite(item, (*path, index))


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
        # Built once: listing tools is on every client's hot path and never changes at run time.
        self._listing = types.ListToolsResult(tools=[s.to_mcp() for s in self._specs.values()])
        self._model_listing = types.ListToolsResult(tools=[t for t in self._listing.tools if not _app_only(t)])
        self._running = 0
        self._idle = anyio.Event()
        self._idle.set()

    def __iter__(self) -> Any:
        return iter(self._specs.values())

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def get(self, name: str) -> ToolSpec | None:
        return self._specs.get(name)

    def listing(self, *, app_tools: bool = True) -> types.ListToolsResult:
        """Every tool; without `app_tools`, not the ones only views call (for clients that show no views)."""
        return self._listing if app_tools else self._model_listing

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
        _refuse_non_finite(arguments, ())
        error = best_match(self._validators[name].iter_errors(arguments))
        if error is not None:
            raise ToolArgumentError(_describe(error))
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
    ) -> tuple[types.CallToolResult, ToolOutput | None]:
        """Run a tool; every failure becomes an `isError` result, never an exception."""
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
                outcome = await self._run(spec, arguments, upstream, api_key, reporter)
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
    ) -> tuple[types.CallToolResult, ToolOutput | None]:
        try:
            deadline = time.monotonic() + TOOL_DEADLINE
            call = ToolCall(self.validate(spec.name, arguments), upstream, api_key, progress, deadline, spec=spec)
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
