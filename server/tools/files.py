"""Files: list, get, signed URL and delete; upload and download live in file_content.py."""

from __future__ import annotations

import time
from typing import Any

from server.tools import links
from server.tools import schemas as s
from server.tools.spec import ToolCall, ToolOutput, ToolSpec

FILES_PATH = "/v1/files"  # GET lists, POST uploads
FILE_PATH = "/v1/files/{file_id}"
FILE_PURPOSES = ["fine-tune", "batch", "ocr"]
SAMPLE_TYPES = ["pretrain", "instruct", "batch_request", "batch_result", "batch_error"]
FILE_SOURCES = ["upload", "repository", "mistral"]
# A page may hold up to 1,000 files; links past these stay in structuredContent only.
MAX_LINKS = 100

LIST_INPUT = s.object_schema(
    {
        "page": s.PAGE,
        "page_size": s.page_size(None, 1000, " Mistral's default is 100."),
        "include_total": {"type": "boolean", "description": "Count all matching files (default true)."},
        "purpose": {"type": "string", "enum": FILE_PURPOSES, "description": "Only files uploaded for this purpose."},
        "sample_type": {"type": "array", "items": {"type": "string", "enum": SAMPLE_TYPES}},
        "source": {"type": "array", "items": {"type": "string", "enum": FILE_SOURCES}},
        "search": {"type": "string", "minLength": 1, "description": "Only files whose name or id contains this."},
        "mimetypes": {"type": "array", "items": {"type": "string"}, "description": 'e.g. ["application/pdf"].'},
    }
)
FILE_INPUT = s.object_schema({"file_id": s.FILE_ID}, required=["file_id"])
URL_INPUT = s.object_schema(
    {
        "file_id": s.FILE_ID,
        "expiry": {
            "type": "integer",
            "minimum": 1,
            "maximum": 168,
            "default": 24,
            "description": "Hours before the link stops working (1 to 168).",
        },
    },
    required=["file_id"],
)

FILE_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "filename": {"type": "string"},
        "bytes": {"type": "integer"},
        "purpose": {"type": "string"},
    },
    "required": ["id"],
}
LIST_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"data": {"type": "array", "items": FILE_OUTPUT}, "total": {"type": ["integer", "null"]}},
    "required": ["data"],
}
URL_OUTPUT: s.Schema = {"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]}
DELETE_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "deleted": {"type": "boolean"}},
    "required": ["id"],
}


def describe_file(record: dict[str, Any]) -> str:
    """One line about a file record: id, name, size, purpose, type and age."""
    created = record.get("created_at")
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(created)) if isinstance(created, int) else "?"
    size = record.get("bytes")
    if not isinstance(size, int):
        return f"{record.get('id')}: {record.get('filename')}"
    lines = f", {record['num_lines']} lines" if record.get("num_lines") else ""
    return (
        f"{record.get('id')}: {record.get('filename')} ({size:,} bytes{lines}, purpose {record.get('purpose')}, "
        f"{record.get('sample_type')}, {record.get('mimetype') or 'unknown type'}, created {when})"
    )


def render_files(call: ToolCall, response: dict[str, Any]) -> ToolOutput:
    files = [f for f in response.get("data") or [] if isinstance(f, dict)]
    page = call.arguments.get("page", 0)
    total = response.get("total")
    head = f"{len(files)} file(s) on page {page}" + (f", {total} in all" if isinstance(total, int) else "") + ":"
    lines = [head, *(f"- {describe_file(f)}" for f in files)] if files else [f"No files on page {page}."]
    if isinstance(total, int) and (page + 1) * call.arguments.get("page_size", 100) < total:
        lines.append(f"More files: call again with page={page + 1}.")
    found = (links.file_link(f) for f in files[:MAX_LINKS])
    return ToolOutput("\n".join(lines), response, content=tuple(link for link in found if link is not None))


def render_file(call: ToolCall, record: dict[str, Any]) -> ToolOutput:
    return ToolOutput(describe_file(record), record)


def render_file_url(call: ToolCall, response: dict[str, Any]) -> ToolOutput:
    hours = call.arguments.get("expiry", 24)
    return ToolOutput(f"Download link (works for {hours} h, no API key needed):\n{response.get('url')}", response)


def render_deleted(call: ToolCall, response: dict[str, Any]) -> ToolOutput:
    file_id = call.arguments["file_id"]
    done = response.get("deleted", True)
    return ToolOutput(f"Deleted file {file_id}." if done else f"Mistral did not delete file {file_id}.", response)


TOOLS = (
    ToolSpec(
        name="mistral_list_files",
        family="documents",
        title="List files uploaded to Mistral",
        description=(
            "List the files in this Mistral workspace, newest first, a page at a time: training data, batch "
            "inputs and results, OCR documents. Filter by purpose, sample_type, source, name or mimetype. "
            "Returns one line per file (id, name, size, purpose); structuredContent.data holds the records."
        ),
        input_schema=LIST_INPUT,
        output_schema=LIST_OUTPUT,
        method="GET",
        path=FILES_PATH,
        render=render_files,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_get_file",
        family="documents",
        title="Get a Mistral file's details",
        description=(
            "Details of one uploaded file: name, size, purpose, sample type, line count. To read its content "
            "use mistral_download_file."
        ),
        input_schema=FILE_INPUT,
        output_schema=FILE_OUTPUT,
        method="GET",
        path=FILE_PATH,
        render=render_file,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_get_file_url",
        family="documents",
        title="Get a download link for a Mistral file",
        description=(
            "A signed URL that downloads one file without an API key, valid for `expiry` hours (default 24). "
            "Use it for files too big to read through mistral_download_file."
        ),
        input_schema=URL_INPUT,
        output_schema=URL_OUTPUT,
        method="GET",
        path="/v1/files/{file_id}/url",
        render=render_file_url,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_delete_file",
        family="documents",
        title="Delete a file from Mistral",
        description=(
            "Permanently delete an uploaded file. Jobs that used it keep their results. This cannot be undone: "
            "confirm with the user first."
        ),
        input_schema=FILE_INPUT,
        output_schema=DELETE_OUTPUT,
        method="DELETE",
        path=FILE_PATH,
        render=render_deleted,
        destructive=True,
        idempotent=True,
    ),
)
