"""OCR: ``POST /v1/ocr`` answers an OCRResponse with one fake markdown page per document page.

Page count: an image is one page, an uploaded PDF counts its ``/Type /Page``
objects, a document URL has ``DOCUMENT_URL_PAGES`` pages; ``pages`` selects some.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .common import get_state, read_body, resolve_model, route
from .errors import invalid_model, mistral_error, not_found
from .generation import sample_from_schema
from .schemas import OCR_REQUEST

DEFAULT_OCR_MODEL = "mistral-ocr-latest"
DOCUMENT_URL_PAGES = 2
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?!s)")
_TINY_JPEG = base64.b64encode(b"\xff\xd8\xff\xe0fake-jpeg\xff\xd9").decode()
_DIMENSIONS = {"dpi": 200, "height": 2200, "width": 1700}


def _page_indices(spec: str | list[int] | None, count: int) -> list[int] | None:
    """OCRRequest.pages: a list of indices or a string like ``"0,2-3"``; None if invalid."""
    if spec is None:
        return list(range(count))
    if isinstance(spec, list):
        indices = spec
    else:
        indices = []
        for part in filter(None, (p.strip() for p in spec.split(","))):
            first, _, last = part.partition("-")
            if not first.isdigit() or (last and not last.isdigit()):
                return None
            indices.extend(range(int(first), int(last or first) + 1))
    return indices if all(0 <= i < count for i in indices) else None


def _annotation(response_format: dict[str, Any] | None) -> str | None:
    if not response_format:
        return None
    schema = (response_format.get("json_schema") or {}).get("schema") or {}
    return json.dumps(sample_from_schema(schema, "Fake annotation."))


async def ocr(request: Request) -> Response:
    # OCRRequest -> OCRResponse
    state = get_state(request)
    data = await read_body(request, OCR_REQUEST)
    if isinstance(data, Response):
        return data
    model_id = data.get("model") or DEFAULT_OCR_MODEL
    model = resolve_model(state, model_id)
    if model is None or not model.can("ocr"):
        return invalid_model(model_id)
    document = data["document"]
    size: int | None = None
    if "file_id" in document:
        with state.lock:
            stored = state.files.get(document["file_id"])
        if stored is None:
            return not_found("File", document["file_id"])
        name, size = stored["filename"], stored["bytes"]
        count = max(1, len(_PDF_PAGE.findall(stored["content"])))
    elif "image_url" in document:
        name, count = "image", 1
    else:
        name, count = document.get("document_name") or document["document_url"], DOCUMENT_URL_PAGES
    indices = _page_indices(data.get("pages"), count)
    if indices is None:
        return mistral_error(400, f"Invalid pages {data.get('pages')!r} for a document of {count} pages")
    image_limit = data.get("image_limit")
    bbox_annotation = _annotation(data.get("bbox_annotation_format"))
    pages = []
    for position, index in enumerate(indices):
        with_image = position == 0 and (image_limit is None or image_limit > 0)
        images = (
            [
                {
                    "id": "img-0.jpeg",
                    "top_left_x": 292,
                    "top_left_y": 217,
                    "bottom_right_x": 1405,
                    "bottom_right_y": 649,
                    "image_base64": f"data:image/jpeg;base64,{_TINY_JPEG}"
                    if data.get("include_image_base64")
                    else None,
                    "image_annotation": bbox_annotation,
                }
            ]
            if with_image
            else []
        )
        markdown = f"# Page {index + 1}\n\nFake OCR text of {name}, page {index + 1}."
        if with_image:
            markdown += "\n\n![img-0.jpeg](img-0.jpeg)"
        tables = []
        if data.get("table_format") in {"markdown", "html"}:
            # As Mistral does: the table leaves the markdown, a link to its id stays in its place.
            fmt = data["table_format"]
            table_id = f"tbl-{index}.{'md' if fmt == 'markdown' else 'html'}"
            content = (
                "| Item | Revenue |\n| --- | --- |\n| Q1 | 10 |"
                if fmt == "markdown"
                else ("<table><tr><th>Item</th><th>Revenue</th></tr><tr><td>Q1</td><td>10</td></tr></table>")
            )
            tables.append({"id": table_id, "content": content, "format": fmt})
            markdown += f"\n\n[{table_id}]({table_id})"
        pages.append(
            {
                "index": index,
                "markdown": markdown,
                "images": images,
                "tables": tables,
                "hyperlinks": [],
                "header": f"Header of page {index + 1}" if data.get("extract_header") else None,
                "footer": f"Footer of page {index + 1}" if data.get("extract_footer") else None,
                "dimensions": dict(_DIMENSIONS),
            }
        )
    return JSONResponse(
        {
            "pages": pages,
            "model": model_id,
            "document_annotation": _annotation(data.get("document_annotation_format")),
            "usage_info": {"pages_processed": len(pages), "doc_size_bytes": size},
        }
    )


routes = [route("/v1/ocr", {"POST": ocr})]
