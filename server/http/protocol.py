"""uvicorn's httptools protocol with the deadlines and caps that uvicorn lacks.

uvicorn bounds only the idle time between two requests. A client that connects and sends
nothing, or its headers a byte at a time, or one endless header line, or a body that never
ends, holds its connection (and, for the header line, ever more memory) for as long as it
likes; a few hundred such clients use up the file limit and nobody is answered, `/healthz`
included. Here:

- a request's line and headers must arrive within `header_timeout` of the connection being
  made, or of the request's first byte on a reused connection; otherwise the connection is
  closed (after the response in progress, if any);
- they may not exceed `max_header_bytes` (checked after each read, so the parser never holds
  more than the cap plus one read): `431` and close;
- a body must arrive within `body_timeout` of its headers: `408` and close;
- an answer must be taken: when the client leaves bytes unread for `send_timeout` (the kernel's
  send buffer full, so the transport holds the rest), the connection is dropped. Otherwise a
  client that pipelines requests and never reads holds its connection, the request's task and the
  answers for ever: uvicorn waits for the buffer to drain without a deadline, and a close waits to
  flush it. The transport reports every such stall (its high-water mark is 0: anything it holds
  pauses the writer), which also keeps at most one write per connection in memory;
- at most `max_connections` are open. Past it, the connection idle longest (waiting for
  headers, then waiting for a body) is closed to make room: a flood of slow clients pushes out
  slow clients, not the ones whose requests are being served. Only when every connection is
  busy does the newcomer get `503`.

The settings reach the protocol as class attributes of a subclass made per server
(`protocol_class`), because uvicorn builds one protocol per connection from the class alone.
"""

from __future__ import annotations

import asyncio
import json
import logging
from asyncio import TimerHandle
from dataclasses import dataclass
from http import HTTPStatus
from typing import ClassVar

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HttpLimits:
    header_timeout: float
    body_timeout: float
    max_header_bytes: int
    max_connections: int
    send_timeout: float


