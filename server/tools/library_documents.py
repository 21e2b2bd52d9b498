"""Documents in a library: upload (multipart), list, get with the extracted text, delete, reprocess.

An upload carries one `file` part, as Mistral's reference defines it: the bytes come from the
arguments (text or base64, capped like file uploads) or are copied from a file already uploaded to
Mistral. The extracted text comes back a window at a time, like file downloads.
"""

from __future__ import annotations

from typing import Any

import mcp_types as types

from server.errors import ToolArgumentError
from server.tools import schemas as s
from server.tools.file_content import UPLOAD_INPUT as FILE_UPLOAD_INPUT
from server.tools.file_content import UPLOAD_MAX_BYTES, mimetype_of, upload_bytes
from server.tools.libraries import LIBRARY_ID
from server.tools.paths import FILE_CONTENT
from server.tools.spec import Operation, ToolCall, ToolOutput, ToolSpec

DOCUMENTS_PATH = "/v1/libraries/{library_id}/documents"
DOCUMENT_PATH = "/v1/libraries/{library_id}/documents/{document_id}"
DEFAULT_PAGE_SIZE = 20
TEXT_MAX_CHARS = 100_000
_MIB = 1024 * 1024
# Statuses after which there is no extracted text (yet), and what to tell the model.
_NO_TEXT = {
    "todo": "Mistral has not processed it yet; it becomes searchable once done. Check again later.",
    "in_progress": "Mistral is processing it; it becomes searchable once done. Check again later.",
    "waiting_for_capacity": "It waits for Mistral to process it; it becomes searchable once done.",
    "error": "Mistral could not process it: try mistral_reprocess_library_document, or upload another format.",
    "missing_content": "Mistral found no content to extract in it.",
}

DOCUMENT_ID: s.Schema = {
    "type": "string",
    "pattern": s.UUID_PATTERN,
    "description": "A document id (UUID) from mistral_list_library_documents.",
}
_FROM_FILE = FILE_UPLOAD_INPUT["properties"]
UPLOAD_INPUT = s.object_schema(
    {
        "library_id": LIBRARY_ID,
        "filename": _FROM_FILE["filename"],
        "content": _FROM_FILE["content"],
        "content_base64": _FROM_FILE["content_base64"],
        "file_id": {**s.FILE_ID, "description": "A file uploaded with mistral_upload_file, copied into the library."},
    },
    required=["library_id", "filename"],
    oneOf=[{"required": ["content"]}, {"required": ["content_base64"]}, {"required": ["file_id"]}],
)
LIST_INPUT = s.object_schema(
    {
        "library_id": LIBRARY_ID,
        "search": {"type": "string", "minLength": 1, "description": "Only documents whose name contains this."},
        "page": s.PAGE,
        "page_size": s.page_size(DEFAULT_PAGE_SIZE, 100),
    },
    required=["library_id"],
)
DOCUMENT_INPUT = s.object_schema({"library_id": LIBRARY_ID, "document_id": DOCUMENT_ID}, ["library_id", "document_id"])
_PAGE: s.Schema = {"type": "integer", "minimum": 0}
GET_INPUT = s.object_schema(
    {
        "library_id": LIBRARY_ID,
        "document_id": DOCUMENT_ID,
        "include_text": {"type": "boolean", "default": True, "description": "Also return the extracted text."},
        "offset": {"type": "integer", "minimum": 0, "default": 0, "description": "First character of the text."},
        "max_chars": {"type": "integer", "minimum": 1, "maximum": TEXT_MAX_CHARS, "default": TEXT_MAX_CHARS},
        "page_start": {**_PAGE, "description": "Text from this page of a paged document (PDF, slides) on."},
        "page_end": {**_PAGE, "description": "Text up to this page."},
    },
    required=["library_id", "document_id"],
)

