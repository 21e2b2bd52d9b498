"""OCR: `mistral_ocr` on a document URL, an image URL or an uploaded file."""

from __future__ import annotations

from typing import Any

from server.errors import ToolArgumentError
from server.tools import schemas as s
from server.tools.extra import extra_schema
from server.tools.paths import OCR
from server.tools.spec import ToolCall, ToolOutput, ToolSpec
from server.views import OCR_RESULT

DEFAULT_OCR_MODEL = "mistral-ocr-latest"
# The document's source, one of them, becomes OCRRequest.document.
DOCUMENT_SOURCES = frozenset({"document_url", "document_name", "image_url", "file_id"})
_URL: s.Schema = {"type": "string", "minLength": 1, "maxLength": 20_000_000}
# OCRRequest's rarely used fields, taken in `extra`: annotations and fine-grained extraction.
_RARE = frozenset(
    {
        "image_limit",
        "image_min_size",
        "include_blocks",
        "confidence_scores_granularity",
        "bbox_annotation_format",
        "document_annotation_format",
        "document_annotation_prompt",
    }
)

OCR_INPUT = s.object_schema(
    {
        "document_url": {**_URL, "description": "URL of a PDF or other document (a data: URL works too)."},
        "document_name": {"type": "string", "description": "With document_url: the document's file name."},
        "image_url": {**_URL, "description": "URL of an image, or a data:image/…;base64 URL."},
        "file_id": {**s.FILE_ID, "description": "A file uploaded with mistral_upload_file (purpose ocr)."},
        "model": {**s.MODEL, "description": f"OCR model (default {DEFAULT_OCR_MODEL})."},
        "pages": {
            "description": 'Pages to read, from 0: a list like [0, 2] or a string like "0-3,7".',
            "anyOf": [
                {"type": "string", "minLength": 1},
                {"type": "array", "items": {"type": "integer", "minimum": 0}},
            ],
        },
        "table_format": {"type": "string", "enum": ["markdown", "html"]},
        "extract_header": {"type": "boolean", "description": "Move page headers out of the markdown."},
        "extract_footer": {"type": "boolean", "description": "Move page footers out of the markdown."},
        "include_image_base64": {"type": "boolean", "description": "Return extracted images as base64 (large)."},
        "extra": extra_schema(_RARE),
    },
    oneOf=[{"required": ["document_url"]}, {"required": ["image_url"]}, {"required": ["file_id"]}],
)
OUTPUT: s.Schema = {
    "type": "object",
    "properties": {
        "pages": {
            "type": "array",
            "items": {"type": "object", "properties": {"index": {"type": "integer"}, "markdown": {"type": "string"}}},
        },
        "model": {"type": "string"},
        "usage_info": {"type": "object"},
    },
    "required": ["pages"],
}


def _document(arguments: dict[str, Any]) -> dict[str, Any]:
    if "file_id" in arguments:
        return {"type": "file", "file_id": arguments["file_id"]}
    if "image_url" in arguments:
        return {"type": "image_url", "image_url": arguments["image_url"]}
    document = {"type": "document_url", "document_url": arguments["document_url"]}
    if "document_name" in arguments:
        document["document_name"] = arguments["document_name"]
    return document


def _page_text(page: dict[str, Any], position: int) -> str:
    """A page as a reader needs it: what was asked for lives outside `markdown` (tables extracted with
    `table_format` leave only a link to their id, headers and footers move to their own fields, image
    annotations sit on the images), so it is put back where a client showing only text will see it."""
    markdown = str(page.get("markdown") or "")
    for table in page.get("tables") or []:
        if isinstance(table, dict) and table.get("id") and isinstance(table.get("content"), str):
            link = f"[{table['id']}]({table['id']})"
            markdown = (
                markdown.replace(link, table["content"]) if link in markdown else f"{markdown}\n\n{table['content']}"
            )
    parts = [f"## Page {page.get('index', position) + 1}"]
    if isinstance(page.get("header"), str) and page["header"]:
        parts.append(f"Header: {page['header']}")
    parts.append(markdown)
    if isinstance(page.get("footer"), str) and page["footer"]:
        parts.append(f"Footer: {page['footer']}")
    for image in page.get("images") or []:
        if isinstance(image, dict) and image.get("image_annotation"):
            parts.append(f"Annotation of {image.get('id', 'an image')}: {image['image_annotation']}")
    return "\n\n".join(parts)


async def run_ocr(call: ToolCall) -> ToolOutput:
    if "document_name" in call.arguments and "document_url" not in call.arguments:
        raise ToolArgumentError("Argument 'document_name' goes with `document_url` only.")
    body = {"model": DEFAULT_OCR_MODEL, **call.fields(), "document": _document(call.arguments)}
    response: dict[str, Any] = await call.forward(body)
    pages = [p for p in response.get("pages") or [] if isinstance(p, dict)]
    blocks = [_page_text(page, position) for position, page in enumerate(pages)]
    if response.get("document_annotation"):
        blocks.append(f"## Document annotation\n\n{response['document_annotation']}")
    head = f"OCR of {len(pages)} page(s) by {response.get('model', body['model'])}:"
    return ToolOutput("\n\n".join([head, *blocks]), response)


TOOLS = (
    ToolSpec(
        name="mistral_ocr",
        family="documents",
        title="Read a document or image with Mistral OCR",
        description=(
            "Extract the text of a PDF, document or image as markdown with Mistral OCR. Give "
            "exactly one of `document_url`, `image_url` or `file_id` (a file uploaded with purpose ocr). Optional: "
            "`pages`, table format, header/footer extraction; json_schema annotations go in `extra`. "
            "Returns the markdown page by page; structuredContent holds pages, images and usage."
        ),
        input_schema=OCR_INPUT,
        output_schema=OUTPUT,
        method="POST",
        path=OCR,
        tool_only=DOCUMENT_SOURCES,
        extra=_RARE,
        run=run_ocr,
        read_only=True,
        idempotent=True,
        view=OCR_RESULT,
    ),
)
