"""Document library tools through the SDK client, in both protocol eras: libraries, their documents
(multipart upload, extracted text in windows, reprocessing) and sharing."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import pytest

from server.tools.file_content import UPLOAD_MAX_BYTES
from tests.conftest import VALID_KEY, RunningApp
from tests.fake_mistral import FakeMistral
from tests.fake_mistral.routes_libraries import FAKE_USER_ID, add_library, finish_processing
from tests.support.mcp_client import MODES
from tests.support.tool_calls import call_tool, text_of

pytestmark = pytest.mark.anyio

LIBRARIES = "/v1/libraries"
WORKSPACE = "3f9a6b2c-1d4e-4f50-8a6b-7c8d9e0f1a2b"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Page >>\n\xff\xfe binary"


def library_path(library: dict[str, Any], tail: str = "") -> str:
    return f"{LIBRARIES}/{library['id']}{tail}"


async def upload(app: RunningApp, fake: FakeMistral, library: dict[str, Any], **arguments: Any) -> Any:
    return await call_tool(app, fake, "mistral_upload_library_document", {"library_id": library["id"], **arguments})


# --- libraries -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_create_library_posts_its_name_and_description(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    arguments = {"name": "Handbook", "description": "HR policies"}
    result = await call_tool(app, fake_mistral, "mistral_create_library", arguments, mode)
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", LIBRARIES)
    assert sent.api_key == VALID_KEY and sent.json == arguments
    library = result.structured_content
    assert library["name"] == "Handbook" and library["id"] in fake_mistral.libraries
    assert text_of(result).startswith(f"Created library {library['id']}: Handbook (0 document(s), 0 bytes")
    assert f'"library_ids": ["{library["id"]}"]' in text_of(result)


@pytest.mark.parametrize("mode", MODES)
async def test_list_libraries_pages_with_the_token_mistral_returns(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    for name in ("Oldest", "Middle", "Newest"):
        add_library(fake_mistral, name)
    first = await call_tool(app, fake_mistral, "mistral_list_libraries", {"page_size": 2}, mode)
    assert not first.is_error, text_of(first)
    assert [x["name"] for x in first.structured_content["data"]] == ["Newest", "Middle"]
    token = first.structured_content["next_page_token"]
    assert f"call again with page_token={token!r}" in text_of(first)
    second = await call_tool(app, fake_mistral, "mistral_list_libraries", {"page_size": 2, "page_token": token}, mode)
    [sent] = fake_mistral.requests_to("GET", LIBRARIES)
    assert sent.query == {"page_size": "2", "page_token": token}
    assert [x["name"] for x in second.structured_content["data"]] == ["Oldest"]
    assert "page_token" not in text_of(second)


async def test_list_libraries_searches_by_name(app: RunningApp, fake_mistral: FakeMistral) -> None:
    add_library(fake_mistral, "Legal contracts")
    add_library(fake_mistral, "Recipes")
    result = await call_tool(app, fake_mistral, "mistral_list_libraries", {"search": "legal"})
    assert [x["name"] for x in result.structured_content["data"]] == ["Legal contracts"]
    assert text_of(result).startswith("1 library:")


@pytest.mark.parametrize("mode", MODES)
async def test_get_library_reads_one_library(app: RunningApp, fake_mistral: FakeMistral, mode: str) -> None:
    library = add_library(fake_mistral, "Handbook", description="HR policies")
    result = await call_tool(app, fake_mistral, "mistral_get_library", {"library_id": library["id"]}, mode)
    assert not result.is_error, text_of(result)
    assert fake_mistral.requests_to("GET", library_path(library))
    assert text_of(result) == f"{library['id']}: Handbook (0 document(s), 0 bytes, owned by Workspace): HR policies"


@pytest.mark.parametrize("mode", MODES)
async def test_update_library_patches_only_what_is_given(app: RunningApp, fake_mistral: FakeMistral, mode: str) -> None:
    library = add_library(fake_mistral, "Handbook", description="HR policies")
    arguments = {"library_id": library["id"], "name": "Staff handbook"}
    result = await call_tool(app, fake_mistral, "mistral_update_library", arguments, mode)
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("PATCH", library_path(library))
    assert sent.json == {"name": "Staff handbook"}
    assert result.structured_content["name"] == "Staff handbook"
    assert result.structured_content["description"] == "HR policies"


@pytest.mark.parametrize("mode", MODES)
async def test_delete_library_deletes_it_with_its_documents(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    library = add_library(fake_mistral, "Old")
    result = await call_tool(app, fake_mistral, "mistral_delete_library", {"library_id": library["id"]}, mode)
    assert not result.is_error, text_of(result)
    assert fake_mistral.requests_to("DELETE", library_path(library))
    assert library["id"] not in fake_mistral.libraries
    assert result.structured_content["id"] == library["id"] and result.structured_content["deleted"] is True
    assert text_of(result) == f"Deleted library {library['id']} and every document in it."


async def test_a_library_mistral_does_not_have_is_an_error_result(app: RunningApp, fake_mistral: FakeMistral) -> None:
    result = await call_tool(app, fake_mistral, "mistral_get_library", {"library_id": str(uuid.uuid4())})
    assert result.is_error
    assert "404" in text_of(result)


# --- sharing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_share_list_and_unshare_a_library(app: RunningApp, fake_mistral: FakeMistral, mode: str) -> None:
    library = add_library(fake_mistral, "Handbook")
    entity = {"share_with_uuid": WORKSPACE, "share_with_type": "Workspace"}
    shared = await call_tool(
        app, fake_mistral, "mistral_share_library", {"library_id": library["id"], **entity, "level": "Editor"}, mode
    )
    assert not shared.is_error, text_of(shared)
    [put] = fake_mistral.requests_to("PUT", library_path(library, "/share"))
    assert put.json == {**entity, "level": "Editor"}
    assert text_of(shared) == f"Library {library['id']} is now shared with Workspace {WORKSPACE}: Editor."

    listed = await call_tool(app, fake_mistral, "mistral_list_library_shares", {"library_id": library["id"]}, mode)
    assert not listed.is_error, text_of(listed)
    assert text_of(listed).splitlines()[1:] == [f"- User {FAKE_USER_ID}: Owner", f"- Workspace {WORKSPACE}: Editor"]

    removed = await call_tool(
        app, fake_mistral, "mistral_unshare_library", {"library_id": library["id"], **entity}, mode
    )
    assert not removed.is_error, text_of(removed)
    [delete] = fake_mistral.requests_to("DELETE", library_path(library, "/share"))
    assert delete.json == entity and delete.query == {}
    assert [s["role"] for s in fake_mistral.libraries[library["id"]]["_shares"]] == ["Owner"]
    assert text_of(removed) == f"Library {library['id']} is no longer shared with Workspace {WORKSPACE}."


async def test_removing_the_owners_own_access_is_refused_by_mistral(app: RunningApp, fake_mistral: FakeMistral) -> None:
    library = add_library(fake_mistral, "Handbook")
    arguments = {"library_id": library["id"], "share_with_uuid": FAKE_USER_ID, "share_with_type": "User"}
    result = await call_tool(app, fake_mistral, "mistral_unshare_library", arguments)
    assert result.is_error and "own access" in text_of(result)


# --- documents -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_upload_text_sends_one_multipart_file_part(app: RunningApp, fake_mistral: FakeMistral, mode: str) -> None:
    library = add_library(fake_mistral, "Handbook")
    result = await call_tool(
        app,
        fake_mistral,
        "mistral_upload_library_document",
        {"library_id": library["id"], "filename": "leave.md", "content": "# Leave\n25 days a year."},
        mode,
    )
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", library_path(library, "/documents"))
    assert sent.api_key == VALID_KEY
    assert sent.files == {"file": ("leave.md", b"# Leave\n25 days a year.", "text/markdown")}
    assert sent.form == {}
    document = result.structured_content
    assert document["process_status"] == "todo" and document["id"] in library["_documents"]
    assert text_of(result).startswith(f"Added {document['id']}: leave.md (text/markdown, 23 bytes, processing todo)")


async def test_upload_base64_sends_the_decoded_bytes(app: RunningApp, fake_mistral: FakeMistral) -> None:
    library = add_library(fake_mistral, "Scans")
    result = await upload(
        app, fake_mistral, library, filename="scan.pdf", content_base64=base64.b64encode(PDF).decode()
    )
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", library_path(library, "/documents"))
    assert sent.files == {"file": ("scan.pdf", PDF, "application/pdf")}


async def test_upload_copies_a_file_already_uploaded_to_mistral(app: RunningApp, fake_mistral: FakeMistral) -> None:
    library = add_library(fake_mistral, "Scans")
    stored = fake_mistral.add_file(PDF, filename="original.pdf", purpose="ocr")
    result = await upload(app, fake_mistral, library, filename="contract.pdf", file_id=stored["id"])
    assert not result.is_error, text_of(result)
    [read] = fake_mistral.requests_to("GET", f"/v1/files/{stored['id']}/content")
    assert read.api_key == VALID_KEY
    [sent] = fake_mistral.requests_to("POST", library_path(library, "/documents"))
    assert sent.api_key == VALID_KEY
    assert sent.files == {"file": ("contract.pdf", PDF, "application/pdf")}


async def test_uploading_the_same_bytes_again_gives_back_the_existing_document(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    library = add_library(fake_mistral, "Handbook")
    first = await upload(app, fake_mistral, library, filename="a.txt", content="same words")
    again = await upload(app, fake_mistral, library, filename="b.txt", content="same words")
    assert again.structured_content["id"] == first.structured_content["id"]
    assert len(library["_documents"]) == 1


async def test_a_file_too_large_to_copy_is_refused_without_uploading(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    library = add_library(fake_mistral, "Big")
    stored = fake_mistral.add_file(b"x" * (UPLOAD_MAX_BYTES + 1), filename="big.txt")
    result = await upload(app, fake_mistral, library, filename="big.txt", file_id=stored["id"])
    assert result.is_error
    assert "Argument 'file_id'" in text_of(result) and "larger than 10 MiB" in text_of(result)
    assert fake_mistral.requests_to("POST", library_path(library, "/documents")) == []


async def test_content_past_the_upload_cap_is_refused_before_any_upstream_call(
    app: RunningApp, fake_mistral: FakeMistral
) -> None:
    library = add_library(fake_mistral, "Big")
    too_big = base64.b64encode(b"\0" * (UPLOAD_MAX_BYTES + 1)).decode()
    result = await upload(app, fake_mistral, library, filename="big.bin", content_base64=too_big)
    assert result.is_error and "'content_base64' is too large" in text_of(result)
    assert fake_mistral.requests == []


@pytest.mark.parametrize("mode", MODES)
async def test_list_documents_pages_with_a_small_default(app: RunningApp, fake_mistral: FakeMistral, mode: str) -> None:
    library = add_library(fake_mistral, "Handbook")
    for index in range(3):
        await upload(app, fake_mistral, library, filename=f"doc{index}.txt", content=f"document {index}")
    result = await call_tool(
        app, fake_mistral, "mistral_list_library_documents", {"library_id": library["id"], "page_size": 2}, mode
    )
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("GET", library_path(library, "/documents"))
    assert sent.query == {"page_size": "2"}
    lines = text_of(result).splitlines()
    assert lines[0] == "2 document(s) on page 0, 3 in all:"
    assert lines[1].endswith(": doc2.txt (text/plain, 10 bytes, processing todo)")
    assert lines[-1] == "More documents: call again with page=1."

    default = await call_tool(app, fake_mistral, "mistral_list_library_documents", {"library_id": library["id"]})
    assert default.structured_content["pagination"]["page_size"] == 20


async def _processed(app: RunningApp, fake: FakeMistral, text: str) -> tuple[dict[str, Any], str]:
    library = add_library(fake, "Handbook")
    uploaded = await upload(app, fake, library, filename="policy.pdf", content_base64=base64.b64encode(PDF).decode())
    finish_processing(fake, library["id"], uploaded.structured_content["id"], text=text)
    return library, uploaded.structured_content["id"]


@pytest.mark.parametrize("mode", MODES)
async def test_get_document_returns_its_status_and_the_extracted_text_in_windows(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    text = "".join(f"Clause {n}. " for n in range(1000))
    library, document_id = await _processed(app, fake_mistral, text)
    ids = {"library_id": library["id"], "document_id": document_id}
    first = await call_tool(app, fake_mistral, "mistral_get_library_document", {**ids, "max_chars": 5000}, mode)
    assert not first.is_error, text_of(first)
    assert fake_mistral.requests_to("GET", library_path(library, f"/documents/{document_id}"))
    [read] = fake_mistral.requests_to("GET", library_path(library, f"/documents/{document_id}/text_content"))
    assert read.query == {}
    head, window = (block.text for block in first.content)
    assert window == text[:5000]
    assert (
        head.splitlines()[0]
        == f"{document_id}: policy.pdf (application/pdf, {len(PDF)} bytes, 1 page(s), processing done)"
    )
    assert f"characters 0 to 5,000 of {len(text):,}" in head and "offset=5000" in head
    assert first.structured_content["text"] == {
        "offset": 0,
        "chars_returned": 5000,
        "total_chars": len(text),
        "next_offset": 5000,
    }
    assert first.structured_content["document"]["process_status"] == "done"

    last = await call_tool(app, fake_mistral, "mistral_get_library_document", {**ids, "offset": 5000}, mode)
    assert last.content[1].text == text[5000:]
    assert last.structured_content["text"]["next_offset"] is None
    assert "The rest was cut" not in text_of(last)


async def test_get_document_asks_mistral_for_the_pages_given(app: RunningApp, fake_mistral: FakeMistral) -> None:
    library, document_id = await _processed(app, fake_mistral, "page one\fpage two")
    arguments = {"library_id": library["id"], "document_id": document_id, "page_start": 1, "page_end": 2}
    result = await call_tool(app, fake_mistral, "mistral_get_library_document", arguments)
    assert not result.is_error, text_of(result)
    [read] = fake_mistral.requests_to("GET", library_path(library, f"/documents/{document_id}/text_content"))
    assert read.query == {"page_start": "1", "page_end": "2"}
    [details] = fake_mistral.requests_to("GET", library_path(library, f"/documents/{document_id}"))
    assert details.query == {}


@pytest.mark.parametrize(
    ("status", "says"),
    [("todo", "not processed it yet"), ("in_progress", "is processing it"), ("error", "could not process it")],
)
async def test_a_document_without_extracted_text_says_why_and_reads_no_text(
    app: RunningApp, fake_mistral: FakeMistral, status: str, says: str
) -> None:
    library = add_library(fake_mistral, "Handbook")
    document_id = (await upload(app, fake_mistral, library, filename="a.txt", content="words")).structured_content["id"]
    finish_processing(fake_mistral, library["id"], document_id, status=status)
    arguments = {"library_id": library["id"], "document_id": document_id}
    result = await call_tool(app, fake_mistral, "mistral_get_library_document", arguments)
    assert not result.is_error, text_of(result)
    assert says in text_of(result) and result.structured_content["text"] is None
    assert fake_mistral.requests_to("GET", library_path(library, f"/documents/{document_id}/text_content")) == []


@pytest.mark.parametrize("mode", MODES)
async def test_delete_document_removes_it(app: RunningApp, fake_mistral: FakeMistral, mode: str) -> None:
    library, document_id = await _processed(app, fake_mistral, "text")
    ids = {"library_id": library["id"], "document_id": document_id}
    result = await call_tool(app, fake_mistral, "mistral_delete_library_document", ids, mode)
    assert not result.is_error, text_of(result)
    assert fake_mistral.requests_to("DELETE", library_path(library, f"/documents/{document_id}"))
    assert library["_documents"] == {} and result.structured_content == ids
    assert text_of(result).startswith(f"Deleted document {document_id} from library {library['id']}")


@pytest.mark.parametrize("mode", MODES)
async def test_reprocess_document_sends_it_back_to_processing(
    app: RunningApp, fake_mistral: FakeMistral, mode: str
) -> None:
    library, document_id = await _processed(app, fake_mistral, "text")
    ids = {"library_id": library["id"], "document_id": document_id}
    result = await call_tool(app, fake_mistral, "mistral_reprocess_library_document", ids, mode)
    assert not result.is_error, text_of(result)
    [sent] = fake_mistral.requests_to("POST", library_path(library, f"/documents/{document_id}/reprocess"))
    assert sent.body == b""
    assert library["_documents"][document_id]["process_status"] == "todo"
    assert "again" in text_of(result)


# --- arguments -------------------------------------------------------------------------------

_LIBRARY = "6b0c7d2e-3f4a-4b5c-8d6e-7f8a9b0c1d2e"
_DOCUMENT = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"


@pytest.mark.parametrize(
    ("tool", "arguments", "named"),
    [
        ("mistral_get_library", {"library_id": "../files"}, "library_id"),
        ("mistral_create_library", {"description": "no name"}, "name"),
        ("mistral_create_library", {"name": "x", "owner_type": "Team"}, "owner_type"),
        ("mistral_update_library", {"library_id": _LIBRARY}, "name"),
        ("mistral_list_libraries", {"page_size": 101}, "page_size"),
        ("mistral_share_library", {"library_id": _LIBRARY, "share_with_uuid": WORKSPACE}, "share_with_type"),
        (
            "mistral_share_library",
            {"library_id": _LIBRARY, "share_with_uuid": "me", "share_with_type": "User", "level": "Viewer"},
            "share_with_uuid",
        ),
        (
            "mistral_share_library",
            {"library_id": _LIBRARY, "share_with_uuid": WORKSPACE, "share_with_type": "User", "level": "Owner"},
            "level",
        ),
        ("mistral_upload_library_document", {"library_id": _LIBRARY, "filename": "a.txt"}, "content"),
        (
            "mistral_upload_library_document",
            {"library_id": _LIBRARY, "filename": "a.txt", "content": "x", "file_id": _DOCUMENT},
            "file_id",
        ),
        (
            "mistral_upload_library_document",
            {"library_id": _LIBRARY, "filename": "a/b.txt", "content": "x"},
            "filename",
        ),
        ("mistral_get_library_document", {"library_id": _LIBRARY, "document_id": "x?y"}, "document_id"),
        (
            "mistral_get_library_document",
            {"library_id": _LIBRARY, "document_id": _DOCUMENT, "max_chars": 100_001},
            "max_chars",
        ),
        ("mistral_delete_library_document", {"library_id": _LIBRARY}, "document_id"),
    ],
)
async def test_bad_library_arguments_are_refused_before_any_upstream_call(
    app: RunningApp, fake_mistral: FakeMistral, tool: str, arguments: dict[str, Any], named: str
) -> None:
    result = await call_tool(app, fake_mistral, tool, arguments)
    assert result.is_error and named in text_of(result)
    assert fake_mistral.requests == []
