"""Models: list, retrieve, delete (fine-tuned only), archive/unarchive fine-tuned models."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .common import get_state, route
from .errors import mistral_error, not_found
from .models import all_cards, base_model, base_model_card, fine_tuned_model_card


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
    route("/v1/fine_tuning/models/{model_id}/archive", {"POST": archive_model, "DELETE": unarchive_model}),
]
