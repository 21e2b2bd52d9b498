"""`mistral://` resources: the caller's models, files, jobs, agents, conversations and libraries.

Everything is read with the caller's own key, so Mistral itself decides what exists for them: an
id that is unknown or another key's comes back 404, which is "not found" here, never an error
that says more. A kind whose family the connection may not use is neither listed nor read.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import mcp_types as types

from server.errors import ResourceNotFound, UpstreamRequestError
from server.resources import kinds, listing
from server.resources.providers import unknown
from server.tools import links
from server.tools.families import Caller, Family
from server.tools.file_content import DOWNLOAD_MAX_BYTES, window_of
from server.tools.limits import MAX_RESULT_CHARS, shrink
from server.tools.models import capabilities_of
from server.tools.spec import Operation
from server.upstream.client import MODELS_PATH

# Mistral's answers to a GET of an id that is not there for this key (a malformed one is a 422).
_NOT_THERE = frozenset({400, 404, 422})
# Room left for the JSON-RPC envelope around a resource's text.
_MAX_TEXT = MAX_RESULT_CHARS - 3_000

MODELS = types.Resource(
    uri=links.MODELS_URI,
    name="models",
    title="Mistral models",
    description="The models this key can use, with capabilities, context length and aliases.",
    mime_type=links.JSON,
)


def _json(value: Any) -> str:
    cuts: list[str] = []
    return json.dumps(shrink(value, _MAX_TEXT, "", cuts), ensure_ascii=False, indent=1)


def model_summary(card: dict[str, Any]) -> dict[str, Any]:
    summary = {
        "id": card.get("id"),
        "name": card.get("name"),
        "capabilities": capabilities_of(card),
        "max_context_length": card.get("max_context_length"),
        "aliases": card.get("aliases") or [],
        "type": card.get("type"),
        "root": card.get("root") if card.get("type") == "fine-tuned" else None,
        "deprecation": card.get("deprecation"),
    }
    return {key: value for key, value in summary.items() if value is not None}


class MistralResources:
    """The `ResourceProvider` of `mistral://` URIs."""

    def handles(self, uri: str) -> bool:
        return uri.startswith(links.SCHEME)

    def templates(self, caller: Caller) -> list[types.ResourceTemplate]:
        return [kind.to_mcp() for kind in kinds.KINDS if caller.allows(kind.family)]

    async def list_page(self, caller: Caller, cursor: str | None) -> tuple[list[types.Resource], str | None]:
        fixed = [MODELS] if cursor is None and caller.allows(Family.MODELS) else []
        recent, following = await listing.recent(caller, cursor)
        return fixed + recent, following

    async def read(self, caller: Caller, uri: str) -> types.ReadResourceResult:
        if uri == links.MODELS_URI and caller.allows(Family.MODELS):
            return await self._models(caller, uri)
        found = kinds.match(uri)
        if found is None or not caller.allows(found.kind.family):
            raise ResourceNotFound(uri, unknown(uri))
        try:
            if found.kind.windowed:
                return await self._window(caller, uri, found)
            if found.query:
                raise ResourceNotFound(uri, f"Unknown resource {uri[:200]!r}: only file URIs take a query (?offset=N).")
            path = Operation("GET", found.kind.path).fill({found.kind.variable: found.value})
            reply = (await caller.upstream.request(caller.api_key, "GET", path)).json()
        except UpstreamRequestError as exc:
            if exc.status not in _NOT_THERE:
                raise
            raise ResourceNotFound(
                uri, f"Not found: this Mistral key has no {found.kind.noun} {found.value!r} ({uri[:200]})."
            ) from None
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, mime_type=links.JSON, text=_json(reply))]
        )

    async def _models(self, caller: Caller, uri: str) -> types.ReadResourceResult:
        reply = (await caller.upstream.request(caller.api_key, "GET", MODELS_PATH)).json()
        data = reply.get("data") if isinstance(reply, dict) else None
        cards = [card for card in data or [] if isinstance(card, dict)]
        text = _json({"models": [model_summary(card) for card in cards]})
        return types.ReadResourceResult(contents=[types.TextResourceContents(uri=uri, mime_type=links.JSON, text=text)])

    async def _window(self, caller: Caller, uri: str, found: kinds.Match) -> types.ReadResourceResult:
        offsets = found.query.pop("offset", ["0"])
        if found.query or len(offsets) != 1 or not offsets[0].isdigit():
            raise ResourceNotFound(uri, f"Unknown resource {uri[:200]!r}: a file URI takes only ?offset=N (a byte).")
        offset = int(offsets[0])
        path = Operation("GET", found.kind.path).fill({found.kind.variable: found.value})
        download = await caller.upstream.download(caller.api_key, path, offset=offset, limit=DOWNLOAD_MAX_BYTES)
        window = window_of(download)
        meta: dict[str, Any] = {"offset": offset, "bytes": window.returned}
        if window.total is not None:
            meta["total_bytes"] = window.total
        if window.next_offset is not None:
            meta["next_offset"] = window.next_offset
            meta["next_uri"] = f"{links.uri(found.kind.template, found.value)}?offset={window.next_offset}"
        contents: types.TextResourceContents | types.BlobResourceContents
        if window.text is not None:
            contents = types.TextResourceContents(uri=uri, mime_type=window.mimetype, text=window.text, _meta=meta)
        else:
            blob = base64.b64encode(window.content).decode("ascii")
            contents = types.BlobResourceContents(uri=uri, mime_type=window.mimetype, blob=blob, _meta=meta)
        return types.ReadResourceResult(contents=[contents])
