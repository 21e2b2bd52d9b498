"""Run real ASGI apps under uvicorn on a free loopback port, each in its own thread.

A thread with its own event loop lets sync and async tests share one server, and
lets a session-scoped fixture outlive any single test's event loop.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from server.serving import uvicorn_options
from server.settings import Settings


class ServerThread:
    """One uvicorn server on 127.0.0.1, bound before start so the port is known."""

    def __init__(self, app: ASGIApp | None = None) -> None:
        # proto=IPPROTO_TCP, not 0: asyncio only sets TCP_NODELAY on sockets that say they are TCP, and
        # without it every response waits ~40 ms for the client's delayed ACK (Nagle).
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = app
        self.server: uvicorn.Server | None = None
        self._thread = threading.Thread(target=self._run, name=f"uvicorn-{self.port}", daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        assert self.server is not None
        try:
            asyncio.run(self.server.serve(sockets=[self._sock]))
        except BaseException as exc:  # surfaced to the test in start()
            self._error = exc

    def start(self, app: ASGIApp | None = None, settings: Settings | None = None) -> None:
        """Serve `app` (or the one given at construction); returns once it accepts connections.

        With `settings`, uvicorn runs as `mistral-mcp serve` runs it (limits, proxy headers); without,
        with its defaults (the fakes). log_config=None keeps uvicorn from replacing the tests' logging.
        """
        app = app or self.app
        assert app is not None, "no app to serve"
        options = uvicorn_options(settings) if settings is not None else {"log_config": None, "access_log": False}
        config = uvicorn.Config(app, lifespan="on", **{**options, "timeout_graceful_shutdown": 5})
        self.server = uvicorn.Server(config)
        self._thread.start()
        while not self.server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"server thread died during startup: {self._error!r}")
            self._thread.join(0.01)

    def stop(self) -> None:
        if self.server is None:
            self._sock.close()
            return
        self.server.should_exit = True
        self._thread.join(15)
        self._sock.close()


@contextmanager
def serve_in_thread(app: ASGIApp) -> Iterator[ServerThread]:
    server = ServerThread(app)
    server.start()
    try:
        yield server
    finally:
        server.stop()
