"""Files: list, get, signed URL and delete (/v1/files); upload and download live in file_content.py."""

from __future__ import annotations

import time
from typing import Any

from server.tools import schemas as s
from server.tools.registry import ToolCall, ToolOutput, ToolSpec, endpoint_path

FILE_PURPOSES = ["fine-tune", "batch", "ocr"]
SAMPLE_TYPES = ["pretrain", "instruct", "batch_request", "batch_result", "batch_error"]
FILE_SOURCES = ["upload", "repository", "mistral"]

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


async def run_list_files(call: ToolCall) -> ToolOutput:
    params = call.pick(
        ("page", "page_size", "include_total", "purpose", "sample_type", "source", "search", "mimetypes")
    )
    response: dict[str, Any] = await call.get("/v1/files", params)
    files = [f for f in response.get("data") or [] if isinstance(f, dict)]
    page = params.get("page", 0)
    total = response.get("total")
    head = f"{len(files)} file(s) on page {page}" + (f", {total} in all" if isinstance(total, int) else "") + ":"
    lines = [head, *(f"- {describe_file(f)}" for f in files)] if files else [f"No files on page {page}."]
    if isinstance(total, int) and (page + 1) * params.get("page_size", 100) < total:
        lines.append(f"More files: call again with page={page + 1}.")
    return ToolOutput("\n".join(lines), response)


async def run_get_file(call: ToolCall) -> ToolOutput:
    record: dict[str, Any] = await call.get(endpoint_path("/v1/files/{id}", id=call.arguments["file_id"]))
    return ToolOutput(describe_file(record), record)


async def run_get_file_url(call: ToolCall) -> ToolOutput:
    path = endpoint_path("/v1/files/{id}/url", id=call.arguments["file_id"])
    response: dict[str, Any] = await call.get(path, call.pick(("expiry",)))
    hours = call.arguments.get("expiry", 24)
    return ToolOutput(f"Download link (works for {hours} h, no API key needed):\n{response.get('url')}", response)


async def run_delete_file(call: ToolCall) -> ToolOutput:
    file_id = call.arguments["file_id"]
    response: dict[str, Any] = await call.delete(endpoint_path("/v1/files/{id}", id=file_id))
    done = response.get("deleted", True)
    return ToolOutput(f"Deleted file {file_id}." if done else f"Mistral did not delete file {file_id}.", response)


TOOLS = (
    ToolSpec(
        name="mistral_list_files",
        title="List files uploaded to Mistral",
        description=(
            "List the files in this Mistral workspace (GET /v1/files), newest first, a page at a time: training "
            "data, batch inputs and results, OCR documents. Filter by purpose, sample_type, source, name or "
            "mimetype. Returns one line per file (id, name, size, purpose); structuredContent.data holds the records."
        ),
        input_schema=LIST_INPUT,
        output_schema=LIST_OUTPUT,
        run=run_list_files,
        endpoint="GET /v1/files",
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_get_file",
        title="Get a Mistral file's details",
        description=(
            "Details of one uploaded file (GET /v1/files/{file_id}): name, size, purpose, sample type, line count. "
            "To read its content use mistral_download_file."
        ),
        input_schema=FILE_INPUT,
        output_schema=FILE_OUTPUT,
        run=run_get_file,
        endpoint="GET /v1/files/{file_id}",
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_get_file_url",
        title="Get a download link for a Mistral file",
        description=(
            "A signed URL that downloads one file without an API key (GET /v1/files/{file_id}/url), valid for "
            "`expiry` hours (default 24). Use it for files too big to read through mistral_download_file."
        ),
        input_schema=URL_INPUT,
        output_schema=URL_OUTPUT,
        run=run_get_file_url,
        endpoint="GET /v1/files/{file_id}/url",
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_delete_file",
        title="Delete a file from Mistral",
        description=(
            "Permanently delete an uploaded file (DELETE /v1/files/{file_id}). Jobs that used it keep their "
            "results. This cannot be undone: confirm with the user first."
        ),
        input_schema=FILE_INPUT,
        output_schema=DELETE_OUTPUT,
        run=run_delete_file,
        endpoint="DELETE /v1/files/{file_id}",
        destructive=True,
        idempotent=True,
    ),
)
