"""File content: `mistral_upload_file` (a multipart upload) and `mistral_download_file`.

Uploads travel inside one MCP request (capped at 16 MiB by default, base64 adds a third),
so they are limited to `UPLOAD_MAX_BYTES`. Downloads return a window of at most
`DOWNLOAD_MAX_BYTES`, so the result stays under the 150,000 characters MCP clients accept;
`offset` reads the next window.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import mimetypes
import re
from dataclasses import dataclass
from typing import Any

import mcp_types as types

from server.errors import ToolArgumentError
from server.tools import links
from server.tools import schemas as s
from server.tools.files import FILE_OUTPUT, FILE_PURPOSES, FILES_PATH, describe_file
from server.tools.paths import FILE_CONTENT
from server.tools.spec import ToolCall, ToolOutput, ToolSpec
from server.upstream.client import Download

UPLOAD_MAX_BYTES = 10 * 1024 * 1024
DOWNLOAD_MAX_BYTES = 100_000
# base64 of the largest upload, with room for line breaks and a data: URL prefix.
_MAX_BASE64_CHARS = (UPLOAD_MAX_BYTES + 2) // 3 * 4 * 105 // 100
_DATA_URL = re.compile(r"^data:[\w.+-]+/[\w.+-]+(;[\w=.+-]+)*;base64,", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
_MAGIC = (
    (b"%PDF", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"PK\x03\x04", "application/zip"),
)
_MIB = 1024 * 1024

UPLOAD_INPUT = s.object_schema(
    {
        "filename": {
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "pattern": r"^[^/\\]+$",
            "description": 'Name to store, with its extension, e.g. "train.jsonl" or "scan.pdf".',
        },
        "purpose": {
            "type": "string",
            "enum": FILE_PURPOSES,
            "default": "fine-tune",
            "description": "fine-tune (JSONL training data), batch (JSONL batch requests) or ocr (a document).",
        },
        "content": {
            "type": "string",
            "maxLength": UPLOAD_MAX_BYTES,
            "description": "The file's content as text (JSONL, CSV, …), stored as UTF-8.",
        },
        "content_base64": {
            "type": "string",
            "minLength": 1,
            "maxLength": _MAX_BASE64_CHARS,
            "description": "The file's bytes, base64-encoded (for PDFs, images and other binary files).",
        },
        "visibility": {"type": "string", "enum": ["workspace", "user"], "description": "Who can see the file."},
        "expiry": {"type": "integer", "minimum": 1, "description": "Hours until Mistral deletes the file."},
    },
    required=["filename"],
    oneOf=[{"required": ["content"]}, {"required": ["content_base64"]}],
)
DOWNLOAD_INPUT = s.object_schema(
    {
        "file_id": s.FILE_ID,
        "offset": {"type": "integer", "minimum": 0, "default": 0, "description": "First byte to return."},
        "max_bytes": {
            "type": "integer",
            "minimum": 1,
            "maximum": DOWNLOAD_MAX_BYTES,
            "default": DOWNLOAD_MAX_BYTES,
            "description": "Most bytes to return from `offset`.",
        },
        "encoding": {
            "type": "string",
            "enum": ["auto", "text", "base64"],
            "default": "auto",
            "description": "auto: UTF-8 text inline when the bytes are text, else base64.",
        },
    },
    required=["file_id"],
)
DOWNLOAD_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {
        "file_id": {"type": "string"},
        "offset": {"type": "integer"},
        "bytes_returned": {"type": "integer"},
        "total_bytes": {"type": ["integer", "null"]},
        "next_offset": {"type": ["integer", "null"]},
        "encoding": {"type": "string", "enum": ["text", "base64"]},
        "mimetype": {"type": "string"},
    },
    "required": ["file_id", "offset", "bytes_returned", "next_offset", "encoding"],
}


def _decode_base64(value: str) -> bytes:
    cleaned = _WHITESPACE.sub("", _DATA_URL.sub("", value, count=1)).replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)  # URL-safe base64 usually comes without its padding
    try:
        decoded = base64.b64decode(cleaned, validate=True)
        if decoded:
            return decoded
    except (binascii.Error, ValueError):
        pass
    raise ToolArgumentError(
        "Invalid argument 'content_base64': not valid base64 (characters A-Z a-z 0-9 + / and = padding, "
        "length a multiple of 4). For text, pass it in `content` instead."
    )


def upload_bytes(call: ToolCall) -> bytes:
    """The bytes of the call's `content` (as UTF-8) or `content_base64`.

    Raises:
        ToolArgumentError: not base64, or larger than `UPLOAD_MAX_BYTES`.
    """
    content: bytes
    if "content" in call.arguments:
        content, argument = str(call.arguments["content"]).encode("utf-8"), "content"
    else:
        content, argument = _decode_base64(call.arguments["content_base64"]), "content_base64"
    if len(content) > UPLOAD_MAX_BYTES:
        raise ToolArgumentError(
            f"Argument '{argument}' is too large: {len(content) / _MIB:.1f} MiB, and this tool uploads at most "
            f"{UPLOAD_MAX_BYTES // _MIB} MiB (files travel inside one MCP request). Upload bigger files at "
            "https://console.mistral.ai or with the Mistral API directly."
        )
    return content


def mimetype_of(filename: str, content: bytes) -> str:
    """The type to declare for an uploaded file part: from its name, else from its first bytes."""
    if filename.lower().endswith(".jsonl"):
        return "application/jsonl"
    return mimetypes.guess_type(filename)[0] or _sniff(content) or "application/octet-stream"


def _sniff(content: bytes) -> str | None:
    return next((kind for magic, kind in _MAGIC if content.startswith(magic)), None)


async def run_upload_file(call: ToolCall) -> ToolOutput:
    content = upload_bytes(call)
    filename = call.arguments["filename"]
    form = {"purpose": "fine-tune", **{name: str(value) for name, value in call.fields().items()}}
    record: dict[str, Any] = await call.send(
        files={"file": (filename, content, mimetype_of(filename, content))}, data=form
    )
    text = (
        f"Uploaded {describe_file(record)}.\nUse file id {record.get('id')} with the fine-tuning, batch or OCR tools."
    )
    link = links.file_link(record, "The uploaded file")
    return ToolOutput(text, record, content=(link,) if link is not None else ())


def _as_text(window: bytes, complete: bool) -> str | None:
    """The window as UTF-8 text, or None when it is binary; a character cut at the end is left out."""
    if b"\x00" in window:
        return None
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(window, final=complete)
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True, slots=True)
class FileWindow:
    """One window of a file, decoded: what the download tool and the `mistral://files/…` resource show."""

    offset: int
    content: bytes
    text: str | None  # the window as UTF-8 text; None when it is binary (or base64 was asked for)
    returned: int  # bytes the window covers (text stops before a character cut at its end)
    next_offset: int | None  # where the next window starts; None at the end of the file
    total: int | None  # the file's size, when Mistral said it
    mimetype: str


def window_of(download: Download, *, encoding: str = "auto", limit: int = DOWNLOAD_MAX_BYTES) -> FileWindow:
    """Decode a downloaded window: as text when it is UTF-8 (and `encoding` allows), else as bytes.

    Raises:
        ToolArgumentError: `encoding` is "text" and the window cannot be read as text.
    """
    offset = download.offset
    text = None if encoding == "base64" else _as_text(download.content, download.complete)
    if text == "" and download.content:
        # The window holds only the start of one character: as text it would return nothing and send
        # the caller back to the same offset for ever.
        if encoding == "text":
            raise ToolArgumentError(
                f"Invalid argument 'max_bytes': {limit} byte(s) cannot hold the character at offset {offset}; "
                "ask for at least 4."
            )
        text = None
    if text is None and encoding == "text":
        raise ToolArgumentError("This file is not UTF-8 text at that offset; call again with encoding 'base64'.")
    returned = len(text.encode("utf-8")) if text is not None else len(download.content)
    next_offset = None if download.complete and returned == len(download.content) else offset + returned
    mimetype = "text/plain" if text is not None else _sniff(download.content) or "application/octet-stream"
    return FileWindow(offset, download.content, text, returned, next_offset, download.total, mimetype)


async def run_download_file(call: ToolCall) -> ToolOutput:
    file_id = call.arguments["file_id"]
    offset = call.arguments.get("offset", 0)
    limit = call.arguments.get("max_bytes", DOWNLOAD_MAX_BYTES)
    window = window_of(
        await call.download(offset=offset, limit=limit), encoding=call.arguments.get("encoding", "auto"), limit=limit
    )
    text, returned, next_offset, mimetype = window.text, window.returned, window.next_offset, window.mimetype
    total = f"{window.total:,}" if window.total is not None else "an unknown number of"
    structured = {
        "file_id": file_id,
        "offset": offset,
        "bytes_returned": returned,
        "total_bytes": window.total,
        "next_offset": next_offset,
        "encoding": "text" if text is not None else "base64",
        "mimetype": mimetype,
    }
    if not window.content and offset > 0:
        return ToolOutput(f"File {file_id} has {total} bytes: nothing at offset {offset:,}.", structured)
    span = (
        f"bytes {offset:,} to {offset + returned:,} of {total}"
        if offset or next_offset is not None
        else f"{total} bytes"
    )
    if text is not None:
        head, block = f"File {file_id} ({span}, UTF-8 text); its content is the next block.", _text_block(text)
    else:
        head = f"File {file_id} ({span}, {mimetype}) is binary: attached as an embedded resource, base64-encoded."
        block = _blob_block(file_id, mimetype, window.content)
    if next_offset is not None:
        head += (
            f"\nThe rest was cut (at most {limit:,} bytes per call): call again with "
            f"offset={next_offset} for the next part, or get a download link with mistral_get_file_url."
        )
    return ToolOutput(head, structured, content=(block,))


def _text_block(text: str) -> types.ContentBlock:
    return types.TextContent(type="text", text=text)


def _blob_block(file_id: str, mimetype: str, content: bytes) -> types.ContentBlock:
    blob = types.BlobResourceContents(
        uri=links.uri(links.FILE_TEMPLATE, file_id), mime_type=mimetype, blob=base64.b64encode(content).decode("ascii")
    )
    return types.EmbeddedResource(type="resource", resource=blob)


TOOLS = (
    ToolSpec(
        name="mistral_upload_file",
        family="documents",
        title="Upload a file to Mistral",
        description=(
            "Upload a file to Mistral (multipart) for fine-tuning (JSONL), batch jobs (JSONL) or "
            "OCR (PDF, image). Give `filename`, `purpose`, and the content as text (`content`) or base64 "
            f"(`content_base64`); at most {UPLOAD_MAX_BYTES // _MIB} MiB. Returns the new file's id and details."
        ),
        input_schema=UPLOAD_INPUT,
        output_schema=FILE_OUTPUT,
        method="POST",
        path=FILES_PATH,
        # The name and the bytes become the multipart file part; the other arguments are form fields.
        tool_only=frozenset({"filename", "content", "content_base64"}),
        run=run_upload_file,
    ),
    ToolSpec(
        name="mistral_download_file",
        family="documents",
        title="Read a file stored at Mistral",
        description=(
            "Read a file's content, e.g. batch results or training data. Text comes back inline as UTF-8; "
            "binary files as a base64 embedded resource. At most "
            f"{DOWNLOAD_MAX_BYTES:,} bytes per call: the reply says which `offset` reads the next part. For a "
            "whole large file, use mistral_get_file_url instead."
        ),
        input_schema=DOWNLOAD_INPUT,
        output_schema=DOWNLOAD_OUTPUT,
        method="GET",
        path=FILE_CONTENT,
        # The window and decoding of the bytes are ours; Mistral sends the whole body.
        tool_only=frozenset({"offset", "max_bytes", "encoding"}),
        run=run_download_file,
        read_only=True,
        idempotent=True,
    ),
)
