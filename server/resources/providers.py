"""`Resources`: `resources/*` across providers, one per URI scheme.

A provider answers for the URIs it `handles`; `Resources` pages `resources/list` through each
provider in turn (the cursor names the provider and that provider's own cursor) and sends
`resources/read` to the provider of the URI.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Protocol

import mcp_types as types

from server.errors import InvalidParams, ResourceNotFound
from server.tools.families import Caller

__all__ = ["ResourceProvider", "Resources"]

_BAD_CURSOR = "Invalid cursor: list resources again from the start."


class ResourceProvider(Protocol):
    def handles(self, uri: str) -> bool:
        """Whether `uri` is this provider's to read (its scheme, usually)."""
        ...

    def templates(self, caller: Caller) -> list[types.ResourceTemplate]: ...

    async def list_page(self, caller: Caller, cursor: str | None) -> tuple[list[types.Resource], str | None]:
        """One page of resources from `cursor` (None: the first page), and the cursor of the next one.

        Raises:
            InvalidParams: a cursor this provider did not hand out.
            UpstreamError: Mistral could not list them.
        """
        ...

    async def read(self, caller: Caller, uri: str) -> types.ReadResourceResult:
        """Raises:
        ResourceNotFound: nothing this caller may read is at `uri`.
        UpstreamError: Mistral could not answer.
        """
        ...


def _encode(index: int, inner: str | None) -> str:
    return base64.urlsafe_b64encode(json.dumps([index, inner]).encode()).decode().rstrip("=")


def _decode(cursor: str, providers: int) -> tuple[int, str | None]:
    try:
        index, inner = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, TypeError):
        raise InvalidParams(_BAD_CURSOR) from None
    if not isinstance(index, int) or not 0 <= index < providers or not (inner is None or isinstance(inner, str)):
        raise InvalidParams(_BAD_CURSOR)
    return index, inner


class Resources:
    """Every resource the server offers, over providers listed in order."""

    def __init__(self, providers: Sequence[ResourceProvider]) -> None:
        self._providers = tuple(providers)

    def templates(self, caller: Caller) -> types.ListResourceTemplatesResult:
        found = [template for provider in self._providers for template in provider.templates(caller)]
        return types.ListResourceTemplatesResult(resource_templates=found)

    async def list(self, caller: Caller, cursor: str | None) -> types.ListResourcesResult:
        """Raises:
        InvalidParams: a cursor this server did not hand out.
        UpstreamError: Mistral could not list them.
        """
        index, inner = _decode(cursor, len(self._providers)) if cursor else (0, None)
        while index < len(self._providers):
            resources, inner = await self._providers[index].list_page(caller, inner)
            if inner is None:
                index += 1
            done = index >= len(self._providers)
            # A provider with nothing to list hands over to the next at once rather than through the client.
            if resources or inner is not None or done:
                following = None if done else _encode(index, inner)
                return types.ListResourcesResult(resources=resources, next_cursor=following)
        return types.ListResourcesResult(resources=[])

    async def read(self, caller: Caller, uri: str) -> types.ReadResourceResult:
        """Raises:
        ResourceNotFound: no provider has anything this caller may read at `uri`.
        UpstreamError: Mistral could not answer.
        """
        for provider in self._providers:
            if provider.handles(uri):
                return await provider.read(caller, uri)
        raise ResourceNotFound(uri, unknown(uri))


def unknown(uri: str) -> str:
    return f"Unknown resource {uri[:200]!r}: list resources or resource templates to see what exists."
