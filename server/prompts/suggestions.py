"""Where `completion/complete` finds values: the caller's own model, file, agent and job ids.

Each source is one bounded Mistral GET made with the caller's key; a source names the tool
family it belongs to, so a connection without that family gets no suggestions from it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from server.tools import batch, fine_tuning
from server.tools.families import Caller, Family
from server.tools.files import FILES_PATH
from server.tools.models import has_capability
from server.tools.paths import AGENTS_PAGES
from server.upstream.client import MODELS_PATH

# Mistral's page for a suggestion source: the most recent ones are the likely ones.
FETCH_SIZE = 100

Candidate = tuple[str, str]  # (the value, a second text the typed prefix may match: a name)


def _records(reply: Any) -> list[dict[str, Any]]:
    data = reply.get("data") if isinstance(reply, dict) else reply
    return [record for record in data or [] if isinstance(record, dict)] if isinstance(data, list) else []


def _ids(name_key: str | None) -> Callable[[Any], list[Candidate]]:
    def pick(reply: Any) -> list[Candidate]:
        return [
            (record["id"], str(record.get(name_key) or "") if name_key else "")
            for record in _records(reply)
            if isinstance(record.get("id"), str)
        ]

    return pick


@dataclass(frozen=True, slots=True)
class Suggestions:
    family: Family
    path: str
    pick: Callable[[Any], list[Candidate]]
    params: Mapping[str, Any] = field(default_factory=dict)

    async def fetch(self, caller: Caller) -> list[Candidate]:
        """Raises:
        UpstreamError: Mistral could not list them.
        """
        reply = (await caller.upstream.request(caller.api_key, "GET", self.path, params=self.params)).json()
        return self.pick(reply)


def models(capability: str | None = None) -> Suggestions:
    """Model ids (and their aliases) the key can use, with `capability` when given."""

    def pick(reply: Any) -> list[Candidate]:
        cards = [card for card in _records(reply) if capability is None or has_capability(card, capability)]
        return [(str(card["id"]), str(card.get("name") or "")) for card in cards if isinstance(card.get("id"), str)]

    return Suggestions(Family.MODELS, MODELS_PATH, pick)


def files(purpose: str | None = None) -> Suggestions:
    params: dict[str, Any] = {"page_size": FETCH_SIZE}
    if purpose is not None:
        params["purpose"] = purpose
    return Suggestions(Family.DOCUMENTS, FILES_PATH, _ids("filename"), params)


def agents() -> Suggestions:
    return Suggestions(Family.AGENTS, AGENTS_PAGES, _ids("name"), {"page_size": FETCH_SIZE})


def fine_tuning_jobs() -> Suggestions:
    return Suggestions(Family.JOBS, fine_tuning.JOBS_PATH, _ids("suffix"), {"page_size": FETCH_SIZE})


def batch_jobs() -> Suggestions:
    return Suggestions(Family.JOBS, batch.JOBS_PATH, _ids(None), {"page_size": FETCH_SIZE})
