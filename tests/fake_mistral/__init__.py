"""A fake Mistral AI REST API for tests: a real Starlette app plus a state/recorder object.

    state = FakeMistral()
    with serve_in_thread(create_app(state)) as server:
        httpx.post(f"{server.url}/v1/chat/completions", headers={"Authorization": "Bearer sk-test-valid"}, ...)
        state.requests_to("POST", "/v1/chat/completions")

Request shapes and validation follow the public OpenAPI documents (current and
legacy); see ``schemas.py``. Fault injection: ``fail_next``, ``stall_next``,
``hold_next``/``release_held``, ``cut_stream_after``. Reply shapes of chat and agents completions
(reasoning, built-in tools, citations, images): ``reply_as``. Test helpers: ``add_file``, ``add_agent``,
``set_job_status``, ``complete_job``, ``set_batch_status``.
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
