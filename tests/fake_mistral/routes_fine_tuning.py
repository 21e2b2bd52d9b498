"""Fine-tuning jobs (legacy document paths): create (or dry-run), list, get, cancel, start.

Lifecycle: create answers ``QUEUED``; the stored job then moves on at once to
``VALIDATED`` (``auto_start: false``, waiting for ``/start``) or ``RUNNING``.
``/start`` answers ``STARTED`` and stores ``RUNNING``; ``/cancel`` answers
``CANCELLATION_REQUESTED`` and stores ``CANCELLED``. Tests can finish a job with
``FakeMistral.complete_job`` or force any status with ``set_job_status``.
There is no DELETE on jobs: Starlette answers 405.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .common import get_state, own, paginate, path_uuid, query_reader, read_body, resolve_model, route, visible
from .errors import invalid_model, mistral_error, not_found, validation_error
from .schemas import JOB_IN, JOB_STATUSES
from .state import TERMINAL_JOB_STATUSES, FakeMistral, now
from .validation import Bool, DateTime, Enum, Int, Nullable, Str, error_item

TOKENS_PER_STEP = 131_072
EUR_PER_MILLION_TOKENS = 1.0
_DETAIL_ONLY_KEYS = ("events", "checkpoints")


def job_out(job: dict[str, Any]) -> dict[str, Any]:
    """JobOut (CompletionJobOut / ClassifierJobOut): the stored job minus events and checkpoints."""
    return {key: value for key, value in job.items() if key not in _DETAIL_ONLY_KEYS}


def _hyperparameters_out(given: dict[str, Any], job_type: str, training_steps: int) -> dict[str, Any]:
    # CompletionTrainingParameters / ClassifierTrainingParameters, defaults from the document
    out = {
        "training_steps": given.get("training_steps") or training_steps,
        "learning_rate": given.get("learning_rate", 0.0001),
        "weight_decay": given.get("weight_decay", 0.1),
        "warmup_fraction": given.get("warmup_fraction", 0.05),
        "epochs": given.get("epochs"),
        "seq_len": given.get("seq_len"),
    }
    if job_type == "completion":
        out["fim_ratio"] = given.get("fim_ratio", 0.9)
    return out


def _metadata(data_tokens: int, hyperparameters: dict[str, Any]) -> dict[str, Any]:
    """JobMetadataOut: a cost estimate from the training data size."""
    epochs = hyperparameters.get("epochs")
    if hyperparameters.get("training_steps"):
        steps = int(hyperparameters["training_steps"])
    else:
        steps = max(1, math.ceil(data_tokens * (epochs or 1) / TOKENS_PER_STEP))
    train_tokens = steps * TOKENS_PER_STEP
    return {
        "expected_duration_seconds": 60 + steps * 30,
        "cost": round(train_tokens / 1_000_000 * EUR_PER_MILLION_TOKENS, 4),
        "cost_currency": "EUR",
        "train_tokens_per_step": TOKENS_PER_STEP,
        "train_tokens": train_tokens,
        "data_tokens": data_tokens,
        "estimated_start_time": None,
        "training_steps": steps,
        "epochs": epochs if epochs is not None else round(train_tokens / max(data_tokens, 1), 4),
    }


def _missing_files(request: Request, state: FakeMistral, file_ids: list[str]) -> str | None:
    with state.lock:
        for file_id in file_ids:
            if file_id not in state.files or not visible(request, file_id):
                return file_id
    return None


def _new_job(data: dict[str, Any], job_type: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """A stored job, shaped as CompletionDetailedJobOut / ClassifierDetailedJobOut."""
    created = now()
    job: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "object": "job",
        "auto_start": data.get("auto_start", True),
        "model": data["model"],
        "status": "QUEUED",
        "job_type": job_type,
        "created_at": created,
        "modified_at": created,
        "training_files": [f["file_id"] for f in data.get("training_files", [])],
        "validation_files": data.get("validation_files") or [],
        "fine_tuned_model": None,
        "suffix": data.get("suffix"),
        "integrations": [
            {
                "type": "wandb",
                "project": i["project"],
                "name": i.get("name"),
                "run_name": i.get("run_name"),
                "url": None,
            }
            for i in data.get("integrations") or []
        ],
        "trained_tokens": None,
        "metadata": {k: v for k, v in metadata.items() if k not in ("training_steps", "epochs")},
        "hyperparameters": _hyperparameters_out(data["hyperparameters"], job_type, metadata["training_steps"]),
        "events": [{"name": "status-updated", "data": {"status": "QUEUED"}, "created_at": created}],
        "checkpoints": [],
    }
    if job_type == "completion":
        job["repositories"] = [
            {
                "type": "github",
                "name": r["name"],
                "owner": r["owner"],
                "ref": r.get("ref"),
                "weight": r.get("weight", 1.0),
                "commit_id": hashlib.sha256(f"{r['owner']}/{r['name']}".encode()).hexdigest()[:40],
            }
            for r in data.get("repositories") or []
        ]
    else:
        job["classifier_targets"] = [
            {
                "name": t["name"],
                "labels": t["labels"],
                "weight": t.get("weight", 1.0),
                "loss_function": t.get("loss_function") or "single_class",
            }
            for t in data.get("classifier_targets") or []
        ]
    return job


async def create_job(request: Request) -> Response:
    # JobIn + query dry_run -> JobOut | LegacyJobMetadataOut
    query = query_reader(request)
    dry_run = query.get("dry_run", Nullable(Bool()))
    if query.errors:
        return validation_error(query.errors)
    data = await read_body(request, JOB_IN)
    if isinstance(data, Response):
        return data
    job_type = data.get("job_type") or "completion"
    if job_type == "classifier" and not data.get("classifier_targets"):
        return validation_error([error_item("missing", ("body", "classifier_targets"), "Field required", None)])
    state = get_state(request)
    model = resolve_model(state, data["model"])
    if model is None or model.base is None or not model.can("fine_tuning"):
        return invalid_model(data["model"])
    file_ids = [f["file_id"] for f in data.get("training_files", [])] + list(data.get("validation_files") or [])
    if (missing := _missing_files(request, state, file_ids)) is not None:
        return not_found("File", missing)
    with state.lock:
        data_tokens = sum(state.files[f]["bytes"] for f in file_ids) // 4
    metadata = _metadata(max(data_tokens, 1), data["hyperparameters"])
    if dry_run:
        return JSONResponse({"object": "job.metadata", **metadata, "deprecated": True, "details": ""})
    job = _new_job(data, job_type, metadata)
    own(request, job["id"])
    with state.lock:
        state.fine_tuning_jobs[job["id"]] = job
        response = JSONResponse(job_out(job))  # rendered now: the client sees QUEUED
        state.set_job_status(job["id"], "VALIDATED")
        if job["auto_start"]:
            state.set_job_status(job["id"], "RUNNING")
    return response


async def list_jobs(request: Request) -> Response:
    # Query parameters of jobs_api_routes_fine_tuning_get_fine_tuning_jobs -> JobsOut
    query = query_reader(request)
    page = query.get("page", Int(), 0)
    page_size = query.get("page_size", Int(), 100)
    model = query.get("model", Str())
    created_after = query.get("created_after", DateTime())
    created_before = query.get("created_before", DateTime())
    query.get("created_by_me", Bool(), False)
    status = query.get("status", Enum(JOB_STATUSES))
    wandb_project = query.get("wandb_project", Str())
    wandb_name = query.get("wandb_name", Str())
    suffix = query.get("suffix", Str())
    if query.errors:
        return validation_error(query.errors)
    state = get_state(request)
    with state.lock:
        jobs = sorted(
            (job_out(j) for j in state.fine_tuning_jobs.values() if visible(request, j["id"])),
            key=lambda j: -j["created_at"],
        )
    if model is not None:
        jobs = [j for j in jobs if j["model"] == model]
    if created_after is not None:
        jobs = [j for j in jobs if j["created_at"] >= created_after]
    if created_before is not None:
        jobs = [j for j in jobs if j["created_at"] <= created_before]
    if status is not None:
        jobs = [j for j in jobs if j["status"] == status]
    if suffix is not None:
        jobs = [j for j in jobs if j["suffix"] == suffix]
    if wandb_project is not None:
        jobs = [j for j in jobs if any(i["project"] == wandb_project for i in j["integrations"])]
    if wandb_name is not None:
        jobs = [j for j in jobs if any(i["name"] == wandb_name for i in j["integrations"])]
    return JSONResponse({"data": paginate(jobs, page, page_size), "object": "list", "total": len(jobs)})


def _job_id(request: Request) -> str | Response:
    return path_uuid(request, "job_id")


async def get_job(request: Request) -> Response:
    # CompletionDetailedJobOut / ClassifierDetailedJobOut
    job_id = _job_id(request)
    if isinstance(job_id, Response):
        return job_id
    state = get_state(request)
    with state.lock:
        job = state.fine_tuning_jobs.get(job_id)
        if job is None or not visible(request, job_id):
            return not_found("Job", job_id)
        scripted = state.next_scripted_status(job_id)
        if scripted == "SUCCESS":
            state.complete_job(job_id)
        elif scripted is not None:
            state.set_job_status(job_id, scripted)
        return JSONResponse(job)


async def _transition(request: Request, *, allowed: frozenset[str], answer: str, final: str) -> Response:
    """Move a job: answer with the transitional status, store the final one."""
    job_id = _job_id(request)
    if isinstance(job_id, Response):
        return job_id
    state = get_state(request)
    with state.lock:
        job = state.fine_tuning_jobs.get(job_id)
        if job is None or not visible(request, job_id):
            return not_found("Job", job_id)
        if job["status"] not in allowed:
            return mistral_error(400, f"Job {job_id} cannot go from {job['status']} to {answer}")
        state.set_job_status(job_id, answer)
        response = JSONResponse(job)  # rendered now, before the final status is stored
        state.set_job_status(job_id, final)
    return response


async def cancel_job(request: Request) -> Response:
    cancellable = frozenset(JOB_STATUSES) - TERMINAL_JOB_STATUSES - {"CANCELLATION_REQUESTED"}
    return await _transition(request, allowed=cancellable, answer="CANCELLATION_REQUESTED", final="CANCELLED")


async def start_job(request: Request) -> Response:
    startable = frozenset({"QUEUED", "VALIDATED"})
    return await _transition(request, allowed=startable, answer="STARTED", final="RUNNING")


routes = [
    route("/v1/fine_tuning/jobs", {"POST": create_job, "GET": list_jobs}),
    route("/v1/fine_tuning/jobs/{job_id}", {"GET": get_job}),
    route("/v1/fine_tuning/jobs/{job_id}/cancel", {"POST": cancel_job}),
    route("/v1/fine_tuning/jobs/{job_id}/start", {"POST": start_job}),
]
