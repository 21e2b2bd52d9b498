"""MCP prompts: ready-made workflows (`catalog.py`) and completion of their arguments (`completion.py`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import mcp_types as types

from server.errors import InvalidParams
from server.prompts.catalog import PROMPTS
from server.prompts.completion import complete
from server.prompts.spec import PromptSpec
from server.tools.families import Caller

__all__ = ["Prompts", "complete"]


class Prompts:
    """The prompts a caller may use: those whose tool families their connection allows."""

    def __init__(self, specs: Sequence[PromptSpec] = PROMPTS) -> None:
        self._specs = {spec.name: spec for spec in specs}

    def listing(self, caller: Caller) -> types.ListPromptsResult:
        offered = [spec.to_mcp() for spec in self._specs.values() if caller.allows_all(spec.families)]
        return types.ListPromptsResult(prompts=offered)

    def get(self, caller: Caller, name: str, arguments: Mapping[str, str] | None) -> types.GetPromptResult:
        """Raises:
        InvalidParams: an unknown prompt (or one this connection may not use), or bad arguments.
        """
        spec = self._specs.get(name)
        if spec is None or not caller.allows_all(spec.families):
            raise InvalidParams(f"Unknown prompt {name[:100]!r}: list prompts to see the ones offered.")
        return spec.render(arguments)