DOCUMENT_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "process_status": {"type": "string"}},
    "required": ["id"],
}
LIST_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"data": {"type": "array", "items": DOCUMENT_OUTPUT}, "pagination": {"type": "object"}},
    "required": ["data"],
}
GET_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {
        "document": DOCUMENT_OUTPUT,
        "text": {
            "type": ["object", "null"],
            "properties": {
                "offset": {"type": "integer"},
                "chars_returned": {"type": "integer"},
                "total_chars": {"type": "integer"},
                "next_offset": {"type": ["integer", "null"]},
            },
        },
    },
    "required": ["document"],
}
DONE_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"library_id": {"type": "string"}, "document_id": {"type": "string"}},
    "required": ["library_id", "document_id"],
}


def document_line(document: dict[str, Any]) -> str:
    parts = [str(document.get("mime_type") or document.get("extension") or "unknown type")]
    if isinstance(document.get("size"), int):
        parts.append(f"{document['size']:,} bytes")
    if document.get("number_of_pages"):
        parts.append(f"{document['number_of_pages']} page(s)")
    parts.append(f"processing {document.get('process_status')}")
    return f"{document.get('id')}: {document.get('name')} ({', '.join(parts)})"


async def run_upload(call: ToolCall) -> ToolOutput:
    filename = call.arguments["filename"]
    if "file_id" in call.arguments:
        copied = await call.download(offset=0, limit=UPLOAD_MAX_BYTES, alternate=True)
        if not copied.complete:
            raise ToolArgumentError(
                f"Argument 'file_id': file {call.arguments['file_id']} is larger than {UPLOAD_MAX_BYTES // _MIB} MiB, "
                "the most this tool copies into a library. Add it at https://console.mistral.ai instead."
            )
        content = copied.content
    else:
        content = upload_bytes(call)
    document: dict[str, Any] = await call.send(files={"file": (filename, content, mimetype_of(filename, content))})
    text = (
        f"Added {document_line(document)} to library {call.arguments['library_id']}.\n"
        "Mistral processes it before agents can search it: follow it with mistral_get_library_document."
    )
    return ToolOutput(text, document)


def render_documents(call: ToolCall, response: dict[str, Any]) -> ToolOutput:
    documents = [item for item in response.get("data") or [] if isinstance(item, dict)]
    page = call.arguments.get("page", 0)
    pagination = response.get("pagination") or {}
    total = pagination.get("total_items")
    head = f"{len(documents)} document(s) on page {page}" + (f", {total} in all" if isinstance(total, int) else "")
    lines = [f"{head}:", *(f"- {document_line(d)}" for d in documents)] if documents else [f"{head}."]
    if pagination.get("has_more"):
        lines.append(f"More documents: call again with page={page + 1}.")
    return ToolOutput("\n".join(lines), response)


async def run_list(call: ToolCall) -> ToolOutput:
    page_size = call.arguments.get("page_size", DEFAULT_PAGE_SIZE)
    return render_documents(call, await call.forward({**call.fields(), "page_size": page_size}))


async def run_get(call: ToolCall) -> ToolOutput:
    document: dict[str, Any] = await call.send()
    lines = [document_line(document)]
    if document.get("summary"):
        lines.append(f"Summary: {document['summary']}")
    status = str(document.get("process_status"))
    if not call.arguments.get("include_text", True) or status in _NO_TEXT:
        lines += [_NO_TEXT[status]] if status in _NO_TEXT else []
        return ToolOutput("\n".join(lines), {"document": document, "text": None})
    pages: dict[str, Any] = {
        name: call.arguments[name] for name in ("page_start", "page_end") if name in call.arguments
    }
    reply = await call.send(params=pages or None, alternate=True)
    full = str(reply.get("text") or "") if isinstance(reply, dict) else ""
    offset = call.arguments.get("offset", 0)
    limit = call.arguments.get("max_chars", TEXT_MAX_CHARS)
    window = full[offset : offset + limit]
    next_offset = offset + len(window) if offset + len(window) < len(full) else None
    facts = {"offset": offset, "chars_returned": len(window), "total_chars": len(full), "next_offset": next_offset}
    structured = {"document": document, "text": facts}
    if not window:
        lines.append(f"No extracted text at offset {offset:,} (it has {len(full):,} characters).")
        return ToolOutput("\n".join(lines), structured)
    lines.append(f"Extracted text, characters {offset:,} to {offset + len(window):,} of {len(full):,}: the next block.")
    if next_offset is not None:
        lines.append(f"The rest was cut (at most {limit:,} characters per call): call again with offset={next_offset}.")
    return ToolOutput("\n".join(lines), structured, content=(types.TextContent(type="text", text=window),))


