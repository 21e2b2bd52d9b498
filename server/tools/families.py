"""Who is asking, as the surfaces beyond tools (resources, prompts, completions) see the caller.

Every resource kind and prompt names the tool family it belongs to. A connection's profile and
policy decides which families it may use: that decision is `Caller.allows`, made once per
request where the caller is built (`server/transport/context.py: family_caller`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from server.upstream.client import MistralClient


class Family(StrEnum):
    """The tool families (`server.policy.FAMILIES`) that resources, prompts and suggestions belong to."""

    MODELS = "models"  # the key's models
    DOCUMENTS = "documents"  # files, OCR, document libraries
    JOBS = "jobs"  # fine-tuning and batch jobs
    AGENTS = "agents"  # agents and conversations


def every_family(_family: Family) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Caller:
    """The caller's key to reach Mistral with, and the tool families their connection may use."""

    upstream: MistralClient
    api_key: str = field(repr=False)
    allows: Callable[[Family], bool] = every_family

    def allows_all(self, families: frozenset[Family]) -> bool:
        return all(self.allows(family) for family in families)
