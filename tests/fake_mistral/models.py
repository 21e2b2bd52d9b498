"""The fake's model catalogue and ModelCard rendering (BaseModelCard / FTModelCard).

Base models are static; fine-tuned models live in ``FakeMistral.fine_tuned_models``
(a dict of plain records) so tests can add or delete them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# ModelCapabilities (current document), every flag defaults to false.
CAPABILITY_FLAGS = (
    "completion_chat",
    "function_calling",
    "reasoning",
    "completion_fim",
    "fine_tuning",
    "vision",
    "ocr",
    "classification",
    "moderation",
    "audio",
    "audio_transcription",
    "audio_transcription_realtime",
    "audio_speech",
    "unified_resources",
)

CHAT = frozenset({"completion_chat", "function_calling"})


@dataclass(frozen=True)
class BaseModel:
    """One base model; every alias is served as its own card, as the real list does."""

    id: str
    name: str
    description: str
    capabilities: frozenset[str]
    max_context_length: int
    aliases: tuple[str, ...] = ()
    created: int = 1_735_689_600  # 2025-01-01
    default_model_temperature: float | None = None
    embedding_dimension: int | None = None  # set for embedding models

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.id, *self.aliases)


BASE_MODELS: tuple[BaseModel, ...] = (
    BaseModel(
        "mistral-large-latest",
        "mistral-large-2411",
        "Our top-tier reasoning model for high-complexity tasks.",
        CHAT | {"fine_tuning"},
        131072,
        ("mistral-large-2411",),
        default_model_temperature=0.7,
    ),
    BaseModel(
        "mistral-medium-latest",
        "mistral-medium-2508",
        "Our frontier-class multimodal model.",
        CHAT | {"vision"},
        131072,
        ("mistral-medium-2508",),
        default_model_temperature=0.3,
    ),
    BaseModel(
        "mistral-small-latest",
        "mistral-small-2506",
        "Our small multimodal model.",
        CHAT | {"vision", "fine_tuning"},
        131072,
        ("mistral-small-2506",),
        default_model_temperature=0.3,
    ),
    BaseModel(
        "magistral-medium-latest",
        "magistral-medium-2509",
        "Our frontier-class reasoning model.",
        CHAT | {"reasoning", "vision"},
        131072,
        ("magistral-medium-2509",),
        default_model_temperature=0.7,
    ),
    BaseModel(
        "ministral-8b-latest",
        "ministral-8b-2410",
        "Powerful edge model with extremely high performance/price ratio.",
        CHAT | {"fine_tuning"},
        131072,
        ("ministral-8b-2410",),
        default_model_temperature=0.3,
    ),
    BaseModel(
        "open-mistral-7b",
        "open-mistral-7b",
        "Our first dense model released September 2023.",
        CHAT | {"fine_tuning"},
        32768,
        ("mistral-tiny",),
        default_model_temperature=0.7,
    ),
    BaseModel(
        "open-mistral-nemo",
        "open-mistral-nemo-2407",
        "Our best multilingual open source model released July 2024.",
        CHAT | {"fine_tuning"},
        131072,
        ("open-mistral-nemo-2407",),
        default_model_temperature=0.3,
    ),
    BaseModel(
        "codestral-latest",
        "codestral-2508",
        "Our cutting-edge language model for coding.",
        CHAT | {"completion_fim", "fine_tuning"},
        256000,
        ("codestral-2508",),
        default_model_temperature=0.3,
    ),
    BaseModel(
        "pixtral-large-latest",
        "pixtral-large-2411",
        "Official pixtral-large-2411 Mistral AI model.",
        CHAT | {"vision"},
        131072,
        ("pixtral-large-2411",),
        default_model_temperature=0.7,
    ),
    BaseModel(
        "mistral-embed",
        "mistral-embed",
        "Official mistral-embed Mistral AI model.",
        frozenset(),
        8192,
        ("mistral-embed-2312",),
        embedding_dimension=1024,
    ),
    BaseModel(
        "codestral-embed",
        "codestral-embed-2505",
        "Our state-of-the-art semantic model for extracting representation of code.",
        frozenset(),
        8192,
        ("codestral-embed-2505",),
        embedding_dimension=1536,
    ),
    BaseModel(
        "mistral-moderation-latest",
        "mistral-moderation-2411",
        "Our moderation service that enables our users to detect harmful text content.",
        frozenset({"moderation", "classification"}),
        8192,
        ("mistral-moderation-2411",),
    ),
    BaseModel(
        "mistral-ocr-latest",
        "mistral-ocr-2505",
        "Official mistral-ocr-2505 Mistral AI model.",
        frozenset({"ocr"}),
        16384,
        ("mistral-ocr-2505",),
    ),
)

_BY_ID: dict[str, BaseModel] = {model_id: model for model in BASE_MODELS for model_id in model.ids}


@dataclass(frozen=True)
class ResolvedModel:
    """What an endpoint needs to know about a model id, base or fine-tuned."""

    id: str
    capabilities: frozenset[str]
    base: BaseModel | None
    fine_tuned: dict[str, Any] | None

    @property
    def embedding_dimension(self) -> int | None:
        return self.base.embedding_dimension if self.base else None

    def can(self, capability: str) -> bool:
        return capability in self.capabilities


def base_model(model_id: str) -> BaseModel | None:
    return _BY_ID.get(model_id)


def resolve(model_id: str, fine_tuned_models: dict[str, dict[str, Any]]) -> ResolvedModel | None:
    base = _BY_ID.get(model_id)
    if base is not None:
        return ResolvedModel(model_id, base.capabilities, base, None)
    record = fine_tuned_models.get(model_id)
    if record is not None:
        return ResolvedModel(model_id, frozenset(record["capabilities"]), None, record)
    return None


def capabilities_object(flags: frozenset[str] | set[str]) -> dict[str, bool]:
    return {flag: flag in flags for flag in CAPABILITY_FLAGS}


def base_model_card(model: BaseModel, model_id: str) -> dict[str, Any]:
    """BaseModelCard for one of the model's ids; the other ids are its aliases."""
    return {
        "id": model_id,
        "object": "model",
        "created": model.created,
        "owned_by": "mistralai",
        "capabilities": capabilities_object(model.capabilities),
        "name": model.name,
        "description": model.description,
        "max_context_length": model.max_context_length,
        "aliases": [other for other in model.ids if other != model_id],
        "deprecation": None,
        "deprecation_replacement_model": None,
        "default_model_temperature": model.default_model_temperature,
        "type": "base",
    }


