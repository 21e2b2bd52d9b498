"""A fake Mistral AI REST API for tests: a real Starlette app plus a state/recorder object.

    state = FakeMistral()
    with serve_in_thread(create_app(state)) as server:
        httpx.post(f"{server.url}/v1/chat/completions", headers={"Authorization": "Bearer sk-test-valid"}, ...)
        state.requests_to("POST", "/v1/chat/completions")

Request shapes and validation follow the public OpenAPI documents (current and
legacy); see ``schemas.py``. Fault injection: ``fail_next``, ``stall_next``,
``hold_next``/``release_held``, ``cut_stream_after``. Reply shapes of chat and agents completions
(reasoning, built-in tools, citations, images): ``reply_as``. Test helpers: ``add_file``, ``add_agent``,
``add_library``, ``add_conversation``, ``set_job_status``, ``complete_job``, ``set_batch_status``,
``advance_on_read`` (a job moves one status per GET); for library documents,
``routes_libraries.finish_processing``. What a key creates is visible to that key only (``own``,
``visible``): another key gets 404, as from Mistral.
"""

from .app import create_app
from .state import (
    DEFAULT_API_KEY,
    SEEDED_AGENT_ID,
    SEEDED_FINE_TUNED_MODEL,
    FakeMistral,
    Fault,
    RecordedRequest,
)

__all__ = [
    "DEFAULT_API_KEY",
    "SEEDED_AGENT_ID",
    "SEEDED_FINE_TUNED_MODEL",
    "FakeMistral",
    "Fault",
    "RecordedRequest",
    "create_app",
]
