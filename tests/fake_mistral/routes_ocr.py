"""OCR: ``POST /v1/ocr`` answers an OCRResponse with one fake markdown page per document page.

Page count: an image is one page, an uploaded PDF counts its ``/Type /Page``
objects, a document URL has ``DOCUMENT_URL_PAGES`` pages; ``pages`` selects some.
"""

from __future__ import annotations

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
# A real JPEG (a small bar chart), so a view shows an image where Mistral would return a figure of the page.
_FIGURE_JPEG = (
    "/9j/4AAQSkZJRgABAQAAAQABAAD/4gHYSUNDX1BST0ZJTEUAAQEAAAHIAAAAAAQwAABtbnRyUkdCIFhZWiAH4AABAAEAAAAAAABh"
    "Y3NwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQAA9tYAAQAAAADTLQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAlkZXNjAAAA8AAAACRyWFlaAAABFAAAABRnWFlaAAABKAAAABRiWFlaAAABPAAAABR3dHB0AAAB"
    "UAAAABRyVFJDAAABZAAAAChnVFJDAAABZAAAAChiVFJDAAABZAAAAChjcHJ0AAABjAAAADxtbHVjAAAAAAAAAAEAAAAMZW5VUwAA"
    "AAgAAAAcAHMAUgBHAEJYWVogAAAAAAAAb6IAADj1AAADkFhZWiAAAAAAAABimQAAt4UAABjaWFlaIAAAAAAAACSgAAAPhAAAts9Y"
    "WVogAAAAAAAA9tYAAQAAAADTLXBhcmEAAAAAAAQAAAACZmYAAPKnAAANWQAAE9AAAApbAAAAAAAAAABtbHVjAAAAAAAAAAEAAAAM"
    "ZW5VUwAAACAAAAAcAEcAbwBvAGcAbABlACAASQBuAGMALgAgADIAMAAxADb/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQ"
    "FxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgo"
    "KCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCAB4APADASIAAhEBAxEB/8QAGgABAAMBAQEAAAAAAAAAAAAAAAQG"
    "BwgFAv/EAEYQAAEABQcFCQ4FBQAAAAAAAAABAgMEBQcREjZFg7MGExdUwhQWITFRhJLD0hUjJVVkZYKToqOkstHiQVNhkcEkQ2KB"
    "of/EABsBAQADAQEBAQAAAAAAAAAAAAAEBgcFAwEC/8QAOBEAAQICBgQNBAMBAQAAAAAAAAECAwQFBhE0crEhMYHREhU1QUNRUlNx"
    "gqGywRMWYcIUM5GSov/aAAwDAQACEQMRAD8A6pAAABEzzTuvmaXesxTozfjSmnJYAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAABAt7m22TyBb3Ntsnn1QAAfAAAAAAAAAAAAAAAAAAAZ9lVKP3Bjz1De5W6MxR75uihSpKoW4qKeXlPK0veY/i/sKnKnXyKX"
    "WEoVQqEzSk0yM9jX6EVeZOvwNDkqCkYstDiPh2qrUVdK61TxNX0veY/i/sLXkJlfvr3d/Q7k3NQ/vZylSpf4ommo/wDTn01eQm3L"
    "jrD3o6kZmNMthxHWotvMnUv4ItMUPJy0m+LCZY5LOdetE51NWAK7v0gGv+5adksUWYhQLPqvRtvWqJmUuFAixrfptVbOpLSxAru/"
    "SAa/7lp2Rv0gGv8AuWnZPHjGU71v/Sbz1/gzXdO/xdxYgR4e+u8Rc2b05tM4waT0VqKUTzJShPAnh40JJBKa5HojmraikZzVaqtc"
    "lioAAfo+AAAEC3ubbZPIFvc22yefVAAB8AAABHiD67w5zaPT40zbBnNSWopTNOlCEcCOHjSg8XfpANf9y07IlBqg/wB3iKmMlZpm"
    "mY8hHSFCRFRUt029a/lOosNE0TBnYKxIiqiotmizqT8L1mzb9IBr/uWnZG/SAa/7lp2TGQcn7om+y3/F3nT+3JXtO/1Nx0QAeZGo"
    "y7wjM7pUarZ2lRzaEJ4puOdKOUu8ePDl2LFirY1Ocp0OG6I7gsS1T0wVnfnDvyXvoq9ob84d+S99FXtHO49o/vkJP8CZ7ClmB4cN"
    "ymc4g+s3ViyeFWjSeZK6qqEcCEp/BP6HuE6Wm4M03hwHcJNWgjxYL4K8GIlinPsqdfIpdYShVC1yp18il1hKFUKTOXiJiXM1Wjbn"
    "BwtyQGryE25cdYZQavITblx1hJoi9s25KQqw8nxNnuQ1Y53OiDnc9a2dD5v1K7VnpfL8gAFPLSbNJ9VBwvMRYsRXZPqoOF5iLFiN"
    "Uo66QsLckM2nr1FxLmoABMIoAABAt7m22TyBb3Ntsnn1QAZTpe8x/F/YNL3mP4v7Dmcbynb9F3HZ+3qQ7v1bvNWBlOl7zH8X9hoO"
    "SsY7vQF1iWY3Pn6Xe6dOjRWSrxzI5OQ94E9AmHcCE61fBSNN0XNSbEiR2WIq2a0XTsUhSg1Qf7vEVMZNmlBqg/3eIqYyU6tF7bhT"
    "NSyVcursS5IAAVs750QU2UWz7zZLkU2UWz7zZNDrLyZF8vuQzui70zbkpTAAZSW89nI6sbp6fyLGmGZ5HVjdPT+RY0w0ip9yfjXJ"
    "pWKa/vTw+VOfZU6+RS6wlCqFrlTr5FLrCUKocycvETEuZoVG3ODhbkgNXkJty46wyg1eQm3LjrCTRF7ZtyUhVh5PibPchqxzudEH"
    "O561s6HzfqV2rPS+X5AAKeWk2aT6qDheYixYiuyfVQcLzEWLEapR10hYW5IZtPXqLiXNQACYRQAACBb3NtsnkC3ubbZPPqg5SABm"
    "5swOgpLKhwu9xVzn06CksqHC73FXO3QN4dhXNCs1rubcSZKSZQaoP93iKmMmzSg1Qf7vEVMZOfWi9twpmpDq5dXYlyQAArZ3zogp"
    "sotn3myXIpsotn3myaHWXkyL5fchndF3pm3JSmAAykt57OR1Y3T0/kWNMMzyOrG6en8ixphpFT7k/GuTSsU1/enh8qc+yp18il1h"
    "KFULXKnXyKXWEoVQ5k5eImJczQqNucHC3JAavITblx1hlBq8hNuXHWEmiL2zbkpCrDyfE2e5DVjnc6IOdz1rZ0Pm/UrtWel8vyAA"
    "U8tJs0n1UHC8xFixFdk+qg4XmIsWI1SjrpCwtyQzaevUXEuagAEwigAAEC3ubbZPIFvc22yefVBykADNzZgdBSWVDhd7irnPp0FJ"
    "ZUOF3uKudugbw7CuaFZrXc24kyUkyg1Qf7vEVMZNmlBqg/3eIqYyc+tF7bhTNSHVy6uxLkgABWzvnRBTZRbPvNkuRTZRbPvNk0Os"
    "vJkXy+5DO6LvTNuSlMABlJbz2cjqxunp/IsaYZnkdWN09P5FjTDSKn3J+NcmlYpr+9PD5U59lTr5FLrCUKoWuVOvkUusJQqhzJy8"
    "RMS5mhUbc4OFuSA1eQm3LjrDKDV5CbcuOsJNEXtm3JSFWHk+Js9yGrHO50Qc7nrWzofN+pXas9L5fkAAp5aTZpPqoOF5iLFiK7J9"
    "VBwvMRYsRqlHXSFhbkhm09eouJc1AAJhFAAAID07vO7lXl0WYz5vNrKtUJ5Z50TDwp5F7ZPB9tBkOiN68asPUp+o0RvXjVh6lP1N"
    "eBzeKZPseq7zs/cFI956N3GQ6I3rxqw9Sn6l7yZhESgUEdoazaubZVjSmXWQshKaSyVuL/ZYwe0vIwJd3DhNsXVrX5UjTdKTU4xI"
    "cd9qItupE07EPBjsNiUXhTdxaNHNmq1ozrKoWSlEyyE/wVLRw9a+w6CTSwec1RkrNvSJHZaqJZrVMlPxLUjMSreBBdYmvUnyhmmj"
    "h619h0EjRw9a+w6CTSwRuIKP7v1dvJHHc93nom4geFPIvbPJjsFf4xmM61dWeapTUaXDPN9Cyg6MzLQpqEsGMlrV1ppT88xzoUV8"
    "F6PYtioUXeU9a0w/ZI3lPWtMP2SXoHJ+2qM7r/07eS+NJrt+ibioQrJh9hz+yembd3XWZzzKrIWmTOhKP5LB4U8i9sng6cnJQJFi"
    "w5dtiKtutV07VXqI0ePEju4URbVM1ymk6fY7G3mJNIg7sVm1GdRVmslCKKqFeOf9Dy9Eb141YepT9TXgeT6LlYjle5mldOtd50Id"
    "OT0JiQ2RLERLE0N1JsMh0RvXjVh6lP1LPkTki/5K7tzT26vG6aE9JRZWjRpdou4P1Bo6WgvSJDbYqfld5+JimJyZhrCivtav4Tx5"
    "kIHhTyL2yh6OHrX2HQSaWD7NyEvOWfXbbZq0qmvwVCNKzseUt+i6y3XoRdXiZpo4etfYdBI0cPWvsOgk0sEPiCj+79XbyXx3Pd56"
    "JuPBgUNiUIhTBxZtHNoqypTLLIWQlM6yU/yT/CnkXtk8HWhsbCYkNiWIiWJsOZEe6I5XuXSuk+WdPNq5yjTmRSo8U/4zH0Afo/IA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB/9k="
)
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
                    "image_base64": f"data:image/jpeg;base64,{_FIGURE_JPEG}"
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
