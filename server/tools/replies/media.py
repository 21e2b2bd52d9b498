"""Images and files a reply carries, as MCP content: small images inline, everything else linked.

An image of at most `MAX_INLINE_BYTES` (a data: URL, or a file Mistral stored) becomes an MCP `image`
block; a larger or non-image file a `resource_link` to `mistral://files/{id}` (the URI
mistral_download_file gives its blocks), and an http(s) image or document a link to itself. Stored
files are read only to decide this: at most `MAX_FETCHED_FILES` per reply, `MAX_INLINE_BYTES` each.
Every attachment gets one line of text, so a model knows what came and where it is.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import mcp_types as types

from server.errors import UpstreamError
from server.tools.paths import FILE_CONTENT
from server.tools.replies.chunks import Attachment
from server.tools.spec import Operation, ToolCall

__all__ = ["MAX_INLINE_BYTES", "FetchedFile", "deliver", "fetch_files", "file_uri"]

MAX_INLINE_BYTES = 1024 * 1024
MAX_FETCHED_FILES = 4
_MIB = 1024 * 1024
# The header of a data: URL, matched on the part before its first comma only (the data can be MBs).
_DATA_HEADER = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?:;[\w.+-]+(?:=[\w.+-]*)?)*?(?P<b64>;base64)?$", re.I)
_MAX_HEADER = 256
_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True, slots=True)
class FetchedFile:
    """What reading a stored file found: its bytes when small enough to attach."""

    content: bytes | None  # the whole file, when it has at most MAX_INLINE_BYTES
    size: int | None  # bytes, when known
    failed: str | None = None  # why it could not be read


def file_uri(file_id: str) -> str:
    return f"mistral://files/{file_id}"


async def fetch_files(call: ToolCall, file_ids: Iterable[str]) -> dict[str, FetchedFile]:
    """Read the first few stored files a reply names (up to MAX_INLINE_BYTES each).

    A file Mistral will not hand over is reported, not raised: the reply itself arrived.
    """
    fetched: dict[str, FetchedFile] = {}
    for file_id in list(dict.fromkeys(i for i in file_ids if i))[:MAX_FETCHED_FILES]:
        path = Operation("GET", FILE_CONTENT).fill({"file_id": file_id})
        try:
            window = await call.upstream.download(call.api_key, path, offset=0, limit=MAX_INLINE_BYTES)
        except UpstreamError as exc:
            fetched[file_id] = FetchedFile(None, None, str(exc))
            continue
        fetched[file_id] = FetchedFile(window.content if window.complete else None, window.total)
    return fetched


def deliver(
    attachments: Iterable[Attachment], files: Mapping[str, FetchedFile] | None = None
) -> tuple[list[str], list[types.ContentBlock]]:
    """One line of text per attachment, and the MCP blocks that carry them."""
    lines: list[str] = []
    blocks: list[types.ContentBlock] = []
    for attachment in attachments:
        if attachment.kind == "image":
            line, block = _image(attachment)
        elif attachment.kind == "file":
            line, block = _file(attachment, (files or {}).get(attachment.file_id or ""))
        elif attachment.kind == "document":
            line, block = _document(attachment)
        else:
            size = f"{attachment.size:,} characters of base64" if attachment.size is not None else "inline"
            line, block = f"{attachment.kind} ({size}), kept in structuredContent.", None
        lines.append(f"- {attachment.label}: {line}")
        if block is not None:
            blocks.append(block)
    return lines, blocks


def _image(attachment: Attachment) -> tuple[str, types.ContentBlock | None]:
    url = attachment.url or ""
    if _is_web(url):
        return f"{url}, linked.", types.ResourceLink(type="resource_link", name=attachment.label, uri=url)
    header, comma, payload = url.partition(",")
    found = _DATA_HEADER.match(header) if comma and len(header) <= _MAX_HEADER else None
    if found is None or not found.group("b64"):
        return "an image Mistral sent in a form that cannot be shown here; it is in structuredContent.", None
    try:
        data = base64.b64decode(re.sub(r"\s+", "", payload), validate=True)
    except (binascii.Error, ValueError):
        return "an inline image whose base64 is broken; it is in structuredContent.", None
    # The bytes say what they are: a declared type can be wrong, and clients show only raster images.
    mime = _sniff(data)
    if mime is None or len(data) > MAX_INLINE_BYTES:
        why = "too large to attach (over 1 MiB)" if mime else "not a PNG, JPEG, GIF or WebP image"
        declared = found.group("mime") or "data"
        return f"{mime or declared}, {_size(len(data))}, inline, {why}; it is in structuredContent.", None
    block = types.ImageContent(type="image", data=base64.b64encode(data).decode("ascii"), mime_type=mime)
    return f"{mime}, {_size(len(data))}, attached as an image.", block


def _file(attachment: Attachment, fetched: FetchedFile | None) -> tuple[str, types.ContentBlock]:
    file_id = attachment.file_id or ""
    about = [f"file id {file_id}", *([attachment.name] if attachment.name else [])]
    if attachment.tool:
        about.append(f"made by {attachment.tool}")
    mime = _sniff(fetched.content) if fetched and fetched.content else None
    if fetched is not None and fetched.content is not None and mime is not None:
        block = types.ImageContent(type="image", data=base64.b64encode(fetched.content).decode("ascii"), mime_type=mime)
        return f"{', '.join(about)}, {mime}, {_size(len(fetched.content))}, attached as an image.", block
    mime = mime or attachment.mime_type
    size = fetched.size if fetched is not None else None
    details = ", ".join([*about, *([mime] if mime else []), *([_size(size)] if size is not None else [])])
    unread = f" (it could not be read: {fetched.failed})" if fetched is not None and fetched.failed else ""
    link = types.ResourceLink(
        type="resource_link", name=attachment.name or attachment.label, uri=file_uri(file_id), mime_type=mime, size=size
    )
    return f"{details}, linked as {file_uri(file_id)}; read it with mistral_download_file{unread}.", link


def _document(attachment: Attachment) -> tuple[str, types.ContentBlock | None]:
    url = attachment.url or ""
    name = f"{attachment.name}, " if attachment.name else ""
    if _is_web(url):
        link = types.ResourceLink(type="resource_link", name=attachment.name or attachment.label, uri=url)
        return f"{name}{url}, linked.", link
    return f"{name}an inline document ({len(url):,} characters); it is in structuredContent.", None


def _is_web(url: str) -> bool:
    return url.lower().startswith(("https://", "http://"))


def _sniff(content: bytes | None) -> str | None:
    """The image type of `content` by its first bytes (a data: URL's own type can be wrong or missing)."""
    if not content:
        return None
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    return next((mime for magic, mime in _IMAGE_MAGIC if content.startswith(magic)), None)


def _size(count: int) -> str:
    if count < 1024:
        return f"{count:,} bytes"
    return f"{count / 1024:,.1f} KiB" if count < _MIB else f"{count / _MIB:,.1f} MiB"
