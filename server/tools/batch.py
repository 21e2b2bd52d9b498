"""Batch jobs: create, list, get, cancel, delete."""

from __future__ import annotations

import json
from typing import Any

from server.tools import links
from server.tools import schemas as s
from server.tools.paths import BATCH_TARGETS
from server.tools.spec import ToolCall, ToolOutput, ToolSpec
from server.tools.waiting import WAIT_SECONDS, poll, still_waiting
from server.views import BATCH_JOB

JOBS_PATH = "/v1/batch/jobs"
JOB_PATH = "/v1/batch/jobs/{job_id}"  # GET reads, DELETE deletes
DEFAULT_PAGE_SIZE = 20
BATCH_STATUSES = ["QUEUED", "RUNNING", "SUCCESS", "FAILED", "TIMEOUT_EXCEEDED", "CANCELLATION_REQUESTED", "CANCELLED"]
TERMINAL_STATUSES = frozenset({"SUCCESS", "FAILED", "TIMEOUT_EXCEEDED", "CANCELLED"})
CANCELLABLE_STATUSES = frozenset({"QUEUED", "RUNNING"})
REFRESH_SECONDS = 10  # how often the view reloads a job still going
FINAL_STATUSES = TERMINAL_STATUSES  # what wait_seconds stops at

CREATE_INPUT = s.object_schema(
    {
        "endpoint": {"type": "string", "enum": BATCH_TARGETS, "description": "The API every request goes to."},
        "input_files": {
            "type": "array",
            "minItems": 1,
            "items": s.FILE_ID,
            "description": 'Uploaded JSONL files (purpose batch), a request per line: {"custom_id": "0", "body": {…}}.',
        },
        "requests": {
            "type": "array",
            "minItems": 1,
            "maxItems": 10000,
            "items": s.object_schema(
                {"custom_id": {"type": "string"}, "body": {"type": "object"}},
                required=["body"],
            ),
            "description": 'Requests inline instead of files, e.g. [{"custom_id": "a", "body": {"messages": [...]}}].',
        },
        "model": {**s.MODEL, "description": "Model for every request (or set it in each body)."},
        "agent_id": {**s.AGENT_ID, "description": "Run the requests with this agent instead of a model."},
        "metadata": {
            "type": "object",
            "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 512},
            "propertyNames": {"minLength": 1, "maxLength": 32},
            "description": "Your labels for the job (string values).",
        },
        "timeout_hours": {
            "type": "integer",
            "minimum": 1,
            "maximum": 168,
            "default": 24,
            "description": "Hours before unfinished requests time out.",
        },
    },
    required=["endpoint"],
    oneOf=[{"required": ["input_files"]}, {"required": ["requests"]}],
)
LIST_INPUT = s.object_schema(
    {
        "page": s.PAGE,
        "page_size": s.page_size(DEFAULT_PAGE_SIZE, 1000),
        "status": {"type": "array", "items": {"type": "string", "enum": BATCH_STATUSES}, "minItems": 1},
        "model": {"type": "string", "minLength": 1},
        "agent_id": {"type": "string", "minLength": 1},
        "metadata": {"type": "object", "description": "Only jobs whose metadata has these key/values."},
        "created_after": s.DATE_TIME,
        "created_by_me": {"type": "boolean"},
        "order_by": {"type": "string", "enum": ["created", "-created"], "default": "-created"},
    }
)
_JOB_ID: s.Schema = {**s.JOB_ID, "description": "A batch job id (UUID)."}
GET_INPUT = s.object_schema(
    {
        "job_id": _JOB_ID,
        "inline": {"type": "boolean", "description": "Include the results (finished jobs)."},
        "wait_seconds": WAIT_SECONDS,
    },
    required=["job_id"],
)
JOB_INPUT = s.object_schema({"job_id": _JOB_ID}, required=["job_id"])

JOB_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "status": {"type": "string"}, "total_requests": {"type": "integer"}},
    "required": ["id", "status"],
}
LIST_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"data": {"type": "array", "items": JOB_OUTPUT}, "total": {"type": "integer"}},
    "required": ["data"],
}
DELETE_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "deleted": {"type": "boolean"}},
    "required": ["id"],
}


def job_line(job: dict[str, Any]) -> str:
    counts = (
        f"{job.get('succeeded_requests', 0)} succeeded, {job.get('failed_requests', 0)} failed "
        f"of {job.get('total_requests', 0)}"
    )
    target = job.get("model") or (f"agent {job['agent_id']}" if job.get("agent_id") else "models set per request")
    parts = [f"{job.get('id')}: {job.get('status')}", f"{job.get('endpoint')} with {target}", counts]
    if job.get("output_file"):
        parts.append(f"results in file {job['output_file']}")
    if job.get("error_file"):
        parts.append(f"errors in file {job['error_file']}")
    return ", ".join(parts)


def job_view(job: dict[str, Any]) -> dict[str, Any]:
    """What the batch view needs beyond the job: the tools its buttons and file links call, and whether
    (and how often) it reloads the job."""
    terminal = job.get("status") in TERMINAL_STATUSES
    actions = {"cancel": "mistral_cancel_batch_job"} if job.get("status") in CANCELLABLE_STATUSES else {}
    return {
        "kind": "batch_job",
        "terminal": terminal,
        "actions": actions,
        "files": "mistral_get_file_url",  # a signed link the host opens, no key needed
        "refresh": None if terminal else {"tool": "mistral_get_batch_job", "seconds": REFRESH_SECONDS},
    }


