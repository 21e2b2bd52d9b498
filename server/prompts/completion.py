"""`completion/complete`: the caller's own ids for a prompt's arguments and the resource templates' ids.

Suggestions are fetched with the caller's key, filtered by what has been typed (a prefix of the id
or of its name), and bounded. Whatever goes wrong (an unknown prompt, Mistral failing) is an empty
completion: a client asks on every keystroke and has nothing useful to show for an error.
"""

from __future__ import annotations

import logging

import mcp_types as types

from server.errors import UpstreamError
from server.prompts import suggestions
from server.prompts.catalog import PROMPTS
from server.prompts.suggestions import Suggestions
from server.tools import links
from server.tools.families import Caller

logger = logging.getLogger(__name__)

MAX_VALUES = 20  # MCP allows 100; a pick list longer than this is not read

TEMPLATES: dict[str, Suggestions] = {
    links.MODEL_TEMPLATE: suggestions.models(),
    links.FILE_TEMPLATE: suggestions.files(),
    links.FINE_TUNING_JOB_TEMPLATE: suggestions.fine_tuning_jobs(),
    links.BATCH_JOB_TEMPLATE: suggestions.batch_jobs(),
    links.AGENT_TEMPLATE: suggestions.agents(),
}
_PROMPTS = {prompt.name: prompt for prompt in PROMPTS}
_NOTHING = types.Completion(values=[], total=0, has_more=False)


def _source(ref: types.ResourceTemplateReference | types.PromptReference, name: str) -> tuple[Suggestions, bool] | None:
    """Where values for argument `name` of `ref` come from, and whether it is a comma-separated list."""
    if isinstance(ref, types.PromptReference):
        prompt = _PROMPTS.get(ref.name)
        argument = prompt.argument(name) if prompt is not None else None
        if argument is None or argument.suggests is None:
            return None
        return argument.suggests, argument.several
    source = TEMPLATES.get(ref.uri)
    if source is None or f"{{{name}}}" not in ref.uri:
        return None
    return source, False


async def complete(caller: Caller, params: types.CompleteRequestParams) -> types.Completion:
    found = _source(params.ref, params.argument.name)
    if found is None:
        return _NOTHING
    source, several = found
    if isinstance(params.ref, types.PromptReference):
        prompt = _PROMPTS[params.ref.name]
        if not caller.allows_all(prompt.families):
            return _NOTHING
    if not caller.allows(source.family):
        return _NOTHING
    typed = params.argument.value
    head, comma, last = typed.rpartition(",") if several else ("", "", typed)
    try:
        candidates = await source.fetch(caller)
    except UpstreamError as exc:
        logger.info("completion suggestions unavailable", extra={"status": exc.status})
        return _NOTHING
    lead = head + comma + last[: len(last) - len(last.lstrip())]  # what stays before the completed item
    prefix = last.strip().lower()
    chosen = set(part.strip() for part in head.split(",")) if several else set()
    values: list[str] = []
    for value, name in candidates:
        if value in chosen or value in values:
            continue
        if value.lower().startswith(prefix) or (name and name.lower().startswith(prefix)):
            values.append(value)
    shown = [lead + value for value in values[:MAX_VALUES]]
    return types.Completion(values=shown, total=len(values), has_more=len(values) > MAX_VALUES)
