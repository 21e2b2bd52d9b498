"""Fine-tuned models: rename or redescribe, archive and unarchive (deleting is in models.py)."""

from __future__ import annotations

from typing import Any

from server.errors import ToolArgumentError
from server.tools import schemas as s
from server.tools.spec import ToolCall, ToolOutput, ToolSpec

ARCHIVE_PATH = "/v1/fine_tuning/models/{model_id}/archive"  # POST archives, DELETE unarchives

_MODEL_ID: s.Schema = {
    **s.MODEL_ID,
    "pattern": "^ft:[A-Za-z0-9._:-]{1,197}$",
    "description": 'A fine-tuned model id, "ft:…" (see mistral_list_models with fine_tuned_only).',
}
MODEL_INPUT = s.object_schema({"model_id": _MODEL_ID}, required=["model_id"])
UPDATE_INPUT = s.object_schema(
    {
        "model_id": _MODEL_ID,
        "name": {"type": "string", "minLength": 1, "description": "A name to show for the model."},
        "description": {"type": "string", "description": "What the model was trained for."},
    },
    required=["model_id"],
)

MODEL_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "name": {"type": ["string", "null"]},
        "description": {"type": ["string", "null"]},
        "archived": {"type": "boolean"},
    },
    "required": ["id"],
}
ARCHIVED_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "archived": {"type": "boolean"}},
    "required": ["id"],
}


async def run_update(call: ToolCall) -> ToolOutput:
    if not call.fields():
        raise ToolArgumentError("Nothing to update: give 'name', 'description' or both.")
    model: dict[str, Any] = await call.forward()
    lines = [f"Updated {model.get('id')}: name {model.get('name')!r}, description {model.get('description')!r}."]
    if model.get("archived"):
        lines.append("It is archived: mistral_unarchive_model brings it back.")
    return ToolOutput("\n".join(lines), model)


def render_archived(call: ToolCall, reply: dict[str, Any]) -> ToolOutput:
    model_id = reply.get("id", call.arguments["model_id"])
    if reply.get("archived"):
        return ToolOutput(f"Archived {model_id}; mistral_unarchive_model brings it back.", reply)
    return ToolOutput(f"{model_id} is no longer archived.", reply)


TOOLS = (
    ToolSpec(
        name="mistral_update_model",
        family="models",
        title="Rename or redescribe a fine-tuned Mistral model",
        description=(
            "Set the name, the description or both of one of your fine-tuned models; the values given replace the "
            "current ones. The model id does not change. Returns the model."
        ),
        input_schema=UPDATE_INPUT,
        output_schema=MODEL_OUTPUT,
        method="PATCH",
        path="/v1/fine_tuning/models/{model_id}",
        run=run_update,
        destructive=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_archive_model",
        family="models",
        title="Archive a fine-tuned Mistral model",
        description=(
            "Archive one of your fine-tuned models you no longer use. Nothing is deleted: mistral_unarchive_model "
            "restores it. Returns the model id and its archived flag."
        ),
        input_schema=MODEL_INPUT,
        output_schema=ARCHIVED_OUTPUT,
        method="POST",
        path=ARCHIVE_PATH,
        render=render_archived,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_unarchive_model",
        family="models",
        title="Unarchive a fine-tuned Mistral model",
        description=(
            "Bring an archived fine-tuned model back (undoes mistral_archive_model). Returns the model id and its "
            "archived flag, now false."
        ),
        input_schema=MODEL_INPUT,
        output_schema=ARCHIVED_OUTPUT,
        method="DELETE",
        path=ARCHIVE_PATH,
        render=render_archived,
        idempotent=True,
    ),
)
