"""Every metric the service exports, on a registry owned by one app (built in its lifespan).

Labels only ever hold values from fixed sets: route templates (never raw paths, which hold
tokens), tool names from the registry, normalised Mistral endpoints, status codes and a few
fixed words. Nothing a user typed, no token and no key can become a label.
"""

from __future__ import annotations

from prometheus_client import (
    GC_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from sqlalchemy import event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine

from server.limits.calls import Refusal

_HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Path words of Mistral's API; any other segment (file ids, job ids, model names) becomes {id}.
_UPSTREAM_WORDS = frozenset(
    {
        *("v1", "chat", "completions", "fim", "embeddings", "moderations", "classifications", "models"),
        *("files", "content", "url", "signed-url", "fine_tuning", "jobs", "start", "cancel", "batch"),
        *("agents", "ocr", "audio", "transcriptions", "speech", "voices", "conversations", "libraries"),
        *("documents", "archive", "unarchive", "restart", "stream", "history", "messages", "versions"),
        *("status", "text_content", "tools"),
    }
)
_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160)


def upstream_endpoint(path: str) -> str:
    return "/" + "/".join(seg if seg in _UPSTREAM_WORDS else "{id}" for seg in path.strip("/").split("/"))


def http_method(method: str) -> str:
    return method if method in _HTTP_METHODS else "OTHER"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        r.register(GC_COLLECTOR)
        self.http_requests = Counter(
            "mistral_mcp_http_requests", "HTTP requests answered.", ["method", "route", "status"], registry=r
        )
        self.http_duration = Histogram(
            "mistral_mcp_http_request_duration_seconds",
            "Time to answer HTTP requests (MCP responses include the whole tool call).",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.http_in_flight = Gauge("mistral_mcp_http_requests_in_flight", "HTTP requests being answered.", registry=r)
        self.tool_calls = Counter(
            "mistral_mcp_tool_calls",
            "MCP tool calls by outcome (ok, error, rate_limited, policy: refused by the connection's own policy, "
            "cancelled: the client hung up or the server stopped).",
            ["tool", "outcome"],
            registry=r,
        )
        self.tool_duration = Histogram(
            "mistral_mcp_tool_call_duration_seconds",
            "Tool call duration.",
            ["tool"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.tool_calls_in_flight = Gauge("mistral_mcp_tool_calls_in_flight", "Tool calls running.", registry=r)
        self.upstream_streams_in_flight = Gauge(
            "mistral_mcp_upstream_streams_in_flight", "Streamed Mistral replies being read.", registry=r
        )
        self.upstream_duration = Histogram(
            "mistral_mcp_upstream_request_duration_seconds",
            "Time for one attempt at a Mistral request (to the response headers).",
            ["endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.upstream_responses = Counter(
            "mistral_mcp_upstream_responses",
            "Attempts at Mistral requests by status code (`none`: no answer, e.g. network error or timeout).",
            ["endpoint", "status"],
            registry=r,
        )
        self.upstream_retries = Counter(
            "mistral_mcp_upstream_retries", "Mistral requests retried, by reason.", ["endpoint", "reason"], registry=r
        )
        self.rate_limit_rejections = Counter(
            "mistral_mcp_rate_limit_rejections",
            "Requests refused by a rate limit (per_minute, concurrent, signup).",
            ["limit"],
            registry=r,
        )
        self.rate_limit_fail_open = Counter(
            "mistral_mcp_rate_limit_fail_open", "Limit checks allowed without a check because Redis failed.", registry=r
        )
        self.redis_failures = Counter(
            "mistral_mcp_redis_failures", "Redis operations that failed.", ["operation"], registry=r
        )
        self.database_errors = Counter(
            "mistral_mcp_database_errors", "Database errors by exception type.", ["kind"], registry=r
        )

    # --- upstream observer (server.upstream.observer.UpstreamObserver) ---

    def response(self, method: str, path: str, status: int | None, seconds: float) -> None:
        endpoint = upstream_endpoint(path)
        self.upstream_duration.labels(endpoint).observe(seconds)
        self.upstream_responses.labels(endpoint, str(status) if status is not None else "none").inc()

    def retry(self, method: str, path: str, reason: str) -> None:
        self.upstream_retries.labels(upstream_endpoint(path), reason).inc()

    def stream_opened(self) -> None:
        self.upstream_streams_in_flight.inc()

    def stream_closed(self) -> None:
        self.upstream_streams_in_flight.dec()

    # --- limits and storage ---

    def refused(self, refusal: Refusal) -> None:
        self.rate_limit_rejections.labels(refusal.limit).inc()

    def attempt_refused(self, limiter: str) -> None:
        self.rate_limit_rejections.labels(limiter).inc()

    def redis_failed(self, operation: str) -> None:
        self.redis_failures.labels(operation).inc()

    def watch_database(self, engine: AsyncEngine) -> None:
        """Count every error the engine sees, whichever code path hit it."""

        def count(context: ExceptionContext) -> None:
            error = context.sqlalchemy_exception or context.original_exception
            self.database_errors.labels(type(error).__name__).inc()

        event.listen(engine.sync_engine, "handle_error", count)
