"""Parse Mistral's server-sent events: `data: {chunk}` lines ending with `data: [DONE]`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any


class StreamFormatError(ValueError):
    pass


async def iter_sse_json(lines: AsyncIterator[str]) -> AsyncIterator[dict[str, Any]]:
    """Yield each JSON chunk; return at `[DONE]`.

    Raises:
        StreamFormatError: the stream ended without `[DONE]`, or a chunk is not JSON.
    """
    data_lines: list[str] = []
    async for line in lines:
        if line.startswith("data:"):
            data_lines.append(line[5:].lstrip(" "))
            continue
        if line.strip() or not data_lines:
            continue  # comments, event names, ids and keep-alive blank lines
        data = "\n".join(data_lines)
        data_lines = []
        if data.strip() == "[DONE]":
            return
        try:
            chunk = json.loads(data)
        except ValueError:
            raise StreamFormatError("Mistral sent a stream event that is not JSON") from None
        if isinstance(chunk, dict):
            yield chunk
    if data_lines and "\n".join(data_lines).strip() == "[DONE]":
        return
    raise StreamFormatError("Mistral's stream ended before its end marker")
