"""Rate limits: per-connection tool-call limits and named limiters (e.g. sign-up per address).

Counters live in Redis when `MISTRAL_MCP_REDIS_URL` is set, so every replica sees the same
counts, and in this process otherwise. Redis trouble never stops the service: checks fail
open (and are counted) until Redis answers again.
"""

from server.limits.base import Decision, Lease, LimitStore, RateLimiter
from server.limits.calls import CallLimits, Refusal
from server.limits.memory import MemoryLimitStore
from server.limits.redis_store import RedisLimitStore

__all__ = [
    "CallLimits",
    "Decision",
    "Lease",
    "LimitStore",
    "MemoryLimitStore",
    "RateLimiter",
    "RedisLimitStore",
    "Refusal",
]