def _answer(status: int, code: str, message: str) -> bytes:
    """A whole response in our error shape, written before (or instead of) the app's."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


_TOO_SLOW = _answer(408, "request_timeout", "The request body took too long to arrive.")
_HEADERS_TOO_LARGE = _answer(431, "headers_too_large", "The request line and headers are too large.")
_FULL = _answer(503, "unavailable", "The server has too many open connections; try again shortly.")


class _Refused(Exception):
    """Raised from a parser callback to stop parsing a request already answered."""


class ConnectionTable:
    """One server's open connections, and which of them wait on their client, oldest first."""

    def __init__(self) -> None:
        self.count = 0
        self.awaiting_headers: dict[LimitedHttpToolsProtocol, None] = {}
        self.awaiting_body: dict[LimitedHttpToolsProtocol, None] = {}

    def idlest(self) -> LimitedHttpToolsProtocol | None:
        for waiting in (self.awaiting_headers, self.awaiting_body):
            if waiting:
                return next(iter(waiting))
        return None


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    limits: ClassVar[HttpLimits]
    table: ClassVar[ConnectionTable]

    _header_timer: TimerHandle | None = None
    _body_timer: TimerHandle | None = None
    _send_timer: TimerHandle | None = None
    _body_cycle: RequestResponseCycle | None = None  # the running request whose body is still due
    _counted = False
    _refused = False
    _in_headers = True  # awaiting (the rest of) a header block: bytes read now are header bytes
    _ended_one = False  # a request ended within the read being parsed
    _header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # as uvicorn's
        super().connection_made(transport)
        transport.set_write_buffer_limits(high=0)  # every stall is reported: see pause_writing
        if self.table.count >= self.limits.max_connections:
            idlest = self.table.idlest()
            if idlest is None:
                self._refuse(_FULL)
                return
            idlest._evict()
        self.table.count += 1
        self._counted = True
        self._await_headers()
        self._header_timer = self.loop.call_later(self.limits.header_timeout, self._headers_late)

    def connection_lost(self, exc: Exception | None) -> None:
        self._forget()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # uvicorn's, plus the header deadline and size cap, and no "invalid request" for one we refused.
        self._unset_keepalive_if_required()
        if self._in_headers and self._header_timer is None:
            self._header_timer = self.loop.call_later(self.limits.header_timeout, self._headers_late)
        self._ended_one = False
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if not self._refused:
                msg = "Invalid HTTP request received."
                self.logger.warning(msg)
                self.send_400_response(msg)
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if self._ended_one:
            pass  # the read held the end of another request: this header block is measured when complete
        elif self._in_headers:
            self._header_bytes += len(data)
            if self._header_bytes > self.limits.max_header_bytes:
                self._refuse(_HEADERS_TOO_LARGE)
                return
        if self._body_cycle is not None and self._body_timer is None and not self.transport.is_closing():
            self._await_body()

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._send_timer is None:
            self._send_timer = self.loop.call_later(self.limits.send_timeout, self._send_late)

    def resume_writing(self) -> None:
        super().resume_writing()
        self._send_taken()

    def handle_websocket_upgrade(self) -> None:
        self._forget()  # the connection belongs to the WebSocket protocol from here on
        super().handle_websocket_upgrade()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers, self._header_bytes = True, 0

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._headers_arrived()
        if len(self.url) + sum(len(name) + len(value) for name, value in self.headers) > self.limits.max_header_bytes:
            self._refuse(_HEADERS_TOO_LARGE)
            raise _Refused
        queued = self.cycle is not None and not self.cycle.response_complete
        super().on_headers_complete()
        if not queued and not (self.parser.should_upgrade() and self._should_upgrade()):
            self._body_cycle = self.cycle  # its timer starts once this read is parsed, unless the body was in it

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_headers, self._ended_one, self._header_bytes = True, True, 0
        if self._body_cycle is self.cycle:
            self._body_arrived()

    def on_response_complete(self) -> None:
        starting = self.pipeline[-1][0] if self.pipeline else None
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if starting is None:
            self._await_headers()  # idle, under uvicorn's keep-alive timeout; the header timer starts with data
        elif starting.more_body:
            self._body_cycle = starting
            self._await_body()

    # Waiting on the client

    def _await_headers(self) -> None:
        self.table.awaiting_headers[self] = None

    def _headers_arrived(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        self.table.awaiting_headers.pop(self, None)

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False  # a response is on its way: the connection ends after it
        else:
            self.transport.close()

    def _await_body(self) -> None:
        self._body_timer = self.loop.call_later(self.limits.body_timeout, self._body_late)
        self.table.awaiting_body[self] = None

    def _body_arrived(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        self._body_cycle = None
        self.table.awaiting_body.pop(self, None)

    def _body_late(self) -> None:
        cycle = self._body_cycle
        self._body_timer = None
        self._body_arrived()
        if cycle is None or self.transport.is_closing():
            return
        if not cycle.response_started:
            self.transport.write(_TOO_SLOW)
            # What connection_lost would do, at once: the app reads a disconnect and its answer goes nowhere.
            cycle.disconnected = True
            cycle.message_event.set()
        self.transport.close()

    def _send_taken(self) -> None:
        if self._send_timer is not None:
            self._send_timer.cancel()
            self._send_timer = None

    def _send_late(self) -> None:
        self._send_timer = None
        logger.info("connection dropped: the client left its answer unread for %gs", self.limits.send_timeout)
        self.transport.abort()  # close() would wait for the unread bytes to be taken

    # Closing

    def _refuse(self, answer: bytes) -> None:
        self._refused = True
        if self.cycle is None or self.cycle.response_complete:  # no response of the app's under way
            self.transport.write(answer)
        self.transport.close()

    def _evict(self) -> None:
        if self._body_timer is not None:
            self._body_late()
        else:
            self.transport.close()
        self._forget()

    def _forget(self) -> None:
        self._headers_arrived()
        self._body_arrived()
        self._send_taken()
        if self._counted:
            self._counted = False
            self.table.count -= 1


def protocol_class(limits: HttpLimits) -> type[LimitedHttpToolsProtocol]:
    """A protocol class for one server: its own limits and its own table of connections."""

    class Protocol(LimitedHttpToolsProtocol):
        pass

    Protocol.limits = limits
    Protocol.table = ConnectionTable()
    return Protocol
