"""An upstream that misbehaves at the socket level, which an ASGI app cannot do: reset the
connection, cut a body short, or send half a body and then nothing.

It speaks just enough HTTP/1.1 for httpx: `GET /v1/models` always answers 200 (so sign-up
works), and every other request takes the next scripted behaviour (default "ok").
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
from collections import deque
from typing import Literal

Behaviour = Literal["ok", "reset", "cut_body", "stall_body"]

COMPLETION = json.dumps(
    {
        "id": "cmpl-chaos",
        "object": "chat.completion",
        "model": "mistral-small-latest",
        "created": 1_700_000_000,
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "chaos ok"}, "finish_reason": "stop"}],
    }
).encode()
MODELS = b'{"object": "list", "data": []}'


def _response(body: bytes, length: int | None = None) -> bytes:
    head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {length or len(body)}\r\n\r\n"
    return head.encode() + body


class ChaosUpstream:
    def __init__(self) -> None:
        self._script: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self.served: list[Behaviour] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos-upstream", daemon=True)
        self.url = ""

    def script(self, *behaviours: Behaviour) -> None:
        """The next requests (other than /v1/models) behave like this, in order."""
        with self._lock:
            self._script.extend(behaviours)

    def _next(self) -> Behaviour:
        with self._lock:
            behaviour = self._script.popleft() if self._script else "ok"
            self.served.append(behaviour)
            return behaviour

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("chaos upstream did not start")

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(10)

    def _run(self) -> None:
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        self._ready.set()
        async with server:
            await self._stopping.wait()
        for task in asyncio.all_tasks() - {asyncio.current_task()}:
            task.cancel()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._serve_one(reader, writer):
                pass
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False when the connection is finished."""
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(":", 1) for line in header_lines if ":" in line)
        length = int({k.lower(): v for k, v in headers.items()}.get("content-length", "0"))
        if length:
            await reader.readexactly(length)
        if request_line.split()[1] == "/v1/models":
            writer.write(_response(MODELS))
            await writer.drain()
            return True
        behaviour = self._next()
        if behaviour == "ok":
            writer.write(_response(COMPLETION))
            await writer.drain()
            return True
        if behaviour == "reset":
            # Linger 0: close() sends a TCP RST instead of a polite FIN.
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        # Headers promise the whole body; only its first bytes come.
        writer.write(_response(COMPLETION[:20], length=len(COMPLETION)))
        await writer.drain()
        if behaviour == "stall_body":
            await reader.read()  # nothing more is sent; wait until the client gives up
        return False
