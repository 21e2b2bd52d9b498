"""Mutable state of the fake: recorded requests, injected faults and stored resources.

Tests drive it from their own thread while the app runs on the server thread, so
every mutation happens under ``FakeMistral.lock``.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from . import models
from .audio_data import DEFAULT_TRANSCRIPT, Segment
from .records import batch_output_lines, new_file_record
from .reply_shapes import SHAPES, tiny_png

DEFAULT_API_KEY = "sk-test-valid"
DEFAULT_CHAT_REPLY = "Hello from fake Mistral."
DEFAULT_FIM_REPLY = "return a + b"

SEEDED_FINE_TUNED_MODEL = "ft:open-mistral-7b:abc123:20240101:suffix"
SEEDED_FINE_TUNED_JOB = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
SEEDED_AGENT_ID = "ag_0123456789"

TERMINAL_JOB_STATUSES = frozenset({"FAILED_VALIDATION", "FAILED", "SUCCESS", "CANCELLED"})
TERMINAL_BATCH_STATUSES = frozenset({"SUCCESS", "FAILED", "TIMEOUT_EXCEEDED", "CANCELLED"})


def now() -> int:
    return int(time.time())


@dataclass
class RecordedRequest:
    """One request as the fake received it, before any validation."""

    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    json: Any | None
    form: dict[str, str] | None
    files: dict[str, tuple[str, bytes, str]] | None
    api_key: str | None
    body: bytes = b""
    query_items: list[tuple[str, str]] = field(default_factory=list)
    form_items: list[tuple[str, str]] = field(default_factory=list)  # a form's plain fields, repeats and all


@dataclass
class Fault:
    path: str
    status: int
    remaining: int
    retry_after: str | None = None
    body: Any = None
    delay: float = 0.0
    headers: dict[str, str] | None = None  # more response headers (a redirect's Location, a content type)


@dataclass
class _Hold:
    path: str
    api_key: str | None
    remaining: int


@dataclass
class _OneShot:
    path: str
    value: float


def _matches(pattern: str, path: str) -> bool:
    return pattern == "*" or pattern == path


def _seed_agent() -> dict[str, Any]:
    # Agent (GET /v1/agents/{agent_id})
    return {
        "id": SEEDED_AGENT_ID,
        "object": "agent",
        "name": "Fake assistant",
        "description": "An agent pre-seeded in the fake Mistral API.",
        "model": "mistral-medium-latest",
        "instructions": "You are a helpful assistant.",
        "tools": [],
        "completion_args": {
            "stop": None,
            "presence_penalty": None,
            "frequency_penalty": None,
            "temperature": 0.3,
            "top_p": None,
            "max_tokens": None,
            "random_seed": None,
            "prediction": None,
            "response_format": None,
            "tool_choice": "auto",
        },
        "guardrails": None,
        "handoffs": None,
        "metadata": None,
        "version": 0,
        "versions": [0],
        "created_at": "2025-01-01T00:00:00.000000Z",
        "updated_at": "2025-01-01T00:00:00.000000Z",
        "deployment_chat": False,
        "source": "api",
        "version_message": None,
    }


class FakeMistral:
    """State and recorder of the fake Mistral API (see the package docstring)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.valid_keys: set[str] = set()
        self.requests: list[RecordedRequest] = []
        self.chat_reply: str = DEFAULT_CHAT_REPLY
        self.chat_replies: dict[str, str] = {}  # a model's own reply, instead of chat_reply
        self.fim_reply: str = DEFAULT_FIM_REPLY
        self.tool_call_reply: list[dict[str, Any]] | None = None
        self.reply_shape: str = "text"  # see reply_as
        self.reply_options: dict[str, Any] = {}
        self.stream_delay: float = 0.0
        self.set_cookie: str | None = None  # a Set-Cookie header on every answer, as a CDN in front may add
        self.hung_up: list[str] = []  # paths of stalled requests whose caller gave up (closed the connection)
        self.files: dict[str, dict[str, Any]] = {}
        self.fine_tuning_jobs: dict[str, dict[str, Any]] = {}
        self.batch_jobs: dict[str, dict[str, Any]] = {}
        self.fine_tuned_models: dict[str, dict[str, Any]] = {}
        self.agents: dict[str, dict[str, Any]] = {}
        self.agent_versions: dict[str, dict[int, dict[str, Any]]] = {}  # agent id -> version -> Agent
        self.agent_aliases: dict[str, dict[str, dict[str, Any]]] = {}  # agent id -> alias -> AgentAliasResponse
        self.libraries: dict[str, dict[str, Any]] = {}  # each with its documents and shares (routes_libraries)
        self.transcript: list[Segment] = []  # what every recording says (routes_audio)
        self.conversations: dict[str, dict[str, Any]] = {}  # with their entries under "_entries"
        self._conversation_failures: list[int] = []
        # Like Mistral, what one key creates is not there for another: id -> the key that made it.
        self.owners: dict[str, str] = {}
        self._status_scripts: dict[str, list[str]] = {}
        self._faults: list[Fault] = []
        self._stalls: list[_OneShot] = []
        self._stream_cuts: list[_OneShot] = []
        self._holds: list[_Hold] = []
        self._released = threading.Event()
        self.held = 0  # requests waiting in a hold right now
        self.most_held = 0  # the most that ever waited at once since the last reset
        self.reset()

    # --- lifecycle ---------------------------------------------------------------

    def reset(self) -> None:
        """Forget requests, faults and stored resources; restore defaults and seeds."""
        with self.lock:
            self.valid_keys = {DEFAULT_API_KEY}
            self.requests = []
            self.chat_reply = DEFAULT_CHAT_REPLY
            self.chat_replies = {}
            self.fim_reply = DEFAULT_FIM_REPLY
            self.tool_call_reply = None
            self.reply_shape = "text"
            self.reply_options = {}
            self.stream_delay = 0.0
            self.set_cookie = None
            self.hung_up = []
            self.files = {}
            self.fine_tuning_jobs = {}
            self.batch_jobs = {}
            self.fine_tuned_models = {
                SEEDED_FINE_TUNED_MODEL: models.new_fine_tuned_record(
                    model_id=SEEDED_FINE_TUNED_MODEL,
                    root="open-mistral-7b",
                    job_id=SEEDED_FINE_TUNED_JOB,
                    created=1_704_067_200,
                    owned_by="abc123",
                )
            }
            self.agents = {SEEDED_AGENT_ID: _seed_agent()}
            self.agent_versions = {}
            self.agent_aliases = {}
            self.libraries = {}
            self.transcript = list(DEFAULT_TRANSCRIPT)
            self.conversations = {}
            self._conversation_failures = []
            self.owners = {}
            self._status_scripts = {}
            self._faults = []
            self._stalls = []
            self._stream_cuts = []
            self._holds = []
            self._released.set()  # frees requests a previous test left held
            self._released = threading.Event()
            self.held = 0
            self.most_held = 0

    # --- recording ---------------------------------------------------------------

    def record(self, request: RecordedRequest) -> None:
        with self.lock:
            self.requests.append(request)

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        with self.lock:
            return [r for r in self.requests if r.method == method.upper() and r.path == path]

    @property
    def last_request(self) -> RecordedRequest | None:
        with self.lock:
            return self.requests[-1] if self.requests else None

    # --- fault injection ---------------------------------------------------------

    def fail_next(
        self,
        path: str,
        *,
        status: int,
        times: int = 1,
        retry_after: str | None = None,
        body: Any = None,
        delay: float = 0.0,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next ``times`` requests to ``path`` (or ``"*"``) answer ``status`` (with ``headers``, if given).

        A ``str``/``bytes`` body is sent verbatim (``raw_response``): with ``status=200`` that is a
        success whose body is not JSON, as a proxy's HTML page would be.
        """
        with self.lock:
            self._faults.append(Fault(path, status, times, retry_after, body, delay, headers))

    def stall_next(self, path: str, seconds: float) -> None:
        """The next request to ``path`` (or ``"*"``) waits ``seconds`` before its headers."""
        with self.lock:
            self._stalls.append(_OneShot(path, seconds))

    def hold_next(self, path: str, *, times: int = 1, api_key: str | None = None) -> None:
        """The next ``times`` requests to ``path`` (or ``"*"``), made with ``api_key`` if given, wait
        before their headers until ``release_held()`` (or until their caller leaves)."""
        with self.lock:
            self._holds.append(_Hold(path, api_key, times))

    def release_held(self) -> None:
        """Let every held request (and any later one that matches a hold) go on."""
        with self.lock:
            self._released.set()

    def take_hold(self, path: str, api_key: str | None) -> threading.Event | None:
        """The event a request must wait for, when a hold matches it."""
        with self.lock:
            for hold in self._holds:
                if _matches(hold.path, path) and hold.api_key in {None, api_key}:
                    hold.remaining -= 1
                    if hold.remaining <= 0:
                        self._holds.remove(hold)
                    return self._released
        return None

    def holding(self, delta: int) -> None:
        with self.lock:
            self.held += delta
            self.most_held = max(self.most_held, self.held)

    def cut_stream_after(self, path: str, chunks: int) -> None:
        """The next streamed response on ``path`` drops the connection after ``chunks`` events."""
        with self.lock:
            self._stream_cuts.append(_OneShot(path, chunks))

    def fail_conversation_stream(self, after: int) -> None:
        """The next streamed conversation ends in ``conversation.response.error`` after ``after`` events."""
        with self.lock:
            self._conversation_failures.append(after)

    def take_conversation_failure(self) -> int | None:
        with self.lock:
            return self._conversation_failures.pop(0) if self._conversation_failures else None

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self._faults:
                if _matches(fault.path, path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def take_stall(self, path: str) -> float:
        return self._take_one_shot(self._stalls, path) or 0.0

    def take_stream_cut(self, path: str) -> int | None:
        value = self._take_one_shot(self._stream_cuts, path)
        return None if value is None else int(value)

    def _take_one_shot(self, queue: list[_OneShot], path: str) -> float | None:
        with self.lock:
            for item in queue:
                if _matches(item.path, path):
                    queue.remove(item)
                    return item.value
        return None

    # --- ownership -------------------------------------------------------------------

    def own(self, resource_id: str, api_key: str | None) -> None:
        """Record that ``api_key`` created ``resource_id``: other keys get 404 for it, as from Mistral."""
        if api_key is not None:
            with self.lock:
                self.owners[resource_id] = api_key

    def visible(self, resource_id: str, api_key: str | None) -> bool:
        """Whether ``api_key`` may see ``resource_id``; what tests seed directly belongs to every key."""
        with self.lock:
            owner = self.owners.get(resource_id)
        return owner is None or owner == api_key

    # --- scripted job progress ------------------------------------------------------

    def advance_on_read(self, job_id: str, *statuses: str) -> None:
        """Each later GET of the fine-tuning or batch job ``job_id`` first moves it to the next of ``statuses``
        (a fine-tuning job's ``SUCCESS`` finishes it with ``complete_job``)."""
        with self.lock:
            self._status_scripts[job_id] = list(statuses)

    def next_scripted_status(self, job_id: str) -> str | None:
        with self.lock:
            script = self._status_scripts.get(job_id)
            return script.pop(0) if script else None

    # --- helpers for tests and routes ------------------------------------------------

    def reply_as(
        self, shape: str, *, fail: tuple[str, ...] = (), image: bytes | None = None, file: bytes | None = None
    ) -> dict[str, Any]:
        """Answer every later chat and agents completion in ``shape`` (``reply_shapes.SHAPES``).

        ``fail`` names built-in tools whose executions fail (``tools``); ``image`` and ``file`` are the
        bytes of the data: URL image and of the stored file (``image``; a tiny PNG by default).
        Returns the options the shape uses (for ``image``: ``data_url`` and ``file_id``).
        """
        if shape not in SHAPES:
            raise ValueError(f"unknown reply shape {shape!r}; one of {SHAPES}")
        options: dict[str, Any] = {"fail": tuple(fail)}
        if shape == "image":
            inline = tiny_png() if image is None else image
            options["data_url"] = "data:image/png;base64," + base64.b64encode(inline).decode()
            stored = self.add_file(tiny_png(2, 2) if file is None else file, filename="chart.png", purpose="ocr")
            options["file_id"] = stored["id"]
        with self.lock:
            self.reply_shape, self.reply_options = shape, options
        return options

    def add_file(
        self,
        content: bytes,
        *,
        filename: str = "data.jsonl",
        purpose: str = "fine-tune",
        mimetype: str | None = None,
    ) -> dict[str, Any]:
        """Store a file as if it had been uploaded; returns its stored record."""
        record = new_file_record(content, filename=filename, purpose=purpose, content_type=mimetype)
        with self.lock:
            self.files[record["id"]] = record
        return record

    def add_agent(self, agent_id: str, *, model: str = "mistral-medium-latest", name: str = "Agent") -> dict[str, Any]:
        agent = {**_seed_agent(), "id": agent_id, "model": model, "name": name}
        with self.lock:
            self.agents[agent_id] = agent
        return agent

    def add_library(self, name: str = "Handbook", *, owner: str | None = None) -> dict[str, Any]:
        """Store a library as if created (see ``routes_libraries.add_library``) and return it as Mistral shows it;
        ``owner`` hides it from other keys."""
        from .routes_libraries import add_library, library_view  # the routes module imports this one

        library = add_library(self, name)
        self.own(library["id"], owner)
        return library_view(library)

    def add_conversation(self, *, agent_id: str = SEEDED_AGENT_ID, owner: str | None = None) -> dict[str, Any]:
        """Store a conversation with an agent (AgentConversation); ``owner`` hides it from other keys."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        conversation = {
            "object": "conversation",
            "id": "conv_" + uuid.uuid4().hex,
            "name": None,
            "description": None,
            "metadata": None,
            "created_at": stamp,
            "updated_at": stamp,
            "agent_id": agent_id,
            "agent_version": 0,
        }
        with self.lock:
            self.conversations[conversation["id"]] = conversation
        self.own(conversation["id"], owner)
        return conversation

    def set_job_status(self, job_id: str, status: str) -> dict[str, Any]:
        """Move a fine-tuning job to ``status`` and log a ``status-updated`` event."""
        with self.lock:
            job = self.fine_tuning_jobs[job_id]
            job["status"] = status
            job["modified_at"] = now()
            job["events"].append({"name": "status-updated", "data": {"status": status}, "created_at": now()})
            return job

    def add_checkpoint(
        self, job_id: str, step: int, train_loss: float, valid_loss: float | None = None
    ) -> dict[str, Any]:
        """Record a checkpoint of a running fine-tuning job, as Mistral does every few steps."""
        with self.lock:
            job = self.fine_tuning_jobs[job_id]
            metrics = {"train_loss": train_loss, "valid_loss": valid_loss, "valid_mean_token_accuracy": None}
            job["checkpoints"].append({"metrics": metrics, "step_number": step, "created_at": now()})
            return job

    def complete_job(self, job_id: str) -> dict[str, Any]:
        """Finish a fine-tuning job: SUCCESS, a checkpoint, and a new fine-tuned model."""
        with self.lock:
            job = self.fine_tuning_jobs[job_id]
            stamp = time.strftime("%Y%m%d", time.gmtime())
            model_id = f"ft:{job['model']}:{uuid.uuid4().hex[:8]}:{stamp}:{job.get('suffix') or job_id[:8]}"
            job["fine_tuned_model"] = model_id
            job["trained_tokens"] = (job.get("metadata") or {}).get("train_tokens") or 0
            job["checkpoints"].append(
                {
                    "metrics": {"train_loss": 0.42, "valid_loss": 0.51, "valid_mean_token_accuracy": 0.87},
                    "step_number": job["hyperparameters"].get("training_steps") or 10,
                    "created_at": now(),
                }
            )
            self.fine_tuned_models[model_id] = models.new_fine_tuned_record(
                model_id=model_id,
                root=job["model"],
                job_id=job_id,
                created=now(),
                owned_by="abc123",
                job_type=job["job_type"],
                classifier_targets=job.get("classifier_targets"),
            )
            return self.set_job_status(job_id, "SUCCESS")

    def set_batch_status(self, job_id: str, status: str) -> dict[str, Any]:
        """Move a batch job to ``status`` (SUCCESS also marks every request as succeeded)."""
        with self.lock:
            job = self.batch_jobs[job_id]
            job["status"] = status
            if status == "RUNNING" and job["started_at"] is None:
                job["started_at"] = now()
            if status in TERMINAL_BATCH_STATUSES:
                job["completed_at"] = now()
            if status == "SUCCESS":
                job["completed_requests"] = job["succeeded_requests"] = job["total_requests"]
                self._store_batch_output(job)
            return job

    def _store_batch_output(self, job: dict[str, Any]) -> None:
        lines = batch_output_lines(job, self.chat_reply)
        job["_outputs"] = lines
        content = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
        output = new_file_record(content, filename=f"{job['id']}.jsonl", purpose="batch")
        output.update(sample_type="batch_result", source="mistral")
        self.files[output["id"]] = output
        if job["id"] in self.owners:
            self.owners[output["id"]] = self.owners[job["id"]]
        job["output_file"] = output["id"]
