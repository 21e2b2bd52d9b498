"""Parse Mistral's server-sent events: `data: {chunk}` lines ending with `data: [DONE]`, or, for
streams that send no such marker (transcriptions), with their final event.

Lines are split here rather than by httpx, whose line reader grows without limit until it
sees a line break: a stream's lines, each event and the whole stream are bounded.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

# Mistral sends a tool call's arguments whole in one event; this leaves room for the longest
# reply a model can write, and still stops a runaway event long before memory does.
MAX_EVENT_BYTES = 8 * 1024 * 1024


class StreamFormatError(ValueError):
    pass


async def iter_sse_lines(chunks: AsyncIterator[bytes], *, max_total: int) -> AsyncIterator[str]:
    """Yield each line (CRLF, LF or CR ends one) of the byte stream `chunks`, without its ending.

    Raises:
        StreamFormatError: a line longer than `MAX_EVENT_BYTES`, or more than `max_total` bytes in all.
    """
    max_line = min(MAX_EVENT_BYTES, max_total)
    pending = bytearray()
    total = 0
    async for chunk in chunks:
        total += len(chunk)
        if total > max_total:
            raise StreamFormatError(f"it grew past the {max_total:,} bytes this server reads from one reply")
        if b"\n" not in chunk and b"\r" not in chunk:
            pending += chunk  # no line ends here: nothing to split (and no rescanning of a long line)
        else:
            lines = (bytes(pending) + chunk).splitlines(keepends=True)
            pending = bytearray()
            # The last piece is a line still arriving, or ends in a CR whose LF may open the next chunk.
            if lines[-1].endswith(b"\r") or not lines[-1].endswith(b"\n"):
                pending += lines.pop()
            for line in lines:
                yield line.rstrip(b"\r\n").decode("utf-8", errors="replace")
        if len(pending) > max_line:
            raise StreamFormatError(f"one of its lines grew past {max_line:,} bytes")
    for line in bytes(pending).splitlines():
        yield line.decode("utf-8", errors="replace")


async def iter_sse_json(
    lines: AsyncIterator[str], *, final: Callable[[dict[str, Any]], bool] | None = None
) -> AsyncIterator[dict[str, Any]]:
    """Yield each JSON chunk; return at `[DONE]`, or after a chunk that `final` says ends the stream.

    Raises:
        StreamFormatError: the stream ended without its end marker, an event is larger than
            `MAX_EVENT_BYTES`, or a chunk is not JSON.
    """
    data_lines: list[str] = []
    size = 0
    async for line in lines:
        if line.startswith("data:"):
            data_lines.append(line[5:].lstrip(" "))
            size += len(data_lines[-1])
            if size > MAX_EVENT_BYTES:
                raise StreamFormatError(f"one of its events grew past {MAX_EVENT_BYTES:,} bytes")
            continue
        if line.strip() or not data_lines:
            continue  # comments, event names, ids and keep-alive blank lines
        data = "\n".join(data_lines)
        data_lines = []
        size = 0
        if data.strip() == "[DONE]":
            return
        chunk = _decode(data)
        if chunk is not None:
            yield chunk
            if final is not None and final(chunk):
                return
    # The last event may lack its closing blank line when the server closes right after it.
    data = "\n".join(data_lines)
    if data.strip() == "[DONE]":
        return
    if data_lines and final is not None:
        try:
            last = _decode(data)
        except StreamFormatError:
            last = None  # an event cut off part-way: the stream broke
        if last is not None and final(last):
            yield last
            return
    raise StreamFormatError("Mistral's stream ended before its end marker")


def _decode(data: str) -> dict[str, Any] | None:
    """An event's JSON object (None for other JSON values, which carry nothing we read).

    Raises:
        StreamFormatError: the event is not JSON.
    """
    try:
        chunk = json.loads(data)
    except ValueError:
        raise StreamFormatError("Mistral sent a stream event that is not JSON") from None
    return chunk if isinstance(chunk, dict) else None
