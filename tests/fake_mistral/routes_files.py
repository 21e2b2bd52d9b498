"""Files: multipart upload, list, retrieve, delete, download and signed URLs.

Signed URLs point back at this server (``/_fake/signed/{file_id}``), a route that
needs no API key, like a real pre-signed blob URL.
"""

from __future__ import annotations

import time
import urllib.parse
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .common import get_state, own, paginate, path_uuid, query_reader, record_of, route, visible
from .errors import not_found, validation_error
from .records import file_view, new_file_record
from .schemas import FILE_PURPOSES, FILE_SOURCES, FILE_VISIBILITIES, SAMPLE_TYPES
from .state import RecordedRequest
from .validation import Bool, Enum, ErrorItem, Int, Nullable, Str, error_item

SIGNED_PREFIX = "/_fake/signed/"


def file_part(record: RecordedRequest, errors: list[ErrorItem]) -> tuple[str, bytes, str] | None:
    """The multipart `file` part (an UploadFile), or None with FastAPI's error appended."""
    form = record.form or {}
    upload = (record.files or {}).get("file")
    if upload is None:
        if "file" in form:
            errors.append(
                error_item(
                    "value_error",
                    ("body", "file"),
                    "Value error, Expected UploadFile, received: <class 'str'>",
                    form["file"],
                    {"error": {}},
                )
            )
        else:
            errors.append(error_item("missing", ("body", "file"), "Field required", None))
    return upload


async def upload_file(request: Request) -> Response:
    # Multipart body MultiPartBodyParams: file (required), purpose, expiry, visibility -> UploadFileOut
    record = record_of(request)
    form = record.form or {}
    errors: list[ErrorItem] = []
    upload = file_part(record, errors)
    purpose = Enum(FILE_PURPOSES).validate(form.get("purpose", "fine-tune"), ("body", "purpose"), errors)
    visibility = Enum(FILE_VISIBILITIES).validate(form.get("visibility", "workspace"), ("body", "visibility"), errors)
    expiry = Nullable(Int()).validate(form.get("expiry") or None, ("body", "expiry"), errors)
    if errors or upload is None:
        return validation_error(errors)
    filename, content, content_type = upload
    stored = new_file_record(
        content,
        filename=filename,
        purpose=purpose,
        content_type=content_type,
        expiry_hours=expiry,
        visibility=visibility,
    )
    state = get_state(request)
    with state.lock:
        state.files[stored["id"]] = stored
    own(request, stored["id"])
    return JSONResponse(file_view(stored))


async def list_files(request: Request) -> Response:
    # Query parameters of files_api_routes_list_files -> ListFilesOut
    query = query_reader(request)
    page = query.get("page", Int(), 0)
    page_size = query.get("page_size", Int(), 100)
    include_total = query.get("include_total", Bool(), True)
    sample_types = query.get_list("sample_type", Enum(SAMPLE_TYPES))
    sources = query.get_list("source", Enum(FILE_SOURCES))
    search = query.get("search", Str())
    purpose = query.get("purpose", Enum(FILE_PURPOSES))
    mimetypes = query.get_list("mimetypes", Str())
    if query.errors:
        return validation_error(query.errors)
    state = get_state(request)
    with state.lock:
        records = sorted(state.files.values(), key=lambda r: r["created_at"], reverse=True)
        views = [file_view(r) for r in records if visible(request, r["id"])]
    if sample_types:
        views = [v for v in views if v["sample_type"] in sample_types]
    if sources:
        views = [v for v in views if v["source"] in sources]
    if search:
        views = [v for v in views if search.lower() in v["filename"].lower() or search in v["id"]]
    if purpose:
        views = [v for v in views if v["purpose"] == purpose]
    if mimetypes:
        views = [v for v in views if v["mimetype"] in mimetypes]
    return JSONResponse(
        {"data": paginate(views, page, page_size), "object": "list", "total": len(views) if include_total else None}
    )


async def _stored_file(request: Request) -> dict[str, Any] | Response:
    file_id = path_uuid(request, "file_id")
    if isinstance(file_id, Response):
        return file_id
    state = get_state(request)
    with state.lock:
        stored = state.files.get(file_id)
    return stored if stored is not None and visible(request, file_id) else not_found("File", file_id)


async def retrieve_file(request: Request) -> Response:
    # RetrieveFileOut
    stored = await _stored_file(request)
    if isinstance(stored, Response):
        return stored
    return JSONResponse(file_view(stored, deleted=False))


async def delete_file(request: Request) -> Response:
    # DeleteFileOut
    stored = await _stored_file(request)
    if isinstance(stored, Response):
        return stored
    state = get_state(request)
    with state.lock:
        state.files.pop(stored["id"], None)
    return JSONResponse({"id": stored["id"], "object": "file", "deleted": True})


async def download_file(request: Request) -> Response:
    # application/octet-stream, the bytes as uploaded
    stored = await _stored_file(request)
    if isinstance(stored, Response):
        return stored
    return Response(stored["content"], media_type="application/octet-stream")


async def signed_url(request: Request) -> Response:
    # FileSignedURL; expiry in hours, 1..168 (current document)
    query = query_reader(request)
    expiry = query.get("expiry", Int(ge=1, le=168), 24)
    if query.errors:
        return validation_error(query.errors)
    stored = await _stored_file(request)
    if isinstance(stored, Response):
        return stored
    expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + expiry * 3600))
    params = urllib.parse.urlencode({"se": expires, "sp": "r", "sig": stored["signature"]})
    base = str(request.base_url).rstrip("/")
    return JSONResponse({"url": f"{base}{SIGNED_PREFIX}{stored['id']}?{params}"})


async def signed_download(request: Request) -> Response:
    """The target of a signed URL: no API key needed."""
    state = get_state(request)
    with state.lock:
        stored = state.files.get(request.path_params["file_id"])
    if stored is None:
        return Response("BlobNotFound", 404, media_type="text/plain")
    return Response(stored["content"], media_type=stored["mimetype"] or "application/octet-stream")


routes = [
    route("/v1/files", {"POST": upload_file, "GET": list_files}),
    route("/v1/files/{file_id}", {"GET": retrieve_file, "DELETE": delete_file}),
    route("/v1/files/{file_id}/content", {"GET": download_file}),
    route("/v1/files/{file_id}/url", {"GET": signed_url}),
    route(SIGNED_PREFIX + "{file_id}", {"GET": signed_download}),
]
