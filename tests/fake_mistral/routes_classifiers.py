"""Embeddings, moderations and classifications (raw text and chat variants)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .common import get_state, hex_id, read_body, resolve_model, route
from .errors import invalid_model
from .generation import (
    MODERATION_CATEGORIES,
    count_tokens,
    encode_base64,
    label_scores,
    messages_text,
    moderation_result,
    quantise,
    unit_vector,
)
from .models import ResolvedModel
from .schemas import (
    CHAT_CLASSIFICATION_REQUEST,
    CHAT_MODERATION_REQUEST,
    CLASSIFICATION_REQUEST,
    EMBEDDING_REQUEST,
)


def _texts(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def _conversations(value: list[Any]) -> list[list[dict[str, Any]]]:
    """ChatModerationRequest.input: one conversation, or a list of conversations."""
    if value and all(isinstance(item, list) for item in value):
        return value
    return [value]


async def embeddings(request: Request) -> Response:
    # EmbeddingRequest -> EmbeddingResponse
    state = get_state(request)
    data = await read_body(request, EMBEDDING_REQUEST)
    if isinstance(data, Response):
        return data
    model = resolve_model(state, data["model"])
    if model is None or model.embedding_dimension is None:
        return invalid_model(data["model"])
    dimension = data.get("output_dimension") or model.embedding_dimension
    dtype = data.get("output_dtype", "float")
    texts = _texts(data["input"])
    items = []
    for index, text in enumerate(texts):
        vector = quantise(unit_vector(text, dimension), dtype)
        embedding: Any = encode_base64(vector, dtype) if data.get("encoding_format") == "base64" else vector
        items.append({"object": "embedding", "embedding": embedding, "index": index})
    prompt_tokens = sum(max(1, count_tokens(text)) for text in texts)
    return JSONResponse(
        {
            "id": hex_id(),
            "object": "list",
            "data": items,
            "model": data["model"],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": 0, "total_tokens": prompt_tokens},
        }
    )


def _moderation_response(model: str, texts: list[str]) -> Response:
    # ModerationResponse
    return JSONResponse({"id": hex_id(), "model": model, "results": [moderation_result(t) for t in texts]})


async def moderations(request: Request) -> Response:
    state = get_state(request)
    data = await read_body(request, CLASSIFICATION_REQUEST)
    if isinstance(data, Response):
        return data
    model = resolve_model(state, data["model"])
    if model is None or not model.can("moderation"):
        return invalid_model(data["model"])
    return _moderation_response(data["model"], _texts(data["input"]))


async def chat_moderations(request: Request) -> Response:
    state = get_state(request)
    data = await read_body(request, CHAT_MODERATION_REQUEST)
    if isinstance(data, Response):
        return data
    model = resolve_model(state, data["model"])
    if model is None or not model.can("moderation"):
        return invalid_model(data["model"])
    return _moderation_response(data["model"], [messages_text(c) for c in _conversations(data["input"])])


def _targets(model: ResolvedModel) -> list[dict[str, Any]]:
    """Classifier targets: a fine-tuned classifier's own, or the moderation categories."""
    if model.fine_tuned and model.fine_tuned.get("classifier_targets"):
        return list(model.fine_tuned["classifier_targets"])
    return [{"name": "moderation", "labels": list(MODERATION_CATEGORIES)}]


def _classification_result(model: ResolvedModel, text: str) -> dict[str, Any]:
    if not model.fine_tuned:
        return {"moderation": {"scores": moderation_result(text)["category_scores"]}}
    return {t["name"]: {"scores": label_scores(text, t["name"], list(t["labels"]))} for t in _targets(model)}


def _classification_response(model_id: str, model: ResolvedModel, texts: list[str]) -> Response:
    # ClassificationResponse: results[i] maps target name -> ClassificationTargetResult
    results = [_classification_result(model, text) for text in texts]
    return JSONResponse({"id": hex_id(), "model": model_id, "results": results})


async def classifications(request: Request) -> Response:
    state = get_state(request)
    data = await read_body(request, CLASSIFICATION_REQUEST)
    if isinstance(data, Response):
        return data
    model = resolve_model(state, data["model"])
    if model is None or not model.can("classification"):
        return invalid_model(data["model"])
    return _classification_response(data["model"], model, _texts(data["input"]))


async def chat_classifications(request: Request) -> Response:
    state = get_state(request)
    data = await read_body(request, CHAT_CLASSIFICATION_REQUEST)
    if isinstance(data, Response):
        return data
    model = resolve_model(state, data["model"])
    if model is None or not model.can("classification"):
        return invalid_model(data["model"])
    inputs = data["input"] if isinstance(data["input"], list) else [data["input"]]
    return _classification_response(data["model"], model, [messages_text(i["messages"]) for i in inputs])


routes = [
    route("/v1/embeddings", {"POST": embeddings}),
    route("/v1/moderations", {"POST": moderations}),
    route("/v1/chat/moderations", {"POST": chat_moderations}),
    route("/v1/classifications", {"POST": classifications}),
    route("/v1/chat/classifications", {"POST": chat_classifications}),
]
