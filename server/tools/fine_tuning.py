"""Fine-tuning jobs: create (or estimate), list, get, cancel, start.

Only Mistral's legacy API reference still documents these; a job is never deleted, only cancelled.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from server.tools import links
from server.tools import schemas as s
from server.tools.extra import extra_schema
from server.tools.spec import ToolCall, ToolOutput, ToolSpec
from server.tools.waiting import WAIT_SECONDS, poll, still_waiting
from server.views import FINE_TUNING_JOB

JOBS_PATH = "/v1/fine_tuning/jobs"
# Said in every job tool's description: a model (and its user) should know these may go away.
LEGACY = " Legacy endpoint: only Mistral's legacy API reference still documents it."
JOB_PATH = "/v1/fine_tuning/jobs/{job_id}"  # read by the model's tool and by the view's refresh
DEFAULT_PAGE_SIZE = 20
JOB_STATUSES = [
    "QUEUED",
    "STARTED",
    "VALIDATING",
    "VALIDATED",
    "RUNNING",
    "FAILED_VALIDATION",
    "FAILED",
    "SUCCESS",
    "CANCELLED",
    "CANCELLATION_REQUESTED",
]
TERMINAL_STATUSES = frozenset({"FAILED_VALIDATION", "FAILED", "SUCCESS", "CANCELLED"})
CANCELLABLE_STATUSES = frozenset({"QUEUED", "STARTED", "VALIDATING", "VALIDATED", "RUNNING"})
# How often the view reloads a job that is still going; training runs take minutes to hours.
REFRESH_SECONDS = 15
FINAL_STATUSES = TERMINAL_STATUSES  # what wait_seconds stops at

_FRACTION: s.Schema = {"type": "number", "minimum": 0, "maximum": 1}
HYPERPARAMETERS: s.Schema = s.object_schema(
    {
        "training_steps": {"type": "integer", "minimum": 1, "description": "Number of weight updates."},
        "learning_rate": {"type": "number", "minimum": 1e-8, "maximum": 1, "description": "Default 0.0001."},
        "weight_decay": {**_FRACTION, "description": "Default 0.1."},
        "warmup_fraction": {**_FRACTION, "description": "Share of steps spent warming up; default 0.05."},
        "epochs": {"type": "number", "exclusiveMinimum": 0},
        "seq_len": {"type": "integer", "minimum": 100},
        "fim_ratio": {**_FRACTION, "description": "Completion jobs on code only; default 0.9."},
    },
    description='Training settings, e.g. {"training_steps": 10, "learning_rate": 0.0001}; {} for the defaults.',
)
# The job request's rarely used fields, taken in `extra`: W&B logging, GitHub repositories, sample skipping.
_RARE = frozenset({"integrations", "repositories", "invalid_sample_skip_percentage"})
CREATE_INPUT = s.object_schema(
    {
        "model": {**s.MODEL, "description": "Base model to fine-tune, e.g. open-mistral-7b or mistral-small-latest."},
        "training_files": {
            "type": "array",
            "minItems": 1,
            "items": s.object_schema(
                {"file_id": s.FILE_ID, "weight": {"type": "number", "exclusiveMinimum": 0}}, required=["file_id"]
            ),
            "description": 'Uploaded JSONL files (purpose fine-tune), e.g. [{"file_id": "…"}].',
        },
        "validation_files": {
            "type": "array",
            "items": s.FILE_ID,
            "description": "File ids of validation data (metrics appear in the job's checkpoints).",
        },
        "hyperparameters": HYPERPARAMETERS,
        "suffix": {"type": "string", "maxLength": 18, "description": "Added to the new model's name."},
        "auto_start": {
            "type": "boolean",
            "description": "Start once validated (default true); false waits for mistral_start_fine_tuning_job.",
        },
        "dry_run": {
            "type": "boolean",
            "description": "Only estimate cost, tokens and duration; no job is created.",
        },
        "job_type": {"type": "string", "enum": ["completion", "classifier"], "description": "Default completion."},
        "classifier_targets": {
            "type": "array",
            "items": s.object_schema(
                {
                    "name": {"type": "string"},
                    "labels": {"type": "array", "items": {"type": "string"}},
                    "weight": {"type": "number", "minimum": 0},
                    "loss_function": {"type": "string", "enum": ["single_class", "multi_class"]},
                },
                required=["name", "labels"],
            ),
            "description": "Classifier jobs: the targets and their labels.",
        },
        "extra": extra_schema(_RARE),
    },
    required=["model", "hyperparameters"],
)
LIST_INPUT = s.object_schema(
    {
        "page": s.PAGE,
        "page_size": s.page_size(DEFAULT_PAGE_SIZE, 1000),
        "model": {"type": "string", "minLength": 1, "description": "Only jobs fine-tuning this base model."},
        "status": {"type": "string", "enum": JOB_STATUSES},
        "created_after": s.DATE_TIME,
        "created_before": s.DATE_TIME,
        "created_by_me": {"type": "boolean", "description": "Only jobs created with this API key's user."},
        "suffix": {"type": "string", "minLength": 1},
        "wandb_project": {"type": "string", "minLength": 1},
        "wandb_name": {"type": "string", "minLength": 1},
    }
)
_JOB_ID: s.Schema = {**s.JOB_ID, "description": "A fine-tuning job id (UUID)."}
JOB_INPUT = s.object_schema({"job_id": _JOB_ID}, required=["job_id"])
GET_INPUT = s.object_schema({"job_id": _JOB_ID, "wait_seconds": WAIT_SECONDS}, required=["job_id"])

JOB_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "status": {"type": "string"}, "model": {"type": "string"}},
}
LIST_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"data": {"type": "array", "items": JOB_OUTPUT}, "total": {"type": "integer"}},
    "required": ["data"],
}


def job_line(job: dict[str, Any]) -> str:
    parts = [f"{job.get('id')}: {job.get('status')}", f"model {job.get('model')}"]
    if job.get("fine_tuned_model"):
        parts.append(f"produced {job['fine_tuned_model']}")
    if job.get("suffix"):
        parts.append(f"suffix {job['suffix']}")
    if job.get("trained_tokens"):
        parts.append(f"{job['trained_tokens']:,} tokens trained")
    return ", ".join(parts)


def _estimate(meta: dict[str, Any]) -> str:
    cost = meta.get("cost")
    lines = ["Dry run, no job created. Mistral's estimate:"]
    if cost is not None:
        lines.append(f"- cost: {cost} {meta.get('cost_currency') or ''}".rstrip())
    for key, label in (
        ("train_tokens", "tokens trained"),
        ("data_tokens", "tokens in the data"),
        ("training_steps", "training steps"),
        ("epochs", "epochs"),
        ("expected_duration_seconds", "expected duration (s)"),
    ):
        if meta.get(key) is not None:
            lines.append(f"- {label}: {meta[key]}")
    return "\n".join(lines)


def _loss(checkpoints: Any) -> list[dict[str, Any]]:
    points = []
    for checkpoint in checkpoints if isinstance(checkpoints, list) else []:
        metrics = checkpoint.get("metrics") if isinstance(checkpoint, dict) else None
        if not isinstance(metrics, dict) or not isinstance(checkpoint.get("step_number"), int):
            continue
        point = {"step": checkpoint["step_number"]}
        for name in ("train_loss", "valid_loss", "valid_mean_token_accuracy"):
            value = metrics.get(name)
            point[name] = value if isinstance(value, int | float) and not isinstance(value, bool) else None
        points.append(point)
    return sorted(points, key=lambda point: point["step"])


def job_view(job: dict[str, Any]) -> dict[str, Any]:
    """What the fine-tuning view needs beyond the job: its loss curve, the tools its buttons call, and
    whether (and how often) it reloads the job."""
    status = job.get("status")
    terminal = status in TERMINAL_STATUSES
    actions = {}
    if status in CANCELLABLE_STATUSES:
        actions["cancel"] = "mistral_cancel_fine_tuning_job"
    if status == "VALIDATED" and job.get("auto_start") is False:
        actions["start"] = "mistral_start_fine_tuning_job"
    return {
        "kind": "fine_tuning_job",
        "terminal": terminal,
        "loss": _loss(job.get("checkpoints")),
        "actions": actions,
        "refresh": None if terminal else {"tool": "mistral_refresh_fine_tuning_job", "seconds": REFRESH_SECONDS},
    }


async def run_create_job(call: ToolCall) -> ToolOutput:
    dry_run = call.arguments.get("dry_run", False)
    params = {"dry_run": True} if dry_run else None
    response: dict[str, Any] = await call.send(json=call.fields(), params=params)
    if dry_run:
        return ToolOutput(_estimate(response), response, view={"kind": "fine_tuning_estimate"})
    waiting = "" if response.get("auto_start", True) else " It waits for mistral_start_fine_tuning_job."
    text = f"Created fine-tuning job {job_line(response)}.{waiting} Follow it with mistral_get_fine_tuning_job."
    return ToolOutput(text, response, view=job_view(response))


async def run_list_jobs(call: ToolCall) -> ToolOutput:
    page = call.arguments.get("page", 0)
    size = call.arguments.get("page_size", DEFAULT_PAGE_SIZE)
    response: dict[str, Any] = await call.forward({**call.fields(), "page": page, "page_size": size})
    jobs = [j for j in response.get("data") or [] if isinstance(j, dict)]
    total = response.get("total")
    lines = [f"{len(jobs)} job(s) on page {page}" + (f", {total} in all:" if isinstance(total, int) else ":")]
    lines += [f"- {job_line(j)}" for j in jobs] or ["(none)"]
    if isinstance(total, int) and (page + 1) * size < total:
        lines.append(f"More jobs: call again with page={page + 1}.")
    return ToolOutput("\n".join(lines), response)


def settled(job: dict[str, Any]) -> bool:
    """Finished, or waiting for someone to start it: no point watching it any longer."""
    status = job.get("status")
    return status in FINAL_STATUSES or (status == "VALIDATED" and job.get("auto_start") is False)


async def run_get_job(call: ToolCall) -> ToolOutput:
    job = await poll(call, settled=settled, line=job_line)
    output = render_job(call, job)
    if settled(job):
        return output
    return replace(output, text=output.text + still_waiting(call, job.get("status")))


def render_job(call: ToolCall, job: dict[str, Any]) -> ToolOutput:
    lines = [job_line(job)]
    checkpoints = job.get("checkpoints") or []
    if checkpoints and isinstance(checkpoints[-1], dict):
        last = checkpoints[-1]
        lines.append(f"Latest checkpoint: step {last.get('step_number')}, metrics {last.get('metrics')}")
    events = job.get("events") or []
    if events and isinstance(events[-1], dict):
        lines.append(f"Latest event: {events[-1].get('name')} {events[-1].get('data') or ''}".rstrip())
    model = links.model_link(job.get("fine_tuned_model"), "The fine-tuned model this job produced")
    return ToolOutput("\n".join(lines), job, content=(model,) if model is not None else (), view=job_view(job))


def render_cancelled(call: ToolCall, job: dict[str, Any]) -> ToolOutput:
    return ToolOutput(f"Cancellation requested: {job_line(job)}", job, view=job_view(job))


def render_started(call: ToolCall, job: dict[str, Any]) -> ToolOutput:
    return ToolOutput(f"Started: {job_line(job)}", job, view=job_view(job))


def _job_spec(**fields: Any) -> ToolSpec:
    """A tool on one job, named by its `job_id`, that answers with the job."""
    return ToolSpec(input_schema=JOB_INPUT, output_schema=JOB_OUTPUT, **fields)


TOOLS = (
    ToolSpec(
        name="mistral_create_fine_tuning_job",
        family="jobs",
        title="Create a Mistral fine-tuning job",
        description=(
            "Fine-tune a Mistral model on JSONL files uploaded with mistral_upload_file (purpose fine-tune). "
            "Training is billed: run with `dry_run: true` first and confirm its cost estimate with the user. "
            "Returns the job (id, status) or the estimate." + LEGACY
        ),
        input_schema=CREATE_INPUT,
        output_schema={"type": "object"},  # a job, or a cost estimate when dry_run
        method="POST",
        path=JOBS_PATH,
        tool_only=frozenset({"dry_run"}),  # a query flag, sent only when true
        extra=_RARE,
        run=run_create_job,
        view=FINE_TUNING_JOB,
    ),
    ToolSpec(
        name="mistral_list_fine_tuning_jobs",
        family="jobs",
        title="List Mistral fine-tuning jobs",
        description=(
            f"List fine-tuning jobs, newest first, a page at a time (default {DEFAULT_PAGE_SIZE}), filtered by "
            "model, status, dates, suffix or W&B project. Returns one line per job (id, status, model, resulting "
            "model); structuredContent.data holds the jobs." + LEGACY
        ),
        input_schema=LIST_INPUT,
        output_schema=LIST_OUTPUT,
        method="GET",
        path=JOBS_PATH,
        run=run_list_jobs,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_get_fine_tuning_job",
        family="jobs",
        title="Get a Mistral fine-tuning job",
        description=(
            "Status and details of one fine-tuning job: status, events, checkpoints with metrics, and the "
            "fine-tuned model's id once it succeeded. `wait_seconds` watches it until it finishes." + LEGACY
        ),
        input_schema=GET_INPUT,
        output_schema=JOB_OUTPUT,
        method="GET",
        path=JOB_PATH,
        tool_only=frozenset({"wait_seconds"}),
        run=run_get_job,
        read_only=True,
        idempotent=True,
        view=FINE_TUNING_JOB,
    ),
    _job_spec(
        name="mistral_refresh_fine_tuning_job",
        family="jobs",
        title="Refresh the fine-tuning job view",
        description=(
            "Reload a fine-tuning job for the job's view, which calls this while the job runs. Not for models: "
            "use mistral_get_fine_tuning_job." + LEGACY
        ),
        method="GET",
        path=JOB_PATH,
        render=render_job,
        read_only=True,
        idempotent=True,
        view=FINE_TUNING_JOB,
        app_only=True,
    ),
    _job_spec(
        name="mistral_cancel_fine_tuning_job",
        family="jobs",
        title="Cancel a Mistral fine-tuning job",
        description=(
            "Stop a queued or running fine-tuning job. Training done so far is lost and cannot be resumed. "
            "Returns the job with its new status." + LEGACY
        ),
        method="POST",
        path="/v1/fine_tuning/jobs/{job_id}/cancel",
        render=render_cancelled,
        destructive=True,
        idempotent=True,
    ),
    _job_spec(
        name="mistral_start_fine_tuning_job",
        family="jobs",
        title="Start a validated Mistral fine-tuning job",
        description=(
            "Start a fine-tuning job created with `auto_start: false` once it is validated. Training is billed. "
            "Returns the job with its new status." + LEGACY
        ),
        method="POST",
        path="/v1/fine_tuning/jobs/{job_id}/start",
        render=render_started,
        idempotent=True,
    ),
)