def _done(call: ToolCall, what: str) -> ToolOutput:
    ids = {name: call.arguments[name] for name in ("library_id", "document_id")}
    return ToolOutput(what.format(**ids), ids)


def render_deleted(call: ToolCall, reply: Any) -> ToolOutput:
    return _done(call, "Deleted document {document_id} from library {library_id}; searches no longer find it.")


def render_reprocessing(call: ToolCall, reply: Any) -> ToolOutput:
    return _done(
        call, "Mistral is processing document {document_id} again; follow it with mistral_get_library_document."
    )


TOOLS = (
    ToolSpec(
        name="mistral_upload_library_document",
        family="documents",
        title="Add a document to a Mistral library",
        description=(
            "Add a document (PDF, Word, slides, text, Markdown, …) to a library so agents and conversations can "
            "search it. Give `filename` and the content as text, base64, or the `file_id` of a file uploaded with "
            f"mistral_upload_file; at most {UPLOAD_MAX_BYTES // _MIB} MiB. Mistral then processes it."
        ),
        input_schema=UPLOAD_INPUT,
        output_schema=DOCUMENT_OUTPUT,
        method="POST",
        path=DOCUMENTS_PATH,
        alternate=Operation("GET", FILE_CONTENT),  # where a `file_id`'s bytes are read from
        # The name and the bytes become the multipart `file` part, Mistral's only field.
        tool_only=frozenset({"filename", "content", "content_base64"}),
        run=run_upload,
        idempotent=True,  # Mistral answers an upload it already has with the existing document
    ),
    ToolSpec(
        name="mistral_list_library_documents",
        family="documents",
        title="List the documents of a Mistral library",
        description=(
            f"List the documents in a library, newest first, a page at a time (default {DEFAULT_PAGE_SIZE}), "
            "optionally by name: id, name, type, size, and whether Mistral has processed them."
        ),
        input_schema=LIST_INPUT,
        output_schema=LIST_OUTPUT,
        method="GET",
        path=DOCUMENTS_PATH,
        run=run_list,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_get_library_document",
        family="documents",
        title="Read a document of a Mistral library",
        description=(
            "One library document: its details, processing status and the text Mistral extracted from it "
            f"(OCR for PDFs and slides), {TEXT_MAX_CHARS:,} characters per call: the reply says which `offset` "
            "reads on."
        ),
        input_schema=GET_INPUT,
        output_schema=GET_OUTPUT,
        method="GET",
        path=DOCUMENT_PATH,
        alternate=Operation("GET", "/v1/libraries/{library_id}/documents/{document_id}/text_content"),
        tool_only=frozenset({"include_text", "offset", "max_chars"}),  # the window is ours; Mistral sends it all
        run=run_get,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_delete_library_document",
        family="documents",
        title="Delete a document from a Mistral library",
        description=(
            "Permanently delete one document from a library and from its search index. This cannot be undone: "
            "confirm with the user first."
        ),
        input_schema=DOCUMENT_INPUT,
        output_schema=DONE_OUTPUT,
        method="DELETE",
        path=DOCUMENT_PATH,
        render=render_deleted,
        destructive=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_reprocess_library_document",
        family="documents",
        title="Reprocess a document of a Mistral library",
        description=(
            "Have Mistral extract and index a library document again, e.g. after its processing failed. "
            "Processing is billed again each time."
        ),
        input_schema=DOCUMENT_INPUT,
        output_schema=DONE_OUTPUT,
        method="POST",
        path="/v1/libraries/{library_id}/documents/{document_id}/reprocess",
        render=render_reprocessing,
    ),
)
