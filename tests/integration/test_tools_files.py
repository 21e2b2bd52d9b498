"""File tools through the SDK client: multipart upload, list, get, download windows, signed URL, delete."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import mcp_types as types
import pytest

from server.tools.file_content import DOWNLOAD_MAX_BYTES, UPLOAD_MAX_BYTES
from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.support.tool_calls import call_tool, text_of

pytestmark = pytest.mark.anyio

JSONL = '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


async def test_upload_text_content_sends_a_multipart_file(app: RunningApp, fake_mistral: FakeMistral) -> None:
    arguments = {"filename": "train.jsonl", "purpose": "fine-tune", "content": JSONL * 3, "visibility": "user"}
    result = await call_tool(app, fake_mistral, "mistral_upload_file", arguments)
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", "/v1/files")
    assert sent.api_key == VALID_KEY
    assert sent.files == {"file": ("train.jsonl", (JSONL * 3).encode(), "application/jsonl")}
    assert sent.form == {"purpose": "fine-tune", "visibility": "user"}
    record = result.structured_content
    assert record["filename"] == "train.jsonl" and record["bytes"] == len(JSONL) * 3
    assert record["id"] in fake_mistral.files
    assert text_of(result).startswith(f"Uploaded {record['id']}: train.jsonl ({record['bytes']:,} bytes, 3 lines")


@pytest.mark.parametrize("prefix", ["", "data:application/pdf;base64,", "urlsafe-unpadded:"])
async def test_upload_base64_content_sends_the_decoded_bytes(
    app: RunningApp, fake_mistral: FakeMistral, prefix: str
) -> None:
    pdf = b"%PDF-1.7\n1 0 obj << /Type /Page >>\n\xff\xfe binary"
    encoded = prefix + base64.b64encode(pdf).decode()
    if prefix == "urlsafe-unpadded:":  # as JavaScript's and many tools' URL-safe encoders write it
        encoded = base64.urlsafe_b64encode(pdf).decode().rstrip("=")
    arguments = {"filename": "scan.pdf", "purpose": "ocr", "content_base64": encoded, "expiry": 48}
    result = await call_tool(app, fake_mistral, "mistral_upload_file", arguments)
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", "/v1/files")
    assert sent.files == {"file": ("scan.pdf", pdf, "application/pdf")}
    assert sent.form == {"purpose": "ocr", "expiry": "48"}


async def test_upload_defaults_to_the_fine_tune_purpose(app: RunningApp, fake_mistral: FakeMistral) -> None:
    result = await call_tool(app, fake_mistral, "mistral_upload_file", {"filename": "a.jsonl", "content": JSONL})
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", "/v1/files")
    assert sent.form == {"purpose": "fine-tune"}


@pytest.mark.parametrize(
    ("arguments", "named", "says"),
    [
        ({"filename": "a.pdf", "content_base64": "not base64!"}, "content_base64", "not valid base64"),
        ({"filename": "a.pdf", "content_base64": "QUJDR"}, "content_base64", "not valid base64"),  # 5 chars: never
        ({"filename": "a.pdf", "content": "x", "content_base64": "eA=="}, "content", "exactly one"),
        ({"filename": "a.pdf"}, "content", "exactly one"),
        ({"filename": "a.pdf", "content": "x", "purpose": "audio"}, "purpose", "'fine-tune'"),
        ({"filename": "../etc/passwd", "content": "x"}, "filename", "not valid"),
        ({"content": "x"}, "filename", "Missing required"),
        ({"filename": "a.jsonl", "content": "x", "expiry": "soon"}, "expiry", "integer"),
    ],
)
async def test_bad_upload_arguments_are_refused_before_any_upstream_call(
    app: RunningApp, fake_mistral: FakeMistral, arguments: dict[str, Any], named: str, says: str
) -> None:
    result = await call_tool(app, fake_mistral, "mistral_upload_file", arguments)
    assert result.is_error, text_of(result)
    assert named in text_of(result) and says in text_of(result)
    assert fake_mistral.requests == []


async def test_an_upload_over_the_size_cap_is_refused_with_the_limit(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    # Valid base64 that decodes to one byte more than the cap: the tool's own size check answers.
    too_big = base64.b64encode(b"\0" * (UPLOAD_MAX_BYTES + 1)).decode()
    result = await call_tool(
        app, fake_mistral, "mistral_upload_file", {"filename": "big.bin", "content_base64": too_big}
    )
    assert result.is_error
    assert "Argument 'content_base64' is too large: 10.0 MiB" in text_of(result)
    assert "at most 10 MiB" in text_of(result)
    assert fake_mistral.requests == []


@pytest.mark.parametrize("number", [1, 1.0], ids=["int", "whole-float"])  # JSON Schema says 1.0 is an integer
async def test_list_files_forwards_filters_and_paging(
    app: RunningApp, fake_mistral: FakeMistral, number: float
) -> None:
    for name in ("a.jsonl", "b.jsonl", "c.jsonl"):
        fake_mistral.add_file(JSONL.encode(), filename=name, purpose="batch")
    fake_mistral.add_file(PNG, filename="d.png", purpose="ocr")
    arguments = {"page": number, "page_size": number, "purpose": "batch", "sample_type": ["batch_request", "instruct"]}
    result = await call_tool(app, fake_mistral, "mistral_list_files", arguments)
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("GET", "/v1/files")
    assert sorted(sent.query_items) == [
        ("page", "1"),
        ("page_size", "1"),
        ("purpose", "batch"),
        ("sample_type", "batch_request"),
        ("sample_type", "instruct"),
    ]
    assert result.structured_content["total"] == 3 and len(result.structured_content["data"]) == 1
    lines = text_of(result).splitlines()
    assert lines[0] == "1 file(s) on page 1, 3 in all:"
    assert "purpose batch, batch_request, application/jsonl" in lines[1]
    assert lines[-1] == "More files: call again with page=2."


async def test_get_file_reads_its_record(app: RunningApp, fake_mistral: FakeMistral) -> None:
    stored = fake_mistral.add_file(JSONL.encode(), filename="train.jsonl")
    result = await call_tool(app, fake_mistral, "mistral_get_file", {"file_id": stored["id"]})
    assert not result.is_error, text_of(result)
    assert fake_mistral.requests_to("GET", f"/v1/files/{stored['id']}")
    assert result.structured_content["filename"] == "train.jsonl"
    assert text_of(result).startswith(f"{stored['id']}: train.jsonl ({len(JSONL)} bytes, 1 lines")


@pytest.mark.parametrize(
    "tool", ["mistral_get_file", "mistral_download_file", "mistral_get_file_url", "mistral_delete_file"]
)
async def test_an_unknown_file_id_is_an_error_result(app: RunningApp, fake_mistral: FakeMistral, tool: str) -> None:
    result = await call_tool(app, fake_mistral, tool, {"file_id": str(uuid.uuid4())})
    assert result.is_error
    assert "no such resource (404)" in text_of(result)


async def test_a_file_id_that_is_not_a_uuid_is_refused(app: RunningApp, fake_mistral: FakeMistral) -> None:
    result = await call_tool(app, fake_mistral, "mistral_delete_file", {"file_id": "../models/x"})
    assert result.is_error and "file_id" in text_of(result)
    assert fake_mistral.requests == []


async def test_whole_float_offsets_and_sizes_work_as_integers(app: RunningApp, fake_mistral: FakeMistral) -> None:
    stored = fake_mistral.add_file(JSONL.encode(), filename="train.jsonl")
    arguments = {"file_id": stored["id"], "offset": 2.0, "max_bytes": 10.0}
    result = await call_tool(app, fake_mistral, "mistral_download_file", arguments)
    assert not result.is_error, text_of(result)
    assert result.structured_content["offset"] == 2 and result.structured_content["bytes_returned"] == 10
    assert result.content[1].text == JSONL[2:12]


async def test_download_returns_text_inline(app: RunningApp, fake_mistral: FakeMistral) -> None:
    stored = fake_mistral.add_file((JSONL * 2).encode(), filename="train.jsonl")
    result = await call_tool(app, fake_mistral, "mistral_download_file", {"file_id": stored["id"]})
    assert not result.is_error, text_of(result)
    assert fake_mistral.requests_to("GET", f"/v1/files/{stored['id']}/content")
    head, body = (block.text for block in result.content)
    assert head == f"File {stored['id']} ({len(JSONL) * 2} bytes, UTF-8 text); its content is the next block."
    assert body == JSONL * 2
    assert result.structured_content == {
        "file_id": stored["id"],
        "offset": 0,
        "bytes_returned": len(JSONL) * 2,
        "total_bytes": len(JSONL) * 2,
        "next_offset": None,
        "encoding": "text",
        "mimetype": "text/plain",
    }


async def test_download_of_a_large_text_file_comes_in_windows_that_never_split_a_character(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    # "é" is two bytes and straddles the first window's end.
    content = "a" * (DOWNLOAD_MAX_BYTES - 1) + "é" + "b" * 10
    stored = fake_mistral.add_file(content.encode(), filename="big.txt")
    first = await call_tool(app, fake_mistral, "mistral_download_file", {"file_id": stored["id"]})
    assert first.content[1].text == "a" * (DOWNLOAD_MAX_BYTES - 1)
    assert first.structured_content["next_offset"] == DOWNLOAD_MAX_BYTES - 1
    assert f"offset={DOWNLOAD_MAX_BYTES - 1}" in text_of(first) and "mistral_get_file_url" in text_of(first)
    second = await call_tool(
        app, fake_mistral, "mistral_download_file", {"file_id": stored["id"], "offset": DOWNLOAD_MAX_BYTES - 1}
    )
    assert second.content[1].text == "é" + "b" * 10
    assert second.structured_content["next_offset"] is None
    assert second.structured_content["total_bytes"] == len(content.encode())


async def test_download_returns_binary_as_a_base64_embedded_resource(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    stored = fake_mistral.add_file(PNG, filename="pic.png", purpose="ocr")
    result = await call_tool(app, fake_mistral, "mistral_download_file", {"file_id": stored["id"]})
    assert not result.is_error, text_of(result)
    [_, block] = result.content
    assert isinstance(block, types.EmbeddedResource)
    assert block.resource.mime_type == "image/png"
    assert base64.b64decode(block.resource.blob) == PNG
    assert "is binary: attached as an embedded resource, base64-encoded" in text_of(result)
    assert result.structured_content["encoding"] == "base64"


async def test_download_of_a_large_binary_stops_at_the_cap_and_says_how_to_go_on(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    content = PNG * 300
    stored = fake_mistral.add_file(content, filename="big.png")
    result = await call_tool(
        app, fake_mistral, "mistral_download_file", {"file_id": stored["id"], "offset": 10, "encoding": "base64"}
    )
    assert not result.is_error, text_of(result)
    assert base64.b64decode(result.content[1].resource.blob) == content[10 : 10 + DOWNLOAD_MAX_BYTES]
    assert result.structured_content["next_offset"] == 10 + DOWNLOAD_MAX_BYTES
    assert f"bytes 10 to {10 + DOWNLOAD_MAX_BYTES:,} of {len(content):,}" in text_of(result)
    assert f"offset={10 + DOWNLOAD_MAX_BYTES}" in text_of(result)


async def test_download_as_text_of_a_binary_file_is_an_error(app: RunningApp, fake_mistral: FakeMistral) -> None:
    stored = fake_mistral.add_file(PNG, filename="pic.png")
    result = await call_tool(app, fake_mistral, "mistral_download_file", {"file_id": stored["id"], "encoding": "text"})
    assert result.is_error and "encoding 'base64'" in text_of(result)


async def test_get_file_url_gives_a_link_that_works_without_a_key(app: RunningApp, fake_mistral: FakeMistral) -> None:
    stored = fake_mistral.add_file(JSONL.encode(), filename="train.jsonl")
    result = await call_tool(app, fake_mistral, "mistral_get_file_url", {"file_id": stored["id"], "expiry": 2})
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("GET", f"/v1/files/{stored['id']}/url")
    assert sent.query == {"expiry": "2"}
    url = result.structured_content["url"]
    assert url in text_of(result) and "works for 2 h" in text_of(result)
    assert httpx.get(url).content == JSONL.encode()


async def test_delete_file_deletes_it(app: RunningApp, fake_mistral: FakeMistral) -> None:
    stored = fake_mistral.add_file(JSONL.encode())
    result = await call_tool(app, fake_mistral, "mistral_delete_file", {"file_id": stored["id"]})
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("DELETE", f"/v1/files/{stored['id']}")
    assert sent.api_key == VALID_KEY
    assert stored["id"] not in fake_mistral.files
    assert text_of(result) == f"Deleted file {stored['id']}."


async def test_an_upload_refused_with_503_is_retried_with_the_same_file(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    fake_mistral.fail_next("/v1/files", status=503, retry_after="0")
    result = await call_tool(app, fake_mistral, "mistral_upload_file", {"filename": "a.jsonl", "content": JSONL})
    assert not result.is_error, text_of(result)
    first, second = fake_mistral.requests_to("POST", "/v1/files")
    assert first.body == second.body
    assert second.files == {"file": ("a.jsonl", JSONL.encode(), "application/jsonl")}


async def test_a_window_too_small_for_one_character_never_sends_the_caller_back_to_the_same_offset(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    stored = fake_mistral.add_file("日本語".encode(), filename="ja.txt")
    result = await call_tool(app, fake_mistral, "mistral_download_file", {"file_id": stored["id"], "max_bytes": 2})
    assert not result.is_error, text_of(result)
    assert result.structured_content["encoding"] == "base64"  # the two bytes as they are, not "" as text
    assert (result.structured_content["bytes_returned"], result.structured_content["next_offset"]) == (2, 2)
    assert "bytes 0 to 2 of 9" in text_of(result) and "at most 2 bytes per call" in text_of(result)
    as_text = {"file_id": stored["id"], "max_bytes": 2, "encoding": "text"}
    refused = await call_tool(app, fake_mistral, "mistral_download_file", as_text)
    assert refused.is_error and "max_bytes" in text_of(refused)
