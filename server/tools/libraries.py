"""Document libraries: create, list, get, update, delete, and who they are shared with.

Agents and conversations search a library through a `document_library` tool; its documents are
managed in library_documents.py.
"""

from __future__ import annotations

from typing import Any

from server.errors import ToolArgumentError
from server.tools import schemas as s
from server.tools.spec import ToolCall, ToolOutput, ToolSpec

LIBRARIES_PATH = "/v1/libraries"
LIBRARY_PATH = "/v1/libraries/{library_id}"
SHARE_PATH = "/v1/libraries/{library_id}/share"

LIBRARY_ID: s.Schema = {
    "type": "string",
    "pattern": s.UUID_PATTERN,
    "description": "A library id (UUID) from mistral_list_libraries.",
}
_NAME: s.Schema = {"type": "string", "minLength": 1}
_DESCRIPTION: s.Schema = {"type": "string", "description": "What the library holds."}
_SHARE_WITH = {
    "share_with_uuid": {
        "type": "string",
        "pattern": s.UUID_PATTERN,
        "description": "The id (UUID) of the user, workspace or organization.",
    },
    "share_with_type": {"type": "string", "enum": ["User", "Workspace", "Org"]},
}

CREATE_INPUT = s.object_schema(
    {
        "name": _NAME,
        "description": _DESCRIPTION,
        "owner_type": {
            "type": "string",
            "enum": ["User", "Workspace"],
            "description": "Workspace (Mistral's default) or User (private; needs a key allowed to).",
        },
    },
    required=["name"],
)
LIST_INPUT = s.object_schema(
    {
        "search": {"type": "string", "minLength": 1, "description": "Only libraries whose name contains this."},
        "page_size": s.page_size(None, 100, " Mistral's default is 100."),
        "page_token": {"type": "string", "minLength": 1, "description": "next_page_token of the previous page."},
    }
)
LIBRARY_INPUT = s.object_schema({"library_id": LIBRARY_ID}, required=["library_id"])
UPDATE_INPUT = s.object_schema({"library_id": LIBRARY_ID, "name": _NAME, "description": _DESCRIPTION}, ["library_id"])
SHARE_INPUT = s.object_schema(
    {**_SHARE_WITH, "library_id": LIBRARY_ID, "level": {"type": "string", "enum": ["Viewer", "Editor"]}},
    required=["library_id", "share_with_uuid", "share_with_type", "level"],
)
UNSHARE_INPUT = s.object_schema(
    {**_SHARE_WITH, "library_id": LIBRARY_ID}, required=["library_id", "share_with_uuid", "share_with_type"]
)

LIBRARY_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "nb_documents": {"type": "integer"}},
    "required": ["id"],
}
LIST_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"data": {"type": "array", "items": LIBRARY_OUTPUT}, "next_page_token": {"type": ["string", "null"]}},
    "required": ["data"],
}
DELETE_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"id": {"type": "string"}, "deleted": {"type": "boolean"}},
    "required": ["id", "deleted"],
}
SHARING_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"library_id": {"type": "string"}, "role": {"type": "string"}},
}
SHARES_OUTPUT: s.Schema = {
    "type": "object",
    "properties": {"data": {"type": "array", "items": SHARING_OUTPUT}},
    "required": ["data"],
}


def library_line(library: dict[str, Any]) -> str:
    size = library.get("total_size")
    parts = [f"{library.get('nb_documents', 0)} document(s)"]
    if isinstance(size, int):
        parts.append(f"{size:,} bytes")
    if library.get("owner_type"):
        parts.append(f"owned by {library['owner_type']}")
    line = f"{library.get('id')}: {library.get('name')} ({', '.join(parts)})"
    return f"{line}: {library['description']}" if library.get("description") else line


def render_created(call: ToolCall, library: dict[str, Any]) -> ToolOutput:
    text = (
        f"Created library {library_line(library)}.\nAdd documents with mistral_upload_library_document; agents and "
        f'conversations search it with the tool {{"type": "document_library", "library_ids": ["{library.get("id")}"]}}.'
    )
    return ToolOutput(text, library)


def render_libraries(call: ToolCall, response: dict[str, Any]) -> ToolOutput:
    libraries = [item for item in response.get("data") or [] if isinstance(item, dict)]
    lines = [f"{len(libraries)} librar{'y' if len(libraries) == 1 else 'ies'}:"] if libraries else ["No libraries."]
    lines += [f"- {library_line(item)}" for item in libraries]
    if response.get("next_page_token"):
        lines.append(f"More libraries: call again with page_token={response['next_page_token']!r}.")
    return ToolOutput("\n".join(lines), response)


def render_library(call: ToolCall, library: dict[str, Any]) -> ToolOutput:
    return ToolOutput(library_line(library), library)


async def run_update(call: ToolCall) -> ToolOutput:
    if not call.fields():
        raise ToolArgumentError("Nothing to update: give 'name', 'description' or both.")
    library: dict[str, Any] = await call.forward()
    return ToolOutput(f"Updated library {library_line(library)}", library)


