"""A TCP proxy on loopback that can stall like a network that stops answering without refusing.

While stalled it keeps every socket open, accepts new connections and moves no byte either way:
what is sent meanwhile waits, as TCP keeps retransmitting it through a partition, and moves on
in order when the proxy heals. A side that closes while stalled has its data (and then its end)
delivered after the heal, as a real close does: so a COMMIT sent into the stall still reaches
the database later unless the database gave up on that session first.

A stall can also wait for a given statement (`stall_on`): the proxy reads the app's side of the
PostgreSQL protocol just enough to tell which transaction is whose, so another writer's COMMIT
(a sweep run by the app at startup, say) does not trip a stall meant for a sign-up's.

It runs on its own event loop in a thread, so apps started by sync fixtures can use it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field

# Untyped requests a client may send before its startup message (PostgreSQL's protocol, "Message Flow").
_SSL_REQUEST, _GSSENC_REQUEST = 80877103, 80877104


@dataclass(frozen=True, slots=True, eq=False)
class _Trigger:
    marker: bytes
    after: bytes | None
    answers_only: bool


@dataclass(slots=True)
class _AppSide:
    """What one of the app's connections has sent, as far as a trigger needs it.

    A statement the driver has prepared once (asyncpg caches them per connection) is later run by
    name alone, so its SQL is known only from the Parse message that prepared it.
    """

    buffer: bytes = b""
    started: bool = False  # past the untyped startup messages
    statements: dict[bytes, bytes] = field(default_factory=dict)  # prepared statement name -> SQL
    primed_for: _Trigger | None = None  # this connection ran the trigger's `after` since it was armed

    def messages(self, data: bytes) -> list[tuple[bytes, bytes]]:
        """The whole messages `data` completes, as (type, body); an untyped startup message has type b""."""
        self.buffer += data
        found: list[tuple[bytes, bytes]] = []
        while True:
            kind = b"" if not self.started else self.buffer[:1]
            head = len(kind)
            if len(self.buffer) < head + 4:
                return found
            end = head + int.from_bytes(self.buffer[head : head + 4], "big")
            if len(self.buffer) < end:
                return found
            body, self.buffer = self.buffer[head + 4 : end], self.buffer[end:]
            if not self.started:
                self.started = int.from_bytes(body[:4], "big") not in (_SSL_REQUEST, _GSSENC_REQUEST)
            found.append((kind, body))

    def feed(self, data: bytes) -> list[bytes]:
        """The SQL that `data` runs, as far as it completes messages (remembering what it prepares)."""
        ran: list[bytes] = []
        for kind, body in self.messages(data):
            if kind == b"P":  # Parse: statement name, SQL
                name, _, rest = body.partition(b"\x00")
                self.statements[name] = rest.partition(b"\x00")[0]
            elif kind == b"B":  # Bind: portal name, statement name, parameters
                ran.append(self.statements.get(body.split(b"\x00", 2)[1], b""))
            elif kind == b"Q":  # a simple query: its SQL
                ran.append(body)
        return ran


class StallingProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="stalling-proxy", daemon=True)
        # Forwarding, per direction: to the database (True) and back to the app (False).
        self._flowing = {True: asyncio.Event(), False: asyncio.Event()}
        self._server: asyncio.Server | None = None
        self._trigger: _Trigger | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0
        self.stalled = threading.Event()
        """Set while the proxy holds every byte."""
        self.app_hung_up = threading.Event()
        """Set when the app closes one of its connections while the proxy is stalled."""

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def stall(self) -> None:
        self._loop.call_soon_threadsafe(self._stall)

    def stall_on(self, marker: bytes, *, after: bytes | None = None, answers_only: bool = False) -> None:
        """Stall as soon as the app sends bytes holding `marker`: those bytes are held too, or, with
        `answers_only`, they reach the database and only what comes back (from then on) is held.

        With `after`, only on a connection that has run SQL holding `after` since this call: the
        COMMIT of one kind of transaction, not whichever COMMIT the app sends first.
        """
        trigger = _Trigger(marker, after, answers_only)

        def arm() -> None:
            self._trigger = trigger

        self._loop.call_soon_threadsafe(arm)

    def heal(self) -> None:
        def heal() -> None:
            self.stalled.clear()
            self.app_hung_up.clear()
            for flowing in self._flowing.values():
                flowing.set()

        self._loop.call_soon_threadsafe(heal)

    def _stall(self, answers_only: bool = False) -> None:
        self._flowing[False].clear()
        if not answers_only:
            self._flowing[True].clear()
        self.stalled.set()

    async def _listen(self) -> None:
        for flowing in self._flowing.values():
            flowing.set()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        for flowing in self._flowing.values():
            flowing.set()
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, app_reader: asyncio.StreamReader, app_writer: asyncio.StreamWriter) -> None:
        try:
            db_reader, db_writer = await asyncio.open_connection(*self._target)
        except OSError:
            app_writer.close()
            return
        app_side = _AppSide()
        for reader, writer, from_app in ((app_reader, db_writer, True), (db_reader, app_writer, False)):
            queue: asyncio.Queue[bytes | None] = asyncio.Queue()
            side = app_side if from_app else None
            for job in (self._read(reader, queue, side), self._forward(queue, writer, self._flowing[from_app])):
                task = asyncio.ensure_future(job)
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _read(
        self, reader: asyncio.StreamReader, queue: asyncio.Queue[bytes | None], app_side: _AppSide | None
    ) -> None:
        """Read one direction; `app_side` is the app's connection when reading what the app sends."""
        # Reads go on while stalled: only forwarding stops, so a hang-up is seen when it happens.
        try:
            while data := await reader.read(65536):
                if app_side is not None:
                    self._check_trigger(app_side, data)
                queue.put_nowait(data)
        except OSError:
            pass
        if app_side is not None and self.stalled.is_set():
            self.app_hung_up.set()
        queue.put_nowait(None)

    def _check_trigger(self, app_side: _AppSide, data: bytes) -> None:
        ran = app_side.feed(data)  # even unarmed: a statement prepared now may run once armed
        trigger = self._trigger
        if trigger is None:
            return
        if trigger.after is not None and any(trigger.after in sql for sql in ran):
            app_side.primed_for = trigger
        if trigger.marker in data and (trigger.after is None or app_side.primed_for is trigger):
            self._trigger = None
            self._stall(trigger.answers_only)

    async def _forward(
        self, queue: asyncio.Queue[bytes | None], writer: asyncio.StreamWriter, flowing: asyncio.Event
    ) -> None:
        try:
            while (data := await queue.get()) is not None:
                await flowing.wait()
                writer.write(data)
                await writer.drain()
            await flowing.wait()
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                writer.close()