def render_created(call: ToolCall, job: dict[str, Any]) -> ToolOutput:
    text = (
        f"Created batch job {job_line(job)}.\nFollow it with mistral_get_batch_job; when it succeeds, read the "
        "results with mistral_download_file on its output file (or mistral_get_batch_job with inline: true)."
    )
    return ToolOutput(text, job)


async def run_list(call: ToolCall) -> ToolOutput:
    page = call.arguments.get("page", 0)
    size = call.arguments.get("page_size", DEFAULT_PAGE_SIZE)
    params = call.fields()
    if "metadata" in call.arguments:
        params["metadata"] = json.dumps(call.arguments["metadata"], separators=(",", ":"))
    response: dict[str, Any] = await call.forward({**params, "page": page, "page_size": size})
    jobs = [j for j in response.get("data") or [] if isinstance(j, dict)]
    total = response.get("total")
    lines = [f"{len(jobs)} batch job(s) on page {page}" + (f", {total} in all:" if isinstance(total, int) else ":")]
    lines += [f"- {job_line(j)}" for j in jobs] or ["(none)"]
    if isinstance(total, int) and (page + 1) * size < total:
        lines.append(f"More jobs: call again with page={page + 1}.")
    return ToolOutput("\n".join(lines), response)


def settled(job: dict[str, Any]) -> bool:
    return job.get("status") in FINAL_STATUSES


async def run_get_job(call: ToolCall) -> ToolOutput:
    job = await poll(call, settled=settled, line=job_line)
    lines = [job_line(job)]
    errors = job.get("errors") or []
    if errors:
        lines.append(f"{len(errors)} error(s), first: {errors[0]}")
    outputs = job.get("outputs")
    if isinstance(outputs, list):
        lines.append(f"{len(outputs)} result(s) inline in structuredContent.outputs.")
    text = "\n".join(lines) + ("" if settled(job) else still_waiting(call, job.get("status")))
    files = (
        links.file_id_link(job.get("output_file"), "The batch job's results (JSONL)"),
        links.file_id_link(job.get("error_file"), "The batch job's failed requests (JSONL)"),
    )
    return ToolOutput(text, job, content=tuple(link for link in files if link is not None), view=job_view(job))


def render_cancelled(call: ToolCall, job: dict[str, Any]) -> ToolOutput:
    return ToolOutput(f"Cancellation requested: {job_line(job)}", job, view=job_view(job))


def render_deleted(call: ToolCall, response: dict[str, Any]) -> ToolOutput:
    job_id = call.arguments["job_id"]
    done = response.get("deleted", True)
    text = f"Deleted batch job {job_id}." if done else f"Mistral did not delete batch job {job_id}."
    return ToolOutput(text, response)


TOOLS = (
    ToolSpec(
        name="mistral_create_batch_job",
        family="jobs",
        title="Create a Mistral batch job",
        description=(
            "Run many requests to one endpoint asynchronously at a lower price: give `endpoint`, then "
            "`requests` inline or `input_files` uploaded with purpose batch, and a `model` (or `agent_id`). "
            "Returns the job id and status; results arrive in an output file."
        ),
        input_schema=CREATE_INPUT,
        output_schema=JOB_OUTPUT,
        method="POST",
        path=JOBS_PATH,
        render=render_created,
    ),
    ToolSpec(
        name="mistral_list_batch_jobs",
        family="jobs",
        title="List Mistral batch jobs",
        description=(
            f"List batch jobs, newest first, a page at a time (default {DEFAULT_PAGE_SIZE}), filtered by status, "
            "model, agent, metadata or date. One line per job with its counts; structuredContent.data holds the jobs."
        ),
        input_schema=LIST_INPUT,
        output_schema=LIST_OUTPUT,
        method="GET",
        path=JOBS_PATH,
        tool_only=frozenset({"metadata"}),  # sent as JSON text: a query cannot carry an object
        run=run_list,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_get_batch_job",
        family="jobs",
        title="Get a Mistral batch job",
        description=(
            "Status and counts of one batch job, with its output and error file ids; `inline: true` also "
            "returns the results of a finished job. `wait_seconds` watches it until it finishes."
        ),
        input_schema=GET_INPUT,
        output_schema=JOB_OUTPUT,
        method="GET",
        path=JOB_PATH,
        tool_only=frozenset({"wait_seconds"}),
        run=run_get_job,
        read_only=True,
        idempotent=True,
        view=BATCH_JOB,
    ),
    ToolSpec(
        name="mistral_cancel_batch_job",
        family="jobs",
        title="Cancel a Mistral batch job",
        description=(
            "Stop a queued or running batch job; requests not yet run are dropped. Returns the job with its new "
            "status (CANCELLATION_REQUESTED until Mistral has stopped it)."
        ),
        input_schema=JOB_INPUT,
        output_schema=JOB_OUTPUT,
        method="POST",
        path="/v1/batch/jobs/{job_id}/cancel",
        render=render_cancelled,
        destructive=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_delete_batch_job",
        family="jobs",
        title="Delete a Mistral batch job",
        description=(
            "Permanently delete a batch job you no longer need. To stop a queued or running job instead, use "
            "mistral_cancel_batch_job. This cannot be undone: confirm with the user first."
        ),
        input_schema=JOB_INPUT,
        output_schema=DELETE_OUTPUT,
        method="DELETE",
        path=JOB_PATH,
        render=render_deleted,
        destructive=True,
        idempotent=True,
    ),
)
