"""Models: list, retrieve, delete (fine-tuned only); update, archive and unarchive fine-tuned models."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .common import get_state, read_body, route
from .errors import mistral_error, not_found
from .models import all_cards, base_model, base_model_card, fine_tuned_model_card
from .schemas import UPDATE_MODEL_REQUEST


async def list_models(request: Request) -> Response:
    # ModelList
    state = get_state(request)
    with state.lock:
        cards = all_cards(state.fine_tuned_models)
    return JSONResponse({"object": "list", "data": cards})


async def retrieve_model(request: Request) -> Response:
    # BaseModelCard | FTModelCard (discriminator: type)
    state = get_state(request)
    model_id: str = request.path_params["model_id"]
    base = base_model(model_id)
    if base is not None:
        return JSONResponse(base_model_card(base, model_id))
    with state.lock:
        record = state.fine_tuned_models.get(model_id)
        if record is not None:
            return JSONResponse(fine_tuned_model_card(record))
    return not_found("Model", model_id)


async def delete_model(request: Request) -> Response:
    # DeleteModelOut; only fine-tuned models can be deleted.
    state = get_state(request)
    model_id: str = request.path_params["model_id"]
    if base_model(model_id) is not None:
        return mistral_error(403, f"Model {model_id} is a base model and cannot be deleted", type_="forbidden")
    with state.lock:
        if state.fine_tuned_models.pop(model_id, None) is None:
            return not_found("Model", model_id)
    return JSONResponse({"id": model_id, "object": "model", "deleted": True})


def _fine_tuned_model(record: dict[str, Any]) -> dict[str, Any]:
    """CompletionFineTunedModel / ClassifierFineTunedModel (discriminator: model_type)."""
    model = {
        "id": record["id"],
        "object": "model",
        "created": record["created"],
        "owned_by": record["owned_by"],
        "workspace_id": record["owned_by"],
        "root": record["root"],
        "root_version": "1",
        "archived": record.get("archived", False),
        "name": record.get("name"),
        "description": record.get("description"),
        "capabilities": {
            name: name in record["capabilities"]
            for name in ("completion_chat", "completion_fim", "function_calling", "fine_tuning", "classification")
        },
        "max_context_length": 32768,
        "aliases": [],
        "job": record["job"],
        "model_type": record["job_type"],
    }
    if record["job_type"] == "classifier":
        model["classifier_targets"] = record.get("classifier_targets") or []
    return model


async def update_model(request: Request) -> Response:
    # UpdateModelRequest -> CompletionFineTunedModel | ClassifierFineTunedModel
    data = await read_body(request, UPDATE_MODEL_REQUEST)
    if isinstance(data, Response):
        return data
    state = get_state(request)
    model_id: str = request.path_params["model_id"]
    with state.lock:
        record = state.fine_tuned_models.get(model_id)
        if record is None:
            return not_found("Model", model_id)
        record.update({key: data[key] for key in ("name", "description") if key in data})
        return JSONResponse(_fine_tuned_model(record))


async def _set_archived(request: Request, archived: bool) -> Response:
    # ArchiveFTModelOut / UnarchiveFTModelOut
    state = get_state(request)
    model_id: str = request.path_params["model_id"]
    with state.lock:
        record = state.fine_tuned_models.get(model_id)
        if record is None:
            return not_found("Model", model_id)
        record["archived"] = archived
    return JSONResponse({"id": model_id, "object": "model", "archived": archived})


async def archive_model(request: Request) -> Response:
    return await _set_archived(request, True)


async def unarchive_model(request: Request) -> Response:
    return await _set_archived(request, False)


routes = [
    route("/v1/models", {"GET": list_models}),
    route("/v1/models/{model_id}", {"GET": retrieve_model, "DELETE": delete_model}),
    route("/v1/fine_tuning/models/{model_id}", {"PATCH": update_model}),
    route("/v1/fine_tuning/models/{model_id}/archive", {"POST": archive_model, "DELETE": unarchive_model}),
]
