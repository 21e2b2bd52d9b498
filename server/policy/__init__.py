"""What a connection may do: the tools it lists (its profile) and its owner's limits (its policy).

Pure data and rules, below the domain: every tool names its family from `FAMILIES`, the connection
service hands each caller its connection's `Policy`, and the surfaces show and change it
(`server.policy.input` reads what people send).

A profile is a preset, `core` (the handful of tools most people want) or `all` (every tool, those
added later included), or a set of families. Read-only hides every tool whose annotations say it
changes or deletes something; the model allow-list, when set, is the only models a call may run.
Calls per day and tokens per month are caps: stored and shown here, counted by `server.limits.caps`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from storage.repository import StoredPolicy

FAMILIES: dict[str, str] = {
    "completions": "Chat, function calling and code completion (FIM)",
    "embeddings": "Embeddings",
    "moderation": "Moderation and classifiers",
    "agents": "Agents and conversations, agent building",
    "audio": "Audio: transcription, speech and voices",
    "documents": "OCR, files and document libraries",
    "jobs": "Fine-tuning and batch jobs",
    "models": "Models: list, details, fine-tuned model management",
}
"""Every tool family, with what a person reads about it. A tool names exactly one (`ToolSpec.family`)."""

CORE_TOOLS = frozenset(
    {
        "mistral_chat",
        "mistral_function_call",
        "mistral_code_complete",
        "mistral_embed",
        "mistral_moderate",
        "mistral_ocr",
        "mistral_list_models",
        "mistral_transcribe",
    }
)
"""The `core` preset: what most people want, at most ten tools so a model reads a short list."""

CORE_FAMILIES = frozenset({"completions", "embeddings", "moderation", "documents", "models", "audio"})
"""The families the `core` tools belong to: what a core connection may read as resources and prompts
(a test holds it to the registry)."""

PRESETS: dict[str, str] = {
    "core": "chat, function calling, code completion, embeddings, moderation, OCR, the model list, transcription",
    "all": "every tool, including ones added later",
}
CUSTOM = "custom"
"""The profile's name when it is a chosen set of families rather than a preset."""


@dataclass(frozen=True, slots=True)
class Profile:
    """Which tools a connection lists: a preset (`preset`) or, when `preset` is None, `families`."""

    preset: str | None
    families: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.preset is not None and (self.preset not in PRESETS or self.families):
            raise ValueError(f"not a preset: {self.preset!r} (or families given with it)")
        if self.preset is None and (not self.families or not self.families <= FAMILIES.keys()):
            raise ValueError(f"a profile needs known families, got {sorted(self.families)}")

    @classmethod
    def of_families(cls, families: Iterable[str]) -> Profile:
        return cls(None, frozenset(families))

    @property
    def name(self) -> str:
        return self.preset or CUSTOM

    def includes(self, tool: str, family: str) -> bool:
        if self.preset == "all":
            return True
        if self.preset == "core":
            return tool in CORE_TOOLS
        return family in self.families

    def covers(self, family: str) -> bool:
        """Whether the profile reaches into this family at all (resources, prompts and suggestions)."""
        if self.preset == "all":
            return True
        return family in (CORE_FAMILIES if self.preset == "core" else self.families)

    def stored(self) -> str:
        return self.preset or ",".join(sorted(self.families))

    @classmethod
    def from_stored(cls, text: str) -> Profile:
        """Read what `stored` wrote. A family a later version dropped is skipped; nothing left means core."""
        if text in PRESETS:
            return cls(text)
        families = frozenset(text.split(",")) & FAMILIES.keys()
        return cls.of_families(families) if families else CORE


CORE = Profile("core")
ALL = Profile("all")


@dataclass(frozen=True, slots=True)
class Policy:
    """A connection's profile and limits. `Policy()` is no limit at all: every tool, every model, no cap."""

    profile: Profile = ALL
    read_only: bool = False
    allowed_models: frozenset[str] | None = None
    """None: every model. Otherwise the only model ids a call may run (exactly as Mistral names them)."""
    calls_per_day: int | None = None
    """None: no cap. Counted and enforced by `server.limits.caps`."""
    tokens_per_month: int | None = None
    """None: no cap. Counted (from Mistral's usage fields) and enforced by `server.limits.caps`."""

    def shows(self, tool: str, family: str, *, changes_something: bool) -> bool:
        """Whether `tools/list` shows this tool, and so whether `tools/call` may run it."""
        return self.profile.includes(tool, family) and not (self.read_only and changes_something)

    def allows_model(self, model: str) -> bool:
        return self.allowed_models is None or model in self.allowed_models

    def stored(self) -> StoredPolicy:
        return StoredPolicy(
            families=self.profile.stored(),
            read_only=self.read_only,
            allowed_models=tuple(sorted(self.allowed_models)) if self.allowed_models is not None else None,
            calls_per_day=self.calls_per_day,
            tokens_per_month=self.tokens_per_month,
        )

    @classmethod
    def from_stored(cls, stored: StoredPolicy) -> Policy:
        return cls(
            profile=Profile.from_stored(stored.families),
            read_only=stored.read_only,
            allowed_models=frozenset(stored.allowed_models) if stored.allowed_models is not None else None,
            calls_per_day=stored.calls_per_day,
            tokens_per_month=stored.tokens_per_month,
        )


EVERYTHING = Policy()
"""No limit at all: what connections made before profiles keep."""

NEW_CONNECTION = Policy(profile=CORE)
"""What a connection gets when its owner chooses nothing: the core tools and no limits."""


def model_refusal(tool: str, model: str, allowed: Iterable[str]) -> str:
    """The `isError` text for a call that would run a model the connection does not allow."""
    return (
        f"{tool} would run the model {model!r}, which this connection does not allow. "
        f"Allowed models: {', '.join(sorted(allowed))}. Call it again with one of them as `model` "
        "(the connection's owner changes the list on the manage page)."
    )
