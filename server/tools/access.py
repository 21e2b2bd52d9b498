"""What a connection's policy lets a call do, decided before any upstream call.

A tool the connection does not list (outside its profile, or changing something on a read-only
connection) is refused with how to enable it; a model outside the allow-list is refused with the
allowed ones. Models are read here from the arguments that name them (`model`, `models`, and the
`model` of each inline batch request); the ones a tool fills in itself are checked where its request
body leaves (`ToolCall.send`).
"""

from __future__ import annotations

from typing import Any

from server.policy import FAMILIES, Policy, model_refusal
from server.tools.spec import ToolSpec

# Arguments of these methods travel in the query: a `model` there filters a listing, it runs nothing.
_QUERY_METHODS = frozenset({"GET", "DELETE"})


def models_named(arguments: Any) -> list[str]:
    """The model ids a call's arguments ask Mistral to run, in order."""
    if not isinstance(arguments, dict):
        return []
    named: list[object] = [arguments.get("model")]
    if isinstance(arguments.get("models"), list):
        named.extend(arguments["models"])
    if isinstance(arguments.get("requests"), list):
        named.extend(
            request["body"].get("model")
            for request in arguments["requests"]
            if isinstance(request, dict) and isinstance(request.get("body"), dict)
        )
    return [model for model in named if isinstance(model, str)]


def refusal(spec: ToolSpec, arguments: Any, policy: Policy, manage_url: str) -> str | None:
    """Why this connection may not make this call (the `isError` text), or None when it may."""
    if not policy.profile.includes(spec.name, spec.family):
        family = FAMILIES.get(spec.family, spec.family)
        return (
            f"{spec.name} is not enabled on this connection (its tool profile is {policy.profile.name}). "
            f"The connection's owner can enable it on the manage page, {manage_url}: choose the "
            f"{family.lower()} tools (family {spec.family!r}) or the profile 'all'. The URL stays the same."
        )
    if policy.read_only and not spec.read_only:
        return (
            f"{spec.name} changes or deletes something, and this connection is read-only. The connection's "
            f"owner can turn read-only off on the manage page, {manage_url}."
        )
    if policy.allowed_models is not None and spec.method not in _QUERY_METHODS:
        for model in models_named(arguments):
            if not policy.allows_model(model):
                return model_refusal(spec.name, model, policy.allowed_models)
    return None
