"""Message content, chunk by chunk, as the text a model reads.

Every chunk type of the reference has one function here: `text` is the answer; `thinking` is
reasoning, kept apart; `reference` and `tool_reference` become numbered markers (`[1]`) with a
`Source` each; `image_url`, `file`, `tool_file`, `document_url` and `input_audio` become named
placeholders (`[Image 1]`) with an `Attachment` each, which `media.py` turns into MCP content.
A chunk type the reference does not list yet is named, never dropped silently.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = ["Attachment", "ChunkRenderer", "Rendered", "Source", "render_message"]

Chunk = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Source:
    """A cited source: a web page or connector item (`tool_reference`) or a RAG reference id."""

    number: int
    title: str
    url: str | None = None
    tool: str | None = None

    def line(self) -> str:
        where = f" — {self.url}" if self.url else ""
        found = f" (via {self.tool})" if self.tool else ""
        return f"[{self.number}] {self.title}{where}{found}"


@dataclass(frozen=True, slots=True)
class Attachment:
    """An image, file, document or audio a reply carries; `label` is how the text names it."""

    kind: str  # "image", "file", "document" or "audio"
    label: str  # e.g. "Image 1"
    url: str | None = None  # an image_url's or document_url's URL (http(s) or data:)
    file_id: str | None = None  # a file stored at Mistral
    name: str | None = None
    mime_type: str | None = None
    tool: str | None = None  # the built-in tool that made it
    size: int | None = None  # characters of inline data (input_audio)


@dataclass(frozen=True, slots=True)
class Rendered:
    """One message's content as text: the answer, the reasoning, and what they cite or carry."""

    text: str
    reasoning: str
    sources: tuple[Source, ...]
    attachments: tuple[Attachment, ...]
    ends_in_reasoning: bool  # the last chunk was thinking: a reply cut there was still reasoning


@dataclass
class ChunkRenderer:
    """Renders messages, numbering sources and attachments across all of them (one reply, one list)."""

    sources: list[Source] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)

    def render(self, content: Any) -> Rendered:
        """`content` as Mistral sends it: a string, a list of chunks, or nothing."""
        sources, attachments = len(self.sources), len(self.attachments)
        answer: list[str] = []
        reasoning: list[str] = []
        last = ""
        if isinstance(content, str):
            answer.append(content)
        for chunk in content if isinstance(content, list) else []:
            if not isinstance(chunk, dict):
                continue
            last = str(chunk.get("type", "text"))
            if last == "thinking":
                reasoning.append(self._thinking(chunk))
                continue
            piece = self._CHUNKS.get(last, ChunkRenderer._unknown)(self, chunk)
            if answer and last not in _INLINE and not answer[-1].endswith((" ", "\n")):
                piece = " " + piece  # a placeholder stands apart; text and source markers run on
            answer.append(piece)
        return Rendered(
            text="".join(answer),
            reasoning="\n\n".join(r for r in reasoning if r),
            sources=tuple(self.sources[sources:]),
            attachments=tuple(self.attachments[attachments:]),
            ends_in_reasoning=last == "thinking",
        )

    # --- one function per chunk type ------------------------------------------------------------

    def _text(self, chunk: Chunk) -> str:
        return str(chunk.get("text") or "")

    def _thinking(self, chunk: Chunk) -> str:
        # A source cited while reasoning is named where it is cited; the Sources list is the answer's.
        parts = []
        for inner in chunk.get("thinking") or []:
            if not isinstance(inner, dict):
                continue
            kind = inner.get("type", "text")
            if kind == "text":
                parts.append(str(inner.get("text") or ""))
            elif kind == "tool_reference":
                url = f" — {inner['url']}" if inner.get("url") else ""
                parts.append(f" [source: {inner.get('title') or 'untitled'}{url}]")
            elif kind == "reference":
                parts.append(f" [reference {_ids(inner)}]")
        return "".join(parts)

    def _reference(self, chunk: Chunk) -> str:
        ids = chunk.get("reference_ids") or []
        numbers = [self._source(f"Reference {ref} (an id from the documents or tool results given)") for ref in ids]
        return "".join(f"[{n}]" for n in numbers)

    def _tool_reference(self, chunk: Chunk) -> str:
        title = str(chunk.get("title") or chunk.get("url") or "Untitled source")
        tool = chunk.get("tool")
        return f"[{self._source(title, chunk.get('url'), str(tool) if tool else None)}]"

    def _image_url(self, chunk: Chunk) -> str:
        image = chunk.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        return self._attach("image", "Image", url=str(url or ""))

    def _file(self, chunk: Chunk) -> str:
        return self._attach("file", "File", file_id=str(chunk.get("file_id") or ""))

    def _tool_file(self, chunk: Chunk) -> str:
        return self._attach(
            "file",
            "File",
            file_id=str(chunk.get("file_id") or ""),
            name=chunk.get("file_name"),
            mime_type=_mime_of(chunk.get("file_type")),
            tool=chunk.get("tool"),
        )

    def _document_url(self, chunk: Chunk) -> str:
        url = str(chunk.get("document_url") or "")
        return self._attach("document", "Document", url=url, name=chunk.get("document_name"))

    def _input_audio(self, chunk: Chunk) -> str:
        audio = chunk.get("input_audio")
        return self._attach("audio", "Audio", size=len(audio) if isinstance(audio, str) else None)

    def _unknown(self, chunk: Chunk) -> str:
        shown = json.dumps(chunk, ensure_ascii=False)
        return f"[{chunk.get('type')} chunk: {shown[:200]}{'…' if len(shown) > 200 else ''}]"

    _CHUNKS: ClassVar[dict[str, Callable[[ChunkRenderer, Chunk], str]]] = {
        "text": _text,
        "reference": _reference,
        "tool_reference": _tool_reference,
        "image_url": _image_url,
        "file": _file,
        "tool_file": _tool_file,
        "document_url": _document_url,
        "input_audio": _input_audio,
    }

    # --- numbering ------------------------------------------------------------------------------

    def _source(self, title: str, url: Any = None, tool: str | None = None) -> int:
        for source in self.sources:
            if (source.title, source.url) == (title, url):
                return source.number
        source = Source(len(self.sources) + 1, title, str(url) if url else None, tool)
        self.sources.append(source)
        return source.number

    def _attach(self, kind: str, word: str, **details: Any) -> str:
        label = f"{word} {len(self.attachments) + 1}"
        self.attachments.append(Attachment(kind, label, **details))
        name = details.get("name")
        return f"[{label}: {name}]" if name else f"[{label}]"


_INLINE = frozenset({"text", "reference", "tool_reference"})  # source markers cite the words just before them


def _ids(chunk: Chunk) -> str:
    return ", ".join(str(ref) for ref in chunk.get("reference_ids") or [])


def _mime_of(file_type: Any) -> str | None:
    """A ToolFileChunk's `file_type` is a MIME type or an extension ("png")."""
    if not isinstance(file_type, str) or not file_type:
        return None
    if "/" in file_type:
        return file_type
    return {
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "gif": "image/gif",
        "webp": "image/webp",
    }.get(file_type.lower().lstrip("."))


def render_message(content: Any) -> Rendered:
    """One message's content on its own (sources and attachments numbered from 1)."""
    return ChunkRenderer().render(content)
