"""Batch jobs: create, list, get (optionally with inline outputs), cancel, delete.

A job stays ``QUEUED`` until a test moves it with ``FakeMistral.set_batch_status``;
``SUCCESS`` writes an output file. ``/cancel`` answers ``CANCELLATION_REQUESTED``
and stores ``CANCELLED``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .common import get_state, own, paginate, path_uuid, query_reader, read_body, resolve_model, route, visible
from .errors import invalid_model, mistral_error, not_found, validation_error
from .records import batch_input_requests, public_view
from .schemas import BATCH_JOB_IN, BATCH_STATUSES
from .state import TERMINAL_BATCH_STATUSES, now
from .validation import Bool, DateTime, Enum, Int, Str, error_item


async def create_batch_job(request: Request) -> Response:
    # BatchJobIn -> BatchJobOut
    data = await read_body(request, BATCH_JOB_IN)
    if isinstance(data, Response):
        return data
    if not data.get("input_files") and not data.get("requests"):
        return validation_error(
            [error_item("value_error", ("body",), "Value error, Either input_files or requests must be set", None)]
        )
    state = get_state(request)
    if data.get("model") is not None and resolve_model(state, data["model"]) is None:
        return invalid_model(data["model"])
    with state.lock:
        if data.get("agent_id") is not None and data["agent_id"] not in state.agents:
            return not_found("Agent", data["agent_id"])
        requests: list[dict[str, Any]] = list(data.get("requests") or [])
        for file_id in data.get("input_files") or []:
            stored = state.files.get(file_id)
            if stored is None or not visible(request, file_id):
                return not_found("File", file_id)
            requests.extend(batch_input_requests(stored["content"]))
        job = {
            "id": str(uuid.uuid4()),
            "object": "batch",
            "input_files": list(data.get("input_files") or []),
            "metadata": data.get("metadata"),
            "endpoint": data["endpoint"],
            "model": data.get("model"),
            "agent_id": data.get("agent_id"),
            "output_file": None,
            "error_file": None,
            "errors": [],
            "outputs": None,
            "status": "QUEUED",
            "created_at": now(),
            "total_requests": len(requests),
            "completed_requests": 0,
            "succeeded_requests": 0,
            "failed_requests": 0,
            "started_at": None,
            "completed_at": None,
            "_timeout_hours": data.get("timeout_hours", 24),
            "_requests": requests,
        }
        state.batch_jobs[job["id"]] = job
        own(request, job["id"])
        return JSONResponse(public_view(job))


async def list_batch_jobs(request: Request) -> Response:
    # Query parameters of jobs_api_routes_batch_get_batch_jobs -> BatchJobsOut
    query = query_reader(request)
    page = query.get("page", Int(), 0)
    page_size = query.get("page_size", Int(), 100)
    model = query.get("model", Str())
    agent_id = query.get("agent_id", Str())
    metadata_text = query.get("metadata", Str())
    created_after = query.get("created_after", DateTime())
    query.get("created_by_me", Bool(), False)
    statuses = query.get_list("status", Enum(BATCH_STATUSES))
    order_by = query.get("order_by", Enum(("created", "-created")), "-created")
    if query.errors:
        return validation_error(query.errors)
    metadata: dict[str, Any] | None = None
    if metadata_text:
        try:
            metadata = json.loads(metadata_text)
        except ValueError:
            return validation_error(
                [error_item("dict_type", ("query", "metadata"), "Input should be a valid dictionary", metadata_text)]
            )
    state = get_state(request)
    with state.lock:
        jobs = [public_view(job) for job in state.batch_jobs.values() if visible(request, job["id"])]
    jobs.sort(key=lambda j: j["created_at"], reverse=order_by == "-created")
    if model is not None:
        jobs = [j for j in jobs if j["model"] == model]
    if agent_id is not None:
        jobs = [j for j in jobs if j["agent_id"] == agent_id]
    if created_after is not None:
        jobs = [j for j in jobs if j["created_at"] >= created_after]
    if statuses:
        jobs = [j for j in jobs if j["status"] in statuses]
    if isinstance(metadata, dict):
        jobs = [j for j in jobs if all((j["metadata"] or {}).get(k) == v for k, v in metadata.items())]
    return JSONResponse({"data": paginate(jobs, page, page_size), "object": "list", "total": len(jobs)})


async def get_batch_job(request: Request) -> Response:
    # BatchJobOut; ``inline=true`` adds the outputs of a finished job
    query = query_reader(request)
    inline = query.get("inline", Bool(), False)
    if query.errors:
        return validation_error(query.errors)
    job_id = path_uuid(request, "job_id")
    if isinstance(job_id, Response):
        return job_id
    state = get_state(request)
    with state.lock:
        job = state.batch_jobs.get(job_id)
        if job is None or not visible(request, job_id):
            return not_found("Batch job", job_id)
        scripted = state.next_scripted_status(job_id)
        if scripted is not None:
            state.set_batch_status(job_id, scripted)
        view = public_view(job)
        if inline and job.get("_outputs") is not None:
            view["outputs"] = job["_outputs"]
        return JSONResponse(view)


async def cancel_batch_job(request: Request) -> Response:
    job_id = path_uuid(request, "job_id")
    if isinstance(job_id, Response):
        return job_id
    state = get_state(request)
    with state.lock:
        job = state.batch_jobs.get(job_id)
        if job is None or not visible(request, job_id):
            return not_found("Batch job", job_id)
        if job["status"] in TERMINAL_BATCH_STATUSES:
            return mistral_error(400, f"Batch job {job_id} is already {job['status']}")
        state.set_batch_status(job_id, "CANCELLATION_REQUESTED")
        response = JSONResponse(public_view(job))
        state.set_batch_status(job_id, "CANCELLED")
    return response


async def delete_batch_job(request: Request) -> Response:
    # DeleteBatchJobResponse (current document only)
    job_id = path_uuid(request, "job_id")
    if isinstance(job_id, Response):
        return job_id
    state = get_state(request)
    with state.lock:
        if job_id not in state.batch_jobs or not visible(request, job_id):
            return not_found("Batch job", job_id)
        state.batch_jobs.pop(job_id)
    return JSONResponse({"id": job_id, "object": "batch", "deleted": True})


routes = [
    route("/v1/batch/jobs", {"POST": create_batch_job, "GET": list_batch_jobs}),
    route("/v1/batch/jobs/{job_id}", {"GET": get_batch_job, "DELETE": delete_batch_job}),
    route("/v1/batch/jobs/{job_id}/cancel", {"POST": cancel_batch_job}),
]
