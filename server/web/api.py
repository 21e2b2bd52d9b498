"""The JSON API: sign up, then manage the connection with its own token."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.callers import bearer_token
from server.http.bodies import read_json_object
from server.http.responses import unauthorized
from server.policy import NEW_CONNECTION, Policy
from server.policy import input as policy_input
from server.services import Services
from server.web.signup_guard import check_signup_rate
from storage.repository import ConnectionRecord


def _services(request: Request) -> Services:
    services: Services = request.state.services
    return services


async def _current(request: Request) -> ConnectionRecord | None:
    token = bearer_token(request)
    return await _services(request).connections.find(token) if token else None


def describe_policy(services: Services, policy: Policy) -> dict[str, Any]:
    """The profile and limits as the API shows them, in the shape PATCH /api/connection takes back."""
    return {
        "profile": policy.profile.name,
        "families": sorted(policy.profile.families) if policy.profile.preset is None else None,
        "tools": [spec.name for spec in services.registry.visible(policy)],
        "read_only": policy.read_only,
        "allowed_models": sorted(policy.allowed_models) if policy.allowed_models is not None else None,
        "calls_per_day": policy.calls_per_day,
        "tokens_per_month": policy.tokens_per_month,
    }


CHART_DAYS = 30


def _cap(cap: int | None, used: int, resets_at: datetime) -> dict[str, Any]:
    return {"cap": cap, "used": used, "resets_at": resets_at.isoformat()}


async def _recent(services: Services, record: ConnectionRecord) -> dict[str, Any]:
    """The caps with what is used of them, and usage per UTC day over the last `CHART_DAYS` (oldest first)."""
    calls_today, tokens_this_month, resets = await services.limits.caps.used(record.id)
    caps = record.policy
    today = resets.day.date() - timedelta(days=1)  # the caps' clock, so the chart's today is theirs
    first = today - timedelta(days=CHART_DAYS - 1)
    by_day = {d.day: d for d in await services.repository.usage_by_day(record.id, first)}
    daily = []
    for offset in range(CHART_DAYS):
        day = first + timedelta(days=offset)
        found = by_day.get(day)
        counts = (found.calls, found.errors, found.tokens) if found else (0, 0, 0)
        daily.append({"day": day.isoformat(), **dict(zip(("calls", "errors", "tokens"), counts, strict=True))})
    return {
        "caps": {
            "calls_per_day": _cap(caps.calls_per_day, calls_today, resets.day),
            "tokens_per_month": _cap(caps.tokens_per_month, tokens_this_month, resets.month),
        },
        "daily": daily,
    }


async def describe(services: Services, record: ConnectionRecord) -> dict[str, Any]:
    usage = await services.repository.usage(record.id)
    return {
        "id": record.id,
        "created_at": record.created_at.isoformat(),
        "last_used_at": record.last_used_at.isoformat() if record.last_used_at else None,
        "key_hint": "…" + record.key_hint,
        "key_updated_at": record.key_updated_at.isoformat(),
        "token_rotated_at": record.token_rotated_at.isoformat() if record.token_rotated_at else None,
        **describe_policy(services, Policy.from_stored(record.policy)),
        "calls": sum(u.calls for u in usage),
        "usage": {
            u.tool: {
                "calls": u.calls,
                "errors": u.errors,
                "prompt_tokens": u.prompt_tokens,
                "completion_tokens": u.completion_tokens,
            }
            for u in usage
        },
        **await _recent(services, record),
    }


async def describe_now(services: Services, record: ConnectionRecord) -> dict[str, Any]:
    """`describe`, counting calls made a moment ago. Only for a caller whose token checked out: a flush
    writes every connection's counters. The row is read again because the flush moves `last_used_at`."""
    await services.usage.flush()
    return await describe(services, await services.repository.get(record.id) or record)


async def create_connection(request: Request) -> Response:
    services = _services(request)
    await check_signup_rate(request)
    body = await read_json_object(
        request, services.settings.max_api_body_bytes, {"api_key", *policy_input.POLICY_FIELDS}
    )
    # Checked before the key goes to Mistral: a bad choice costs no upstream call and stores nothing.
    policy = policy_input.update(body, NEW_CONNECTION)
    created = await services.connections.create(body.get("api_key"), policy)
    if await request.is_disconnected():
        # The token exists only in this answer, which nobody is left to read: keeping the row would
        # keep a Mistral key no one can use or revoke.
        services.connections.abandon(created.record)
        return Response(status_code=499)  # "client closed request"; only the access log sees it
    return JSONResponse(
        {
            "id": created.record.id,
            "token": created.token,
            "mcp_url": services.mcp_url(created.token),
            "created_at": created.record.created_at.isoformat(),
        },
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )


async def get_connection(request: Request) -> Response:
    services = _services(request)
    record = await _current(request)
    if record is None:
        return unauthorized()
    return JSONResponse(await describe_now(services, record), headers={"Cache-Control": "no-store"})


async def change_policy(request: Request) -> Response:
    """PATCH: change the profile or limits; fields left out stay as they are, and the URL stays the same."""
    record = await _current(request)
    if record is None:
        return unauthorized()
    services = _services(request)
    body = await read_json_object(request, services.settings.max_api_body_bytes, set(policy_input.POLICY_FIELDS))
    policy = policy_input.update(body, Policy.from_stored(record.policy))
    updated = await services.connections.set_policy(record, policy)
    return JSONResponse(await describe(services, updated), headers={"Cache-Control": "no-store"})


async def delete_connection(request: Request) -> Response:
    record = await _current(request)
    if record is None:
        return unauthorized()
    await _services(request).connections.revoke(record)
    return Response(status_code=204)


async def rotate_token(request: Request) -> Response:
    record = await _current(request)
    if record is None:
        return unauthorized()
    services = _services(request)
    token = await services.connections.rotate(record)
    return JSONResponse(
        {"id": record.id, "token": token, "mcp_url": services.mcp_url(token)}, headers={"Cache-Control": "no-store"}
    )


async def replace_key(request: Request) -> Response:
    record = await _current(request)
    if record is None:
        return unauthorized()
    services = _services(request)
    body = await read_json_object(request, services.settings.max_api_body_bytes, {"api_key"})
    await check_signup_rate(request)
    updated = await services.connections.replace_key(record, body.get("api_key"))
    return JSONResponse(await describe(services, updated), headers={"Cache-Control": "no-store"})


ROUTES = [
    Route("/api/connections", create_connection, methods=["POST"]),
    Route("/api/connection", get_connection, methods=["GET"]),
    Route("/api/connection", change_policy, methods=["PATCH"]),
    Route("/api/connection", delete_connection, methods=["DELETE"]),
    Route("/api/connection/rotate", rotate_token, methods=["POST"]),
    Route("/api/connection/key", replace_key, methods=["PUT"]),
]
