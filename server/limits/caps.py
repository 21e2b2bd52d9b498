"""The owner's caps on a connection: calls per day and tokens per month.

The seam the MCP call path uses, once per call: `admit` before the upstream call (a `Refusal` says
which cap, when it resets and where to raise it) and `record` after it, with the tokens Mistral
reported. The caps' values travel with the caller's policy (`server.policy.Policy`), read here
through `CapPolicy` so this layer needs nothing above it.

`NoCaps` counts nothing and refuses nothing: caps are stored, validated and shown, and the counting
that holds them across replicas (Redis when configured, the database otherwise) replaces it.
"""

from __future__ import annotations

from typing import Protocol

from server.limits.calls import Refusal


class CapPolicy(Protocol):
    """The part of a connection's policy the caps read (None: no cap)."""

    @property
    def calls_per_day(self) -> int | None: ...

    @property
    def tokens_per_month(self) -> int | None: ...


class Caps(Protocol):
    async def admit(self, connection_id: str, policy: CapPolicy) -> Refusal | None:
        """None when the call may run (and counts against the calls-per-day cap), else the cap that refuses it."""
        ...

    def record(self, connection_id: str, tokens: int) -> None:
        """Count the tokens an admitted call used (prompt and completion, from Mistral's usage fields).

        Called right after the call returns or raises, with no await in between (see
        `ToolRegistry.wait_idle`): it must not block, and may write later.
        """
        ...


class NoCaps:
    """Caps not enforced: every call admitted, nothing counted."""

    async def admit(self, connection_id: str, policy: CapPolicy) -> Refusal | None:
        return None

    def record(self, connection_id: str, tokens: int) -> None:
        return None