def fine_tuned_model_card(record: dict[str, Any]) -> dict[str, Any]:
    """FTModelCard from a fine-tuned model record kept in the state."""
    root = _BY_ID.get(record["root"])
    return {
        "id": record["id"],
        "object": "model",
        "created": record["created"],
        "owned_by": record["owned_by"],
        "capabilities": capabilities_object(set(record["capabilities"])),
        "name": record.get("name"),
        "description": record.get("description"),
        "max_context_length": root.max_context_length if root else 32768,
        "aliases": [],
        "deprecation": None,
        "deprecation_replacement_model": None,
        "default_model_temperature": None,
        "type": "fine-tuned",
        "job": record["job"],
        "root": record["root"],
        "archived": record.get("archived", False),
    }


def all_cards(fine_tuned_models: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    cards = [base_model_card(model, model_id) for model in BASE_MODELS for model_id in model.ids]
    cards.extend(fine_tuned_model_card(record) for record in fine_tuned_models.values())
    return cards


def new_fine_tuned_record(
    *,
    model_id: str,
    root: str,
    job_id: str,
    created: int,
    owned_by: str,
    job_type: str = "completion",
    classifier_targets: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A fine-tuned model record (the state's storage format, not an API shape)."""
    capabilities = {"classification"} if job_type == "classifier" else {"completion_chat"}
    return {
        "id": model_id,
        "root": root,
        "job": job_id,
        "created": created,
        "owned_by": owned_by,
        "capabilities": sorted(capabilities),
        "job_type": job_type,
        "classifier_targets": classifier_targets or [],
        "archived": False,
        "name": None,
        "description": None,
    }
