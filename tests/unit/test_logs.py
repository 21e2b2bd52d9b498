"""What the log configuration lets through, and that secrets never reach a line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from server.http.access_log import loggable_path
from server.logs import configure_logging

TOKEN = "mmcp_" + "Q" * 43


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Logging configured as `mistral-mcp serve` does at INFO, restored afterwards (other tests
    keep their session-wide configuration)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    names = ("mcp.server.streamable_http", "httpx", "httpcore", "httpx2", "aiosqlite", "uvicorn.access")
    saved = {name: (logging.getLogger(name).level, logging.getLogger(name).disabled) for name in names}
    stream = io.StringIO()
    configure_logging("INFO", "json", stream)
    try:
        yield stream
    finally:
        root.handlers[:], root.level = handlers, level
        for name, (old_level, disabled) in saved.items():
            logging.getLogger(name).setLevel(old_level)
            logging.getLogger(name).disabled = disabled


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_the_sdks_per_request_session_line_is_not_logged_but_its_warnings_are(json_lines: io.StringIO) -> None:
    sdk = logging.getLogger("mcp.server.streamable_http")
    sdk.info("Terminating session: %s", None)  # what the SDK says after every stateless request
    sdk.warning("Rejected request with invalid Content-Type")
    logging.getLogger("server.transport.mcp_server").info("tool call", extra={"tool": "mistral_chat"})
    logged = lines(json_lines)
    assert [(e["logger"], e["message"]) for e in logged] == [
        ("mcp.server.streamable_http", "Rejected request with invalid Content-Type"),
        ("server.transport.mcp_server", "tool call"),
    ]
    assert logged[1]["tool"] == "mistral_chat"  # extras become JSON fields


def test_tokens_and_bearer_credentials_are_redacted_wherever_they_appear(json_lines: io.StringIO) -> None:
    logger = logging.getLogger("some.library")
    logger.info("POST /mcp/%s", TOKEN)
    logger.warning("sent Authorization: Bearer sk-live-123 to upstream")
    logger.warning("client sent Authorization: Basic Y2xpZW50OnMzY3JldA== (basic auth is fine)")
    try:
        raise ValueError(f"bad token {TOKEN}")
    except ValueError:
        logger.exception("failed")
    text = json_lines.getvalue()
    assert TOKEN not in text
    assert "sk-live-123" not in text
    messages = [e["message"] for e in lines(json_lines)]
    assert messages[:3] == [
        "POST /mcp/mmcp_[redacted]",
        "sent Authorization: Bearer [redacted] to upstream",
        "client sent Authorization: Basic [redacted] (basic auth is fine)",
    ]
    assert "Y2xpZW50OnMzY3JldA" not in text
    assert "mmcp_[redacted]" in str(lines(json_lines)[3]["exception"])


def test_secrets_in_extra_fields_are_redacted_too(json_lines: io.StringIO) -> None:
    logging.getLogger("mistral_mcp.access").info(
        "GET", extra={"path": f"/x/{TOKEN}", "detail": {"header": "Bearer sk-live-456"}}
    )
    [entry] = lines(json_lines)
    assert entry["path"] == "/x/mmcp_[redacted]"
    assert entry["detail"] == {"header": "Bearer [redacted]"}


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (f"/mcp/{TOKEN}", "/mcp/{token}"),
        (f"/.well-known/oauth-protected-resource/mcp/{TOKEN}", "/.well-known/oauth-protected-resource/mcp/{token}"),
        (f"//mcp/{TOKEN}", "//mcp/{token}"),
        ("/MCP/not-a-real-token-but-still-masked", "/mcp/{token}"),
        ("/mcp", "/mcp"),
        ("/api/connection", "/api/connection"),
    ],
)
def test_access_log_paths_mask_whatever_follows_mcp(path: str, logged: str) -> None:
    assert loggable_path(path) == logged