def render_deleted(call: ToolCall, reply: Any) -> ToolOutput:
    # Mistral answers with the deleted library, or (announced for later) 204 and no body.
    library_id = call.arguments["library_id"]
    structured = {"id": library_id, "deleted": True, **({"library": reply} if isinstance(reply, dict) else {})}
    return ToolOutput(f"Deleted library {library_id} and every document in it.", structured)


def _share_line(share: dict[str, Any]) -> str:
    return f"{share.get('share_with_type')} {share.get('share_with_uuid')}: {share.get('role')}"


def render_shares(call: ToolCall, response: dict[str, Any]) -> ToolOutput:
    shares = [item for item in response.get("data") or [] if isinstance(item, dict)]
    head = f"Library {call.arguments['library_id']} is shared with {len(shares)} user(s), workspace(s) or org(s)"
    lines = [f"{head}:", *(f"- {_share_line(share)}" for share in shares)] if shares else [f"{head}."]
    return ToolOutput("\n".join(lines), response)


def render_shared(call: ToolCall, share: dict[str, Any]) -> ToolOutput:
    return ToolOutput(f"Library {call.arguments['library_id']} is now shared with {_share_line(share)}.", share)


async def run_unshare(call: ToolCall) -> ToolOutput:
    # The entity to remove travels in a JSON body, although the method is DELETE.
    reply = await call.send(json=call.fields())
    arguments = call.arguments
    structured = reply if isinstance(reply, dict) else {"library_id": arguments["library_id"]}
    text = (
        f"Library {arguments['library_id']} is no longer shared with "
        f"{arguments['share_with_type']} {arguments['share_with_uuid']}."
    )
    return ToolOutput(text, structured)


TOOLS = (
    ToolSpec(
        name="mistral_create_library",
        family="documents",
        title="Create a Mistral document library",
        description=(
            "Create a document library that Mistral agents and conversations can search (their document_library "
            "tool). Then add files with mistral_upload_library_document. Returns the library's id."
        ),
        input_schema=CREATE_INPUT,
        output_schema=LIBRARY_OUTPUT,
        method="POST",
        path=LIBRARIES_PATH,
        render=render_created,
    ),
    ToolSpec(
        name="mistral_list_libraries",
        family="documents",
        title="List Mistral document libraries",
        description=(
            "List the document libraries you own or that are shared with you, a page at a time, optionally by "
            "name. One line per library (id, name, document count); structuredContent.data holds them."
        ),
        input_schema=LIST_INPUT,
        output_schema=LIST_OUTPUT,
        method="GET",
        path=LIBRARIES_PATH,
        render=render_libraries,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_get_library",
        family="documents",
        title="Get a Mistral document library",
        description=(
            "Details of one document library: name, description, owner, number of documents and total size. "
            "To see its documents use mistral_list_library_documents."
        ),
        input_schema=LIBRARY_INPUT,
        output_schema=LIBRARY_OUTPUT,
        method="GET",
        path=LIBRARY_PATH,
        render=render_library,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_update_library",
        family="documents",
        title="Rename or redescribe a Mistral library",
        description=(
            "Change a document library's name, description or both; the values given replace the current ones. "
            "Returns the updated library."
        ),
        input_schema=UPDATE_INPUT,
        output_schema=LIBRARY_OUTPUT,
        method="PATCH",
        path=LIBRARY_PATH,
        run=run_update,
        destructive=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_delete_library",
        family="documents",
        title="Delete a Mistral document library",
        description=(
            "Permanently delete a document library together with all its documents; agents that search it find "
            "nothing more. This cannot be undone: confirm with the user first."
        ),
        input_schema=LIBRARY_INPUT,
        output_schema=DELETE_OUTPUT,
        method="DELETE",
        path=LIBRARY_PATH,
        render=render_deleted,
        destructive=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_list_library_shares",
        family="documents",
        title="List who can use a Mistral library",
        description=(
            "List the users, workspaces and organizations a document library is shared with, and the role each "
            "has (Owner, Editor, Viewer). Check it before sharing or unsharing."
        ),
        input_schema=LIBRARY_INPUT,
        output_schema=SHARES_OUTPUT,
        method="GET",
        path=SHARE_PATH,
        render=render_shares,
        read_only=True,
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_share_library",
        family="documents",
        title="Share a Mistral library",
        description=(
            "Give a user, workspace or organization (by its UUID) Viewer or Editor access to a library you own, or "
            "change the access it has. Only within your organization; confirm with the user first."
        ),
        input_schema=SHARE_INPUT,
        output_schema=SHARING_OUTPUT,
        method="PUT",
        path=SHARE_PATH,
        render=render_shared,
        destructive=True,  # it may replace the access level an entity already has
        idempotent=True,
    ),
    ToolSpec(
        name="mistral_unshare_library",
        family="documents",
        title="Stop sharing a Mistral library",
        description=(
            "Remove the access a user, workspace or organization has to a document library. The owner's own "
            "access cannot be removed. Confirm with the user first."
        ),
        input_schema=UNSHARE_INPUT,
        output_schema=SHARING_OUTPUT,
        method="DELETE",
        path=SHARE_PATH,
        run=run_unshare,
        destructive=True,
        idempotent=True,
    ),
)
