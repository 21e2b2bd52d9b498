"""uvicorn's options from Settings: one place, used by `mistral-mcp serve` and by the tests'
servers, so that the tests run the limits production runs."""

from __future__ import annotations

import logging
from typing import Any

from server.http.protocol import HttpLimits, protocol_class
from server.settings import Settings, variable_of

logger = logging.getLogger(__name__)

# Beyond client connections: the upstream pool, database and Redis connections, files, the listener.
_SPARE_FILES = 200


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.Config` / `uvicorn.run`, all but where to listen."""
    limits = HttpLimits(
        header_timeout=settings.header_timeout,
        body_timeout=settings.body_timeout,
        send_timeout=settings.send_timeout,
        max_header_bytes=settings.max_header_bytes,
        max_connections=settings.max_connections,
    )
    return {
        "http": protocol_class(limits),
        "timeout_keep_alive": settings.keepalive_timeout,
        "log_config": None,
        "access_log": False,
        # X-Forwarded-For/-Proto are believed only from the configured proxies: from anyone else they
        # would let a client pick its own address (and dodge per-address limits).
        "proxy_headers": bool(settings.forwarded_allow_ips),
        "forwarded_allow_ips": list(settings.forwarded_allow_ips) or None,
        "server_header": False,
        # On SIGTERM uvicorn stops accepting, then waits this long for in-flight requests.
        "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
    }


def raise_open_file_limit(settings: Settings) -> None:
    """Lift the soft limit on open files to what the connection caps need (up to the hard limit).

    The usual soft limit, 1024, is below `max_connections` plus the upstream pool: past it, accepting
    fails and every client waits, however the connections are capped.
    """
    try:
        import resource
    except ImportError:  # not on Unix
        return
    needed = settings.max_connections + settings.upstream_max_connections + _SPARE_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if target < needed:
        logger.warning(
            "open file limit %d is below the %d that %s and %s need; raise it (ulimit -n) or lower them",
            target,
            needed,
            variable_of("max_connections"),
            variable_of("upstream_max_connections"),
        )
