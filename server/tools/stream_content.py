"""A streamed message's content as it grows, rebuilt into what Mistral would have sent whole.

A delta's content is a string or a list of chunks. Strings join; the first list turns the content
into chunks (the text so far becoming a text chunk); a chunk continuing one of its kind joins it (text
after text, thinking after thinking, and inside thinking, text after text). Text is kept in pieces
and joined only when the content is read, so a long reply costs linear time, not quadratic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["StreamedContent"]

Chunk = dict[str, Any]


@dataclass
class StreamedContent:
    """One message's content, fed delta by delta."""

    text: list[str] | None = None  # while only strings came
    chunks: list[Chunk] | None = None  # once a list came; text in them is a list of pieces until read

    def add(self, piece: Any) -> None:
        """Add one delta's `content` (a string, a list of chunks, or nothing)."""
        if isinstance(piece, str):
            if self.chunks is not None:
                if piece:
                    _append(self.chunks, {"type": "text", "text": piece})
            else:
                if self.text is None:
                    self.text = []
                self.text.append(piece)
        elif isinstance(piece, list):
            if self.chunks is None:
                self.chunks = []
                so_far = "".join(self.text or [])
                if so_far:
                    _append(self.chunks, {"type": "text", "text": so_far})
                self.text = None
            for chunk in piece:
                if isinstance(chunk, dict):
                    _append(self.chunks, chunk)

    def value(self) -> Any:
        """The content as a whole reply has it: a string, a list of chunks, or None if none came."""
        if self.chunks is not None:
            return [_read(chunk) for chunk in self.chunks]
        return None if self.text is None else "".join(self.text)


def _append(chunks: list[Chunk], chunk: Chunk) -> None:
    last = chunks[-1] if chunks else None
    kind = chunk.get("type", "text")
    if last is not None and last.get("type", "text") == kind == "text":
        last["text"].append(str(chunk.get("text") or ""))
    elif last is not None and last.get("type") == kind == "thinking":
        for item in chunk.get("thinking") or []:
            if isinstance(item, dict):
                _append(last["thinking"], item)
        last.update({key: value for key, value in chunk.items() if key != "thinking" and value is not None})
    else:
        own = dict(chunk)
        if kind == "text":
            own["text"] = [str(chunk.get("text") or "")]
        elif kind == "thinking":
            own["thinking"] = []
            for item in chunk.get("thinking") or []:
                if isinstance(item, dict):
                    _append(own["thinking"], item)
        chunks.append(own)


def _read(chunk: Chunk) -> Chunk:
    kind = chunk.get("type", "text")
    if kind == "text" and isinstance(chunk.get("text"), list):
        return {**chunk, "text": "".join(chunk["text"])}
    if kind == "thinking":
        return {**chunk, "thinking": [_read(item) for item in chunk["thinking"]]}
    return dict(chunk)
