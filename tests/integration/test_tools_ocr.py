"""`mistral_ocr` through the SDK client: each document source becomes OCRRequest.document."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.tool_calls import call_tool, text_of

pytestmark = pytest.mark.anyio

THREE_PAGE_PDF = b"%PDF-1.7\n" + b"".join(b"%d 0 obj << /Type /Page >> endobj\n" % i for i in range(3))


async def test_ocr_of_a_document_url_returns_markdown_per_page(app: RunningApp, fake_mistral: FakeMistral) -> None:
    arguments = {"document_url": "https://example.com/report.pdf", "document_name": "report.pdf"}
    result = await call_tool(app, fake_mistral, "mistral_ocr", {**arguments, "table_format": "html"})
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", "/v1/ocr")
    assert sent.api_key == VALID_KEY
    assert sent.json == {
        "model": "mistral-ocr-latest",
        "table_format": "html",
        "document": {"type": "document_url", **arguments},
    }
    text = text_of(result)
    assert text.startswith("OCR of 2 page(s) by mistral-ocr-latest:")
    assert "## Page 1\n\n# Page 1\n\nFake OCR text of report.pdf, page 1." in text
    assert "## Page 2" in text
    assert [p["index"] for p in result.structured_content["pages"]] == [0, 1]


@pytest.mark.parametrize("table_format", ["html", "markdown"])
async def test_what_was_asked_for_outside_the_markdown_is_in_the_text(
    app: RunningApp, fake_mistral: FakeMistral, table_format: str
) -> None:
    # Clients often show a model only the text: extracted tables, headers and footers must be in it.
    arguments = {"document_url": "https://example.com/report.pdf", "table_format": table_format}
    result = await call_tool(
        app, fake_mistral, "mistral_ocr", {**arguments, "extract_header": True, "extract_footer": True}
    )
    assert not result.is_error, text_of(result)
    text = text_of(result)
    [table] = result.structured_content["pages"][0]["tables"]
    assert table["content"] in text and f"[{table['id']}]({table['id']})" not in text
    assert "## Page 1\n\nHeader: Header of page 1\n\n# Page 1" in text
    assert "Footer: Footer of page 1" in text


async def test_ocr_of_an_image_url(app: RunningApp, fake_mistral: FakeMistral) -> None:
    image = "data:image/png;base64,iVBORw0KGgo="
    result = await call_tool(app, fake_mistral, "mistral_ocr", {"image_url": image, "include_image_base64": True})
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", "/v1/ocr")
    assert sent.json["document"] == {"type": "image_url", "image_url": image}
    assert sent.json["include_image_base64"] is True
    assert result.structured_content["pages"][0]["images"][0]["image_base64"].startswith("data:image/jpeg;base64,")


async def test_ocr_of_an_uploaded_file_with_chosen_pages(app: RunningApp, fake_mistral: FakeMistral) -> None:
    stored = fake_mistral.add_file(THREE_PAGE_PDF, filename="scan.pdf", purpose="ocr")
    arguments = {"file_id": stored["id"], "pages": "0,2", "model": "mistral-ocr-2505", "extract_header": True}
    result = await call_tool(app, fake_mistral, "mistral_ocr", arguments)
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", "/v1/ocr")
    assert sent.json == {
        "model": "mistral-ocr-2505",
        "pages": "0,2",
        "extract_header": True,
        "document": {"type": "file", "file_id": stored["id"]},
    }
    assert [p["index"] for p in result.structured_content["pages"]] == [0, 2]
    assert "## Page 3" in text_of(result) and "## Page 2" not in text_of(result)


async def test_ocr_document_annotation_is_shown(app: RunningApp, fake_mistral: FakeMistral) -> None:
    schema = {"type": "object", "properties": {"title": {"type": "string"}}}
    annotation = {"type": "json_schema", "json_schema": {"name": "doc", "schema": schema}}
    result = await call_tool(
        app,
        fake_mistral,
        "mistral_ocr",
        {"document_url": "https://example.com/a.pdf", "extra": {"document_annotation_format": annotation}},
    )
    assert not result.is_error, text_of(result)
    assert "## Document annotation" in text_of(result)
    assert result.structured_content["document_annotation"]


async def test_ocr_of_a_missing_file_is_an_error_result(app: RunningApp, fake_mistral: FakeMistral) -> None:
    result = await call_tool(app, fake_mistral, "mistral_ocr", {"file_id": str(uuid.uuid4())})
    assert result.is_error
    assert "no such resource (404)" in text_of(result)


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({}, "document_url"),
        ({"document_url": "https://a/b.pdf", "image_url": "https://a/b.png"}, "image_url"),
        ({"image_url": "https://a/b.png", "document_name": "b.png"}, "document_name"),
        ({"document_url": "https://a/b.pdf", "table_format": "latex"}, "table_format"),
        ({"document_url": "https://a/b.pdf", "pages": [-1]}, "pages"),
        ({"file_id": "scan.pdf"}, "file_id"),
    ],
)
async def test_bad_ocr_arguments_are_refused_before_any_upstream_call(
    app: RunningApp, fake_mistral: FakeMistral, arguments: dict[str, Any], named: str
) -> None:
    result = await call_tool(app, fake_mistral, "mistral_ocr", arguments)
    assert result.is_error and named in text_of(result)
    assert fake_mistral.requests == []
