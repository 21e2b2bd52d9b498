"""uvicorn's options as `mistral-mcp serve` and the tests' servers both build them."""

from __future__ import annotations

import logging
import resource

import pytest

from server.http.protocol import HttpLimits, LimitedHttpToolsProtocol
from server.serving import raise_open_file_limit, uvicorn_options
from server.settings import Settings


def test_the_options_carry_every_limit_from_the_settings() -> None:
    settings = Settings(
        header_timeout=1.5,
        body_timeout=7.0,
        send_timeout=4.0,
        keepalive_timeout=2.0,
        max_header_bytes=4096,
        max_connections=9,
    )
    options = uvicorn_options(settings)
    protocol = options["http"]
    assert issubclass(protocol, LimitedHttpToolsProtocol)
    assert protocol.limits == HttpLimits(
        header_timeout=1.5, body_timeout=7.0, max_header_bytes=4096, max_connections=9, send_timeout=4.0
    )
    assert options["timeout_keep_alive"] == 2.0
    assert options["proxy_headers"] is False  # X-Forwarded-* believed from nobody unless configured


def test_each_server_gets_its_own_table_of_connections() -> None:
    first, second = uvicorn_options(Settings())["http"], uvicorn_options(Settings())["http"]
    assert first.table is not second.table


def test_the_soft_open_file_limit_is_raised_to_what_the_caps_need(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, tuple[int, int]]] = []
    monkeypatch.setattr(resource, "getrlimit", lambda _which: (1024, 65536))
    monkeypatch.setattr(resource, "setrlimit", lambda which, limits: calls.append((which, limits)))
    raise_open_file_limit(Settings(max_connections=1000, upstream_max_connections=1000))
    assert calls == [(resource.RLIMIT_NOFILE, (2200, 65536))]


def test_a_hard_limit_below_the_caps_is_used_and_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(resource, "getrlimit", lambda _which: (256, 1024))
    monkeypatch.setattr(resource, "setrlimit", lambda _which, limits: calls.append(limits))
    with caplog.at_level(logging.WARNING, logger="server.serving"):
        raise_open_file_limit(Settings())
    assert calls == [(1024, 1024)]
    assert "MISTRAL_MCP_MAX_CONNECTIONS" in caplog.text
