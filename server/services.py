"""The shared resources of one running app, built in its lifespan and handed to handlers.

Starlette copies the lifespan state into every request (`request.state.services`), which is
also how MCP tool handlers, running inside the SDK, reach them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from server.connections import ConnectionService
from server.limits import CallLimits, Limits
from server.limits.attempts import AttemptLimiter, Unlimited
from server.oauth.provider import OAuthProvider
from server.observability.metrics import Metrics
from server.settings import Settings
from server.tools.registry import ToolRegistry
from server.upstream.client import MistralClient
from server.usage import UsageRecorder
from storage.repository import ConnectionRepository


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    engine: AsyncEngine
    repository: ConnectionRepository
    connections: ConnectionService
    upstream: MistralClient
    registry: ToolRegistry
    usage: UsageRecorder
    oauth: OAuthProvider | None = None
    signup_limiter: AttemptLimiter = field(default_factory=Unlimited)
    metrics: Metrics = field(default_factory=Metrics)
    limits: Limits = field(default_factory=lambda: Limits(CallLimits.unlimited(), None))

    def mcp_url(self, token: str) -> str:
        return f"{self.settings.public_url}/mcp/{token}"
