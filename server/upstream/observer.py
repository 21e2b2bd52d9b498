"""What the upstream client reports as it works: the seam metrics plug into.

Paths are reported raw (they may hold ids); whoever turns them into labels must
normalise them.
"""

from __future__ import annotations

from typing import Protocol


class UpstreamObserver(Protocol):
    def response(self, method: str, path: str, status: int | None, seconds: float) -> None:
        """One attempt ended: `status` is Mistral's, or None when no answer came (network, timeout)."""

    def retry(self, method: str, path: str, reason: str) -> None:
        """An attempt is about to be retried; `reason` is a status code or "connect"."""

    def stream_opened(self) -> None: ...

    def stream_closed(self) -> None: ...


class NullObserver:
    def response(self, method: str, path: str, status: int | None, seconds: float) -> None:
        return None

    def retry(self, method: str, path: str, reason: str) -> None:
        return None

    def stream_opened(self) -> None:
        return None

    def stream_closed(self) -> None:
        return None
