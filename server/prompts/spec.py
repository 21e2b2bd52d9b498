"""Prompts as data: typed arguments (each may say where completions come from) and the text they make."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import mcp_types as types

from server.errors import InvalidParams
from server.prompts.suggestions import Suggestions
from server.tools.families import Family
from server.tools.icons import ICONS

# A prompt's argument travels in one MCP request; anything longer belongs in a file.
MAX_ARGUMENT_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class Argument:
    name: str
    description: str
    required: bool = False
    suggests: Suggestions | None = None  # what completion/complete offers for it
    several: bool = False  # a comma-separated list: completion completes its last item

    def to_mcp(self) -> types.PromptArgument:
        return types.PromptArgument(name=self.name, description=self.description, required=self.required)


@dataclass(frozen=True, slots=True)
class PromptSpec:
    """A workflow offered as a slash command: the message that walks the model through our tools."""

    name: str
    title: str
    description: str
    arguments: tuple[Argument, ...]
    families: frozenset[Family]  # the tool families its steps use
    text: Callable[[Mapping[str, str]], str]  # the user message, from the arguments given (stripped, non-empty)

    def argument(self, name: str) -> Argument | None:
        return next((argument for argument in self.arguments if argument.name == name), None)

    def to_mcp(self) -> types.Prompt:
        return types.Prompt(
            name=self.name,
            title=self.title,
            description=self.description,
            arguments=[argument.to_mcp() for argument in self.arguments],
            icons=list(ICONS),
        )

    def render(self, arguments: Mapping[str, str] | None) -> types.GetPromptResult:
        """Raises:
        InvalidParams: an unknown, missing or oversized argument.
        """
        given = {name: value.strip() for name, value in (arguments or {}).items() if value and value.strip()}
        unknown = sorted(set(given) - {argument.name for argument in self.arguments})
        if unknown:
            allowed = ", ".join(argument.name for argument in self.arguments)
            raise InvalidParams(f"Unknown argument {unknown[0]!r} for prompt {self.name}. Its arguments: {allowed}.")
        missing = [argument.name for argument in self.arguments if argument.required and argument.name not in given]
        if missing:
            raise InvalidParams(f"Prompt {self.name} needs the argument {missing[0]!r}.")
        for name, value in given.items():
            if len(value) > MAX_ARGUMENT_CHARS:
                raise InvalidParams(
                    f"Argument {name!r} is too long ({len(value):,} characters; at most {MAX_ARGUMENT_CHARS:,})."
                )
        message = types.PromptMessage(role="user", content=types.TextContent(type="text", text=self.text(given)))
        return types.GetPromptResult(description=self.description, messages=[message])
