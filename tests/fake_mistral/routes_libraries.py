"""Document libraries (current document): libraries, their documents (multipart upload, text content,
reprocessing) and sharing.

An uploaded document waits in ``todo`` until a test calls ``finish_processing`` (which stores its
extracted text); uploading bytes a library already holds answers 200 with the existing document,
a new one 201. Stored records carry private ``_`` keys (documents, shares, bytes, text).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .common import get_state, own, path_uuid, query_reader, read_body, record_of, route, visible
from .errors import mistral_error, not_found, validation_error
from .records import public_view
from .routes_files import file_part
from .schemas import CREATE_LIBRARY_REQUEST, SHARING_DELETE, SHARING_REQUEST, UPDATE_LIBRARY_REQUEST
from .state import FakeMistral
from .validation import Bool, ErrorItem, Int, Nullable, Str

# Who "you" are at the fake: the owner of every library created through it.
FAKE_USER_ID = "5f0c2b1e-8d3a-4c6b-9e7f-1a2b3c4d5e6f"
FAKE_ORG_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def library_view(library: dict[str, Any]) -> dict[str, Any]:
    # Library: the counts follow the documents it holds.
    documents = library["_documents"].values()
    view = public_view(library)
    view.update(nb_documents=len(documents), total_size=sum(d["size"] for d in documents))
    return view


def _share(library_id: str, entity_type: str, entity_id: str, role: str) -> dict[str, Any]:
    # Sharing
    user_id = entity_id if entity_type == "User" else None
    return {
        "library_id": library_id,
        "user_id": user_id,
        "org_id": FAKE_ORG_ID,
        "role": role,
        "share_with_type": entity_type,
        "share_with_uuid": entity_id,
    }


def add_library(
    state: FakeMistral,
    name: str,
    *,
    description: str | None = None,
    owner_type: str = "Workspace",
    chunk_size: int | None = None,
) -> dict[str, Any]:
    """Store a library as if it had been created; returns its stored record.

    Libraries and documents are kept in creation order (dicts keep it): "newest first" reverses it.
    """
    library_id = str(uuid.uuid4())
    stamp = _now()
    library = {
        "id": library_id,
        "name": name,
        "created_at": stamp,
        "updated_at": stamp,
        "owner_id": FAKE_USER_ID,
        "owner_type": owner_type,
        "total_size": 0,
        "nb_documents": 0,
        "chunk_size": chunk_size,
        "emoji": None,
        "description": description,
        "generated_description": None,
        "explicit_user_members_count": None,
        "explicit_workspace_members_count": None,
        "org_sharing_role": None,
        "generated_name": None,
        "_documents": {},
        "_shares": [_share(library_id, "User", FAKE_USER_ID, "Owner")],
    }
    with state.lock:
        state.libraries[library_id] = library
    return library


def finish_processing(
    state: FakeMistral, library_id: str, document_id: str, *, status: str = "done", text: str | None = None
) -> dict[str, Any]:
    """Move a document to ``status``; ``done`` stores its text (by default its bytes read as UTF-8)."""
    with state.lock:
        document = state.libraries[library_id]["_documents"][document_id]
        document.update(process_status=status, processing_status=status, last_processed_at=_now())
        if status == "done":
            document["_text"] = document["_content"].decode(errors="replace") if text is None else text
            document.update(number_of_pages=1, summary=f"About {document['name']}.", tokens_processing_total=42)
        return document


def _new_document(library_id: str, name: str, content: bytes, content_type: str) -> dict[str, Any]:
    # Document
    extension = name.rsplit(".", 1)[1].lower() if "." in name else None
    mime_type = content_type if content_type not in {"", "application/octet-stream"} else None
    return {
        "id": str(uuid.uuid4()),
        "library_id": library_id,
        "hash": hashlib.sha256(content).hexdigest(),
        "mime_type": mime_type or mimetypes.guess_type(name)[0],
        "extension": extension,
        "size": len(content),
        "name": name,
        "summary": None,
        "created_at": _now(),
        "last_processed_at": None,
        "number_of_pages": None,
        "process_status": "todo",
        "uploaded_by_id": FAKE_USER_ID,
        "uploaded_by_type": "User",
        "tokens_processing_main_content": None,
        "tokens_processing_summary": None,
        "url": None,
        "attributes": None,
        "expires_at": None,
        "processing_status": "todo",
        "tokens_processing_total": 0,
        "_content": content,
        "_text": None,
    }


def _library(request: Request) -> dict[str, Any] | Response:
    library_id = path_uuid(request, "library_id")
    if isinstance(library_id, Response):
        return library_id
    with get_state(request).lock:
        library = get_state(request).libraries.get(library_id)
    if library is None or not visible(request, library_id):
        return not_found("Library", library_id)
    return library


def _document(request: Request) -> tuple[dict[str, Any], dict[str, Any]] | Response:
    library = _library(request)
    if isinstance(library, Response):
        return library
    document_id = path_uuid(request, "document_id")
    if isinstance(document_id, Response):
        return document_id
    document = library["_documents"].get(document_id)
    return (library, document) if document is not None else not_found("Document", document_id)


def _page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _token_offset(token: str) -> int | None:
    try:
        kind, _, number = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return int(number) if kind == "offset" and number.isdigit() else None


async def list_libraries(request: Request) -> Response:
    # Query parameters of libraries_list_v1 -> ListLibrariesResponse
    query = query_reader(request)
    page_size = query.get("page_size", Int(ge=1, le=100), 100)
    page_token = query.get("page_token", Nullable(Str()))
    page = query.get("page", Int())
    search = query.get("search", Nullable(Str()))
    query.get("filter_owned_by_me", Nullable(Bool()))
    if query.errors:
        return validation_error(query.errors)
    start = page * page_size if page is not None else 0
    if page_token is not None:
        token_start = _token_offset(page_token)
        if token_start is None:
            return mistral_error(400, "Invalid page token")
        start = token_start
    state = get_state(request)
    with state.lock:
        libraries = list(reversed(state.libraries.values()))
    views = [
        library_view(item)
        for item in libraries
        if visible(request, item["id"]) and (not search or search.lower() in item["name"].lower())
    ]
    data = views[start : start + page_size]
    body: dict[str, Any] = {"data": data, "next_page_token": None}
    if page is None and start + page_size < len(views):
        body["next_page_token"] = _page_token(start + page_size)
    if page is not None:  # the deprecated offset paging also reports where it is
        pages = -(-len(views) // page_size)
        body["pagination"] = {
            "total_items": len(views),
            "total_pages": pages,
            "current_page": page,
            "page_size": page_size,
            "has_more": page + 1 < pages,
        }
    return JSONResponse(body)


async def create_library(request: Request) -> Response:
    # CreateLibraryRequest -> Library (201)
    data = await read_body(request, CREATE_LIBRARY_REQUEST)
    if isinstance(data, Response):
        return data
    library = add_library(
        get_state(request),
        data["name"],
        description=data.get("description"),
        owner_type=data.get("owner_type") or "Workspace",
        chunk_size=data.get("chunk_size"),
    )
    own(request, library["id"])
    return JSONResponse(library_view(library), 201)


async def get_library(request: Request) -> Response:
    library = _library(request)
    return library if isinstance(library, Response) else JSONResponse(library_view(library))


async def update_library(request: Request) -> Response:
    # UpdateLibraryRequest -> Library
    library = _library(request)
    if isinstance(library, Response):
        return library
    data = await read_body(request, UPDATE_LIBRARY_REQUEST)
    if isinstance(data, Response):
        return data
    with get_state(request).lock:
        library.update({key: data[key] for key in ("name", "description") if key in data}, updated_at=_now())
        return JSONResponse(library_view(library))


async def delete_library(request: Request) -> Response:
    # Library (200; 204 announced for a later version)
    library = _library(request)
    if isinstance(library, Response):
        return library
    state = get_state(request)
    with state.lock:
        state.libraries.pop(library["id"], None)
    return JSONResponse(library_view(library))


async def list_documents(request: Request) -> Response:
    # Query parameters of libraries_documents_list_v1 -> ListDocumentsResponse
    query = query_reader(request)
    search = query.get("search", Nullable(Str()))
    page_size = query.get("page_size", Int(ge=1, le=100), 100)
    page = query.get("page", Int(ge=0), 0)
    query.get("filters_attributes", Nullable(Str()))
    query.get("sort_by", Str(), "created_at")
    sort_order = query.get("sort_order", Str(), "desc")
    if query.errors:
        return validation_error(query.errors)
    library = _library(request)
    if isinstance(library, Response):
        return library
    with get_state(request).lock:
        documents = list(library["_documents"].values())
        if sort_order == "desc":
            documents.reverse()
        views = [public_view(d) for d in documents if not search or search.lower() in d["name"].lower()]
    pages = -(-len(views) // page_size)
    pagination = {
        "total_items": len(views),
        "total_pages": pages,
        "current_page": page,
        "page_size": page_size,
        "has_more": page + 1 < pages,
    }
    return JSONResponse({"pagination": pagination, "data": views[page * page_size : (page + 1) * page_size]})


async def upload_document(request: Request) -> Response:
    # Multipart body DocumentUpload: file (required) -> Document (201; 200 for bytes already there)
    errors: list[ErrorItem] = []
    upload = file_part(record_of(request), errors)
    if errors or upload is None:
        return validation_error(errors)
    library = _library(request)
    if isinstance(library, Response):
        return library
    name, content, content_type = upload
    with get_state(request).lock:
        digest = hashlib.sha256(content).hexdigest()
        existing = next((d for d in library["_documents"].values() if d["hash"] == digest), None)
        if existing is not None:
            return JSONResponse(public_view(existing), 200)
        document = _new_document(library["id"], name, content, content_type)
        library["_documents"][document["id"]] = document
        return JSONResponse(public_view(document), 201)


async def get_document(request: Request) -> Response:
    found = _document(request)
    return found if isinstance(found, Response) else JSONResponse(public_view(found[1]))


async def delete_document(request: Request) -> Response:
    found = _document(request)
    if isinstance(found, Response):
        return found
    library, document = found
    with get_state(request).lock:
        library["_documents"].pop(document["id"], None)
    return Response(status_code=204)


async def text_content(request: Request) -> Response:
    # DocumentTextContent; page_start / page_end are checked and recorded, not applied
    query = query_reader(request)
    query.get("page_start", Nullable(Int()))
    query.get("page_end", Nullable(Int()))
    if query.errors:
        return validation_error(query.errors)
    found = _document(request)
    if isinstance(found, Response):
        return found
    text = found[1]["_text"]
    return JSONResponse({"text": text}) if text is not None else not_found("Text of document", found[1]["id"])


async def reprocess_document(request: Request) -> Response:
    found = _document(request)
    if isinstance(found, Response):
        return found
    with get_state(request).lock:
        found[1].update(process_status="todo", processing_status="todo", _text=None)
    return Response(status_code=204)


async def list_shares(request: Request) -> Response:
    # ListSharingResponse
    library = _library(request)
    return library if isinstance(library, Response) else JSONResponse({"data": list(library["_shares"])})


def _owner_refusal(data: dict[str, Any]) -> Response | None:
    if data["share_with_type"] == "User" and data["share_with_uuid"] == FAKE_USER_ID:
        return mistral_error(400, "An owner cannot change or delete their own access")
    return None


async def share_library(request: Request) -> Response:
    # SharingRequest -> Sharing
    library = _library(request)
    if isinstance(library, Response):
        return library
    data = await read_body(request, SHARING_REQUEST)
    if isinstance(data, Response):
        return data
    if (refusal := _owner_refusal(data)) is not None:
        return refusal
    share = _share(library["id"], data["share_with_type"], data["share_with_uuid"], data["level"])
    with get_state(request).lock:
        library["_shares"] = [s for s in library["_shares"] if s["share_with_uuid"] != share["share_with_uuid"]]
        library["_shares"].append(share)
    return JSONResponse(share)


async def unshare_library(request: Request) -> Response:
    # SharingDelete -> Sharing (200; 204 announced for a later version)
    library = _library(request)
    if isinstance(library, Response):
        return library
    data = await read_body(request, SHARING_DELETE)
    if isinstance(data, Response):
        return data
    if (refusal := _owner_refusal(data)) is not None:
        return refusal
    with get_state(request).lock:
        share = next((s for s in library["_shares"] if s["share_with_uuid"] == data["share_with_uuid"]), None)
        if share is None or share["share_with_type"] != data["share_with_type"]:
            return not_found("Access of", data["share_with_uuid"])
        library["_shares"].remove(share)
    return JSONResponse(share)


_DOCUMENT = "/v1/libraries/{library_id}/documents/{document_id}"
routes = [
    route("/v1/libraries", {"GET": list_libraries, "POST": create_library}),
    route("/v1/libraries/{library_id}", {"GET": get_library, "PATCH": update_library, "DELETE": delete_library}),
    route("/v1/libraries/{library_id}/documents", {"GET": list_documents, "POST": upload_document}),
    route(_DOCUMENT, {"GET": get_document, "DELETE": delete_document}),
    route(f"{_DOCUMENT}/text_content", {"GET": text_content}),
    route(f"{_DOCUMENT}/reprocess", {"POST": reprocess_document}),
    route("/v1/libraries/{library_id}/share", {"GET": list_shares, "PUT": share_library, "DELETE": unshare_library}),
]
