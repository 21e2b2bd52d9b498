"""A TCP proxy on loopback that can stall like a network that stops answering without refusing.

While stalled it keeps every socket open, accepts new connections and moves no byte either way:
what is sent meanwhile waits, as TCP keeps retransmitting it through a partition, and moves on
in order when the proxy heals. A side that closes while stalled has its data (and then its end)
delivered after the heal, as a real close does: so a COMMIT sent into the stall still reaches
the database later unless the database gave up on that session first.

It runs on its own event loop in a thread, so apps started by sync fixtures can use it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading


class StallingProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="stalling-proxy", daemon=True)
        # Forwarding, per direction: to the database (True) and back to the app (False).
        self._flowing = {True: asyncio.Event(), False: asyncio.Event()}
        self._server: asyncio.Server | None = None
        self._stall_marker: bytes | None = None
        self._stall_answers_only = False
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

    def stall_on(self, marker: bytes, *, answers_only: bool = False) -> None:
        """Stall as soon as the app sends bytes holding `marker`: those bytes are held too, or, with
        `answers_only`, they reach the database and only what comes back (from then on) is held."""

        def arm() -> None:
            self._stall_marker = marker
            self._stall_answers_only = answers_only

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
        for reader, writer, from_app in ((app_reader, db_writer, True), (db_reader, app_writer, False)):
            queue: asyncio.Queue[bytes | None] = asyncio.Queue()
            for job in (self._read(reader, queue, from_app), self._forward(queue, writer, self._flowing[from_app])):
                task = asyncio.ensure_future(job)
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _read(self, reader: asyncio.StreamReader, queue: asyncio.Queue[bytes | None], from_app: bool) -> None:
        # Reads go on while stalled: only forwarding stops, so a hang-up is seen when it happens.
        try:
            while data := await reader.read(65536):
                if from_app and self._stall_marker is not None and self._stall_marker in data:
                    self._stall_marker = None
                    self._stall(self._stall_answers_only)
                queue.put_nowait(data)
        except OSError:
            pass
        if from_app and self.stalled.is_set():
            self.app_hung_up.set()
        queue.put_nowait(None)

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
