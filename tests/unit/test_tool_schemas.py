"""Every tool's input schema agrees with Mistral's public API reference.

For each tool we name the operations it calls; every argument must then be a field of the
request body, a documented query or path parameter, a renamed field (`RENAMED`), or a
tool-only convenience (`TOOL_ONLY`) that never reaches Mistral as such. Types, enum values
and ranges must fit inside what Mistral accepts, so nothing we send is something it rejects.
The reference's facts come from its committed digest (`server/reference`, built from
`../shared/ref` and checked against it by `.ci/run`), so this runs from a fresh clone.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from server.reference import CURRENT, LEGACY, Document, Reference, load
from server.tools import build_registry
from server.tools.registry import ToolSpec
from server.tools.spec import EXTRA

Schema = dict[str, Any]


@dataclass(frozen=True)
class Mapping:
    """How one tool reaches Mistral."""

    operations: tuple[tuple[str, str], ...]  # (method, path) in the document
    document: str = CURRENT  # LEGACY: the only document that still describes fine-tuning jobs
    tool_only: frozenset[str] = frozenset()  # arguments the tool consumes itself (why: see TOOLS)
    renamed: dict[str, str] = field(default_factory=dict)  # tool location -> Mistral body location
    filled: frozenset[str] = frozenset()  # required Mistral fields the tool fills in itself (defaults)


def ops(*pairs: str, document: str = CURRENT, **kwargs: Any) -> Mapping:
    operations = tuple((method, path) for method, _, path in (p.partition(" ") for p in pairs))
    return Mapping(operations, document, **kwargs)


TOOLS: dict[str, Mapping] = {
    # `prompt`/`system` become `messages`; `model` gets a default; `include_reasoning` says how the reply is shown.
    "mistral_chat": ops(
        "POST /v1/chat/completions",
        tool_only=frozenset({"prompt", "system", "include_reasoning"}),
        filled=frozenset({"model"}),
    ),
    "mistral_function_call": ops(
        "POST /v1/chat/completions", tool_only=frozenset({"include_reasoning"}), filled=frozenset({"model"})
    ),
    # Each of `models` gets `prompt` (and `system`) as its `messages`.
    "mistral_compare_models": ops(
        "POST /v1/chat/completions",
        tool_only=frozenset({"prompt", "system", "models"}),
        filled=frozenset({"model", "messages"}),
    ),
    "mistral_code_complete": ops("POST /v1/fim/completions", filled=frozenset({"model"})),
    "mistral_embed": ops("POST /v1/embeddings", filled=frozenset({"model"})),
    "mistral_moderate": ops(
        "POST /v1/moderations", "POST /v1/chat/moderations", renamed={"messages": "input"}, filled=frozenset({"model"})
    ),
    "mistral_classify": ops(
        "POST /v1/classifications",
        "POST /v1/chat/classifications",
        renamed={"messages": "input.messages", "conversations[]": "input[].messages"},
    ),
    # `prompt` becomes a one-message `messages`; `include_reasoning` says how the reply is shown.
    "mistral_agent_complete": ops("POST /v1/agents/completions", tool_only=frozenset({"prompt", "include_reasoning"})),
    # Mistral pages agents by cursor only: `page` is found by following it.
    "mistral_list_agents": ops("GET /v1/agents/pages", tool_only=frozenset({"page"})),
    "mistral_get_agent": ops("GET /v1/agents/{agent_id}"),
    "mistral_create_agent": ops("POST /v1/agents"),
    "mistral_update_agent": ops("PATCH /v1/agents/{agent_id}"),
    "mistral_delete_agent": ops("DELETE /v1/agents/{agent_id}"),
    "mistral_list_agent_versions": ops("GET /v1/agents/{agent_id}/versions"),
    "mistral_get_agent_version": ops("GET /v1/agents/{agent_id}/versions/{version}"),
    "mistral_set_agent_version": ops("PATCH /v1/agents/{agent_id}/version"),
    "mistral_set_agent_alias": ops("PUT /v1/agents/{agent_id}/aliases"),
    "mistral_list_agent_aliases": ops("GET /v1/agents/{agent_id}/aliases"),
    "mistral_delete_agent_alias": ops("DELETE /v1/agents/{agent_id}/aliases"),
    # `include_reasoning` says how the reply is shown; `model` gets a default when no agent is given.
    "mistral_start_conversation": ops("POST /v1/conversations", tool_only=frozenset({"include_reasoning"})),
    "mistral_continue_conversation": ops(
        "POST /v1/conversations/{conversation_id}", tool_only=frozenset({"include_reasoning"})
    ),
    "mistral_restart_conversation": ops(
        "POST /v1/conversations/{conversation_id}/restart", tool_only=frozenset({"include_reasoning"})
    ),
    "mistral_list_conversations": ops("GET /v1/conversations"),
    # Which of the two lists is read, and the text window, are ours; Mistral sends every entry.
    "mistral_get_conversation": ops(
        "GET /v1/conversations/{conversation_id}/history",
        "GET /v1/conversations/{conversation_id}/messages",
        tool_only=frozenset({"only_messages", "offset", "max_chars"}),
    ),
    "mistral_delete_conversation": ops("DELETE /v1/conversations/{conversation_id}"),
    # Filters applied to Mistral's list here; the endpoint has none of them.
    "mistral_list_models": ops("GET /v1/models", tool_only=frozenset({"capability", "search", "fine_tuned_only"})),
    "mistral_get_model": ops("GET /v1/models/{model_id}"),
    "mistral_delete_model": ops("DELETE /v1/models/{model_id}"),
    # `filename` is the multipart file part's name; both contents become the `file` part.
    "mistral_upload_file": ops(
        "POST /v1/files",
        tool_only=frozenset({"filename"}),
        renamed={"content": "file", "content_base64": "file"},
    ),
    "mistral_list_files": ops("GET /v1/files"),
    "mistral_get_file": ops("GET /v1/files/{file_id}"),
    # The window and decoding of the bytes are ours; Mistral sends the whole body.
    "mistral_download_file": ops(
        "GET /v1/files/{file_id}/content", tool_only=frozenset({"offset", "max_bytes", "encoding"})
    ),
    "mistral_get_file_url": ops("GET /v1/files/{file_id}/url"),
    "mistral_delete_file": ops("DELETE /v1/files/{file_id}"),
    "mistral_create_fine_tuning_job": ops("POST /v1/fine_tuning/jobs", document=LEGACY),
    "mistral_list_fine_tuning_jobs": ops("GET /v1/fine_tuning/jobs", document=LEGACY),
    # `wait_seconds`: the tool asks again every few seconds until the job settles.
    "mistral_get_fine_tuning_job": ops(
        "GET /v1/fine_tuning/jobs/{job_id}", document=LEGACY, tool_only=frozenset({"wait_seconds"})
    ),
    "mistral_refresh_fine_tuning_job": ops("GET /v1/fine_tuning/jobs/{job_id}", document=LEGACY),
    "mistral_cancel_fine_tuning_job": ops("POST /v1/fine_tuning/jobs/{job_id}/cancel", document=LEGACY),
    "mistral_start_fine_tuning_job": ops("POST /v1/fine_tuning/jobs/{job_id}/start", document=LEGACY),
    "mistral_create_batch_job": ops("POST /v1/batch/jobs"),
    "mistral_list_batch_jobs": ops("GET /v1/batch/jobs"),
    "mistral_get_batch_job": ops("GET /v1/batch/jobs/{job_id}", tool_only=frozenset({"wait_seconds"})),
    "mistral_cancel_batch_job": ops("POST /v1/batch/jobs/{job_id}/cancel"),
    "mistral_delete_batch_job": ops("DELETE /v1/batch/jobs/{job_id}"),
    "mistral_update_model": ops("PATCH /v1/fine_tuning/models/{model_id}"),
    "mistral_archive_model": ops("POST /v1/fine_tuning/models/{model_id}/archive"),
    "mistral_unarchive_model": ops("DELETE /v1/fine_tuning/models/{model_id}/archive"),
    "mistral_create_library": ops("POST /v1/libraries"),
    "mistral_list_libraries": ops("GET /v1/libraries"),
    "mistral_get_library": ops("GET /v1/libraries/{library_id}"),
    "mistral_update_library": ops("PATCH /v1/libraries/{library_id}"),
    "mistral_delete_library": ops("DELETE /v1/libraries/{library_id}"),
    "mistral_list_library_shares": ops("GET /v1/libraries/{library_id}/share"),
    "mistral_share_library": ops("PUT /v1/libraries/{library_id}/share"),
    "mistral_unshare_library": ops("DELETE /v1/libraries/{library_id}/share"),
    # The bytes (given, or read from an uploaded file) become the multipart `file` part, named `filename`.
    "mistral_upload_library_document": ops(
        "POST /v1/libraries/{library_id}/documents",
        "GET /v1/files/{file_id}/content",
        tool_only=frozenset({"filename"}),
        renamed={"content": "file", "content_base64": "file"},
    ),
    "mistral_list_library_documents": ops("GET /v1/libraries/{library_id}/documents"),
    # The text window is ours; Mistral sends the whole text of the pages asked for.
    "mistral_get_library_document": ops(
        "GET /v1/libraries/{library_id}/documents/{document_id}",
        "GET /v1/libraries/{library_id}/documents/{document_id}/text_content",
        tool_only=frozenset({"include_text", "offset", "max_chars"}),
    ),
    "mistral_delete_library_document": ops("DELETE /v1/libraries/{library_id}/documents/{document_id}"),
    "mistral_reprocess_library_document": ops("POST /v1/libraries/{library_id}/documents/{document_id}/reprocess"),
    # The three document sources become OCRRequest.document; `model` gets a default.
    "mistral_ocr": ops(
        "POST /v1/ocr",
        renamed={
            "document_url": "document.document_url",
            "document_name": "document.document_name",
            "image_url": "document.image_url",
            "file_id": "document.file_id",
        },
        filled=frozenset({"model", "document"}),
    ),
    # The inline audio becomes the multipart `file` part; `offset` windows the transcript; `model` gets a default.
    "mistral_transcribe": ops(
        "POST /v1/audio/transcriptions",
        tool_only=frozenset({"offset"}),
        renamed={"content_base64": "file"},
        filled=frozenset({"model"}),
    ),
    "mistral_speak": ops("POST /v1/audio/speech"),
    "mistral_list_voices": ops("GET /v1/audio/voices"),
    "mistral_get_voice": ops("GET /v1/audio/voices/{voice_id}"),
}


@functools.cache
def reference() -> Reference:
    return load()


@functools.cache
def registry_specs() -> dict[str, ToolSpec]:
    return {spec.name: spec for spec in build_registry()}


# --- reading the reference ---------------------------------------------------------------


def arms(doc: Document | None, schema: Schema) -> list[Schema]:
    """The alternatives a schema allows, `$ref`s resolved, unions flattened, `null` dropped."""
    schema = doc.resolve(schema) if doc is not None else schema
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return [arm for option in schema[key] for arm in arms(doc, option)]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return arms(doc, {**schema["allOf"][0], **{k: v for k, v in schema.items() if k != "allOf"}})
    if "allOf" in schema:
        # A request and its `stream` flag (ConversationRequest): one object with the fields of every part.
        parts = [doc.resolve(part) if doc is not None else part for part in schema["allOf"]]
        merged: Schema = {"type": "object", "properties": {}, "required": []}
        for part in parts:
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
        return [merged]
    return [] if schema.get("type") == "null" else [schema]


def type_of(schema: Schema) -> str | None:
    if isinstance(schema.get("type"), str):
        return str(schema["type"])
    values = schema["enum"] if "enum" in schema else [schema["const"]] if "const" in schema else None
    if values:
        return {str: "string", bool: "boolean", int: "integer", float: "number"}[type(values[0])]
    return "object" if "properties" in schema else None


def accepts(schema: Schema, value: Any) -> bool:
    kind = type_of(schema)
    checks = {"string": str, "boolean": bool, "integer": int, "number": (int, float), "object": dict, "array": list}
    if kind is not None and not isinstance(value, checks[kind]):
        return False
    allowed = schema.get("enum", [schema["const"]] if "const" in schema else None)
    return allowed is None or value in allowed


@dataclass
class Operation:
    doc: Document
    body: Schema | None
    params: dict[str, Schema]


def operation(mapping: Mapping, method: str, path: str) -> Operation:
    doc = reference().documents[mapping.document]
    spec = doc.find(method, path)
    assert spec is not None, f"{method} {path} is not in {doc.source}"
    body = next((doc.resolve(schema) for schema in spec.body.values()), None)
    params = {name: param.schema for name, param in spec.parameters.items()}
    return Operation(doc, body, params)


def body_location(op: Operation, location: str) -> Schema | None:
    """The schema at `a.b[].c` inside the request body, searching every union arm."""
    if op.body is None:
        return None
    current: list[Schema] = [op.body]
    for part in location.split("."):
        name, into_items = (part[:-2], True) if part.endswith("[]") else (part, False)
        found = [
            op.doc.resolve(arm["properties"][name])
            for schema in current
            for arm in arms(op.doc, schema)
            if name in arm.get("properties", {})
        ]
        if into_items:
            found = [arm["items"] for schema in found for arm in arms(op.doc, schema) if "items" in arm]
        if not found:
            return None
        current = found
    return {"anyOf": current} if len(current) > 1 else current[0]


def tool_location(schema: Schema, location: str) -> Schema:
    name, into_items = (location[:-2], True) if location.endswith("[]") else (location, False)
    found: Schema = schema["properties"][name]
    return found["items"] if into_items else found


# --- comparing ----------------------------------------------------------------------------------


def _bounds(tool: Schema, api: Schema, where: str) -> Iterator[str]:
    low, high = tool.get("minimum"), tool.get("maximum")
    low_x, high_x = tool.get("exclusiveMinimum"), tool.get("exclusiveMaximum")
    if "minimum" in api and not (
        (low is not None and low >= api["minimum"]) or (low_x is not None and low_x >= api["minimum"])
    ):
        yield f"{where}: Mistral's minimum is {api['minimum']}, the tool allows less"
    if "exclusiveMinimum" in api and not (
        (low is not None and low > api["exclusiveMinimum"]) or (low_x is not None and low_x >= api["exclusiveMinimum"])
    ):
        yield f"{where}: Mistral needs more than {api['exclusiveMinimum']}, the tool allows it"
    if "maximum" in api and not (
        (high is not None and high <= api["maximum"]) or (high_x is not None and high_x <= api["maximum"])
    ):
        yield f"{where}: Mistral's maximum is {api['maximum']}, the tool allows more"
    for key, tighter in (("maxLength", min), ("maxItems", min), ("minLength", max), ("minItems", max)):
        if key in api and (key not in tool or tighter(tool[key], api[key]) != tool[key]):
            yield f"{where}: Mistral's {key} is {api[key]}, the tool's is {tool.get(key)}"


def compatible(tool: Schema, api: Schema, doc: Document, where: str) -> Iterator[str]:
    """Problems that would let the tool send something `api` rejects."""
    api_arms = arms(doc, api)
    if not api_arms or any(type_of(a) is None and "properties" not in a for a in api_arms):
        return  # Mistral accepts anything here
    for arm in arms(None, tool):
        values = arm.get("enum", [arm["const"]] if "const" in arm else None)
        if values is not None:
            for value in values:
                if not any(accepts(a, value) for a in api_arms):
                    yield f"{where}: Mistral does not accept the value {value!r}"
            continue
        kind = type_of(arm)
        if kind is None:
            continue  # an argument the tool does not constrain; its arms are checked one level down
        fits = [a for a in api_arms if type_of(a) == kind or (kind == "integer" and type_of(a) == "number")]
        if not fits:
            yield f"{where}: the tool sends {kind}, Mistral takes {sorted({str(type_of(a)) for a in api_arms})}"
            continue
        problems = [list(_bounds(arm, a, where)) for a in fits]
        if all(problems):
            yield from problems[0]
        if kind == "array" and "items" in arm:
            items = [a["items"] for a in fits if "items" in a]
            if items:
                yield from compatible(arm["items"], {"anyOf": items}, doc, f"{where}[]")
        if kind == "object":
            yield from _properties(arm, fits, doc, where)


def _properties(tool: Schema, api_objects: list[Schema], doc: Document, where: str) -> Iterator[str]:
    if any("properties" not in a for a in api_objects):
        return  # a free-form object (metadata, a JSON schema, a batch request body)
    for name, schema in tool.get("properties", {}).items():
        found = [a["properties"][name] for a in api_objects if name in a["properties"]]
        if not found:
            yield f"{where}.{name}: Mistral has no such field"
        else:
            yield from compatible(schema, {"anyOf": found}, doc, f"{where}.{name}")


def _best(candidates: list[list[str]]) -> list[str]:
    """No problem if the argument fits one of the operations the tool may call."""
    return [] if not candidates or not all(candidates) else candidates[0]


def problems_of(name: str) -> list[str]:
    mapping, spec = TOOLS[name], registry_specs()[name]
    operations = [operation(mapping, method, path) for method, path in mapping.operations]
    problems: list[str] = []
    properties = spec.input_schema["properties"]
    renamed_roots = {location.removesuffix("[]") for location in mapping.renamed}
    for argument, schema in properties.items():
        if argument in mapping.tool_only or argument in renamed_roots:
            continue
        if argument == EXTRA and spec.extra:
            continue  # its fields are checked one by one below
        targets = [
            (op, target)
            for op in operations
            for target in [body_location(op, argument) or op.params.get(argument)]
            if target is not None
        ]
        if not targets:
            problems.append(f"{argument}: neither a body field nor a parameter of {list(mapping.operations)}")
        problems += _best([list(compatible(schema, target, op.doc, argument)) for op, target in targets])
    for rare in sorted(spec.extra):
        # A field taken in `extra` is a body field of an operation, not also an argument of its own.
        if rare in properties or not any(body_location(op, rare) is not None for op in operations):
            problems.append(f"{EXTRA}.{rare}: not a body field of {list(mapping.operations)}, or an argument too")
    for tool_at, api_at in mapping.renamed.items():
        found = [(op, t) for op in operations for t in [body_location(op, api_at)] if t is not None]
        if not found:
            problems.append(f"{tool_at} -> {api_at}: no such body location")
        tool_schema = tool_location(spec.input_schema, tool_at)
        problems += _best([list(compatible(tool_schema, target, op.doc, tool_at)) for op, target in found])
    for op in operations:
        # A required name the body never defines is a slip of the document (SharingDelete's `level`):
        # the official SDKs do not send it, and neither can we.
        defined = (op.body or {}).get("properties", {})
        for required in (name for name in (op.body or {}).get("required", []) if name in defined):
            sent = required in properties or required in mapping.filled or required in spec.extra
            sent = sent or any(
                api_at.split(".")[0].removesuffix("[]") == required for api_at in mapping.renamed.values()
            )
            if not sent:
                problems.append(f"Mistral requires '{required}' and the tool cannot send it")
    return problems


# --- tests -------------------------------------------------------------------------------------


def test_every_registered_tool_is_mapped_to_its_mistral_operations() -> None:
    assert set(registry_specs()) == set(TOOLS)


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_tool_arguments_are_fields_mistral_accepts_with_compatible_types(name: str) -> None:
    assert problems_of(name) == []


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_tool_only_arguments_exist_and_are_not_mistral_fields(name: str) -> None:
    mapping, spec = TOOLS[name], registry_specs()[name]
    assert mapping.tool_only <= set(spec.input_schema["properties"])
    for method, path in mapping.operations:
        op = operation(mapping, method, path)
        for argument in mapping.tool_only:
            assert body_location(op, argument) is None and argument not in op.params, argument


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_tool_names_its_endpoints_for_the_readme(name: str) -> None:
    endpoint = registry_specs()[name].endpoint
    for method, path in TOOLS[name].operations:
        assert f"{method} {path}" in endpoint


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_tool_has_title_description_annotations_and_an_object_output_schema(name: str) -> None:
    spec = registry_specs()[name]
    assert spec.title and len(spec.description) >= 120
    assert spec.output_schema is not None and spec.output_schema.get("type") == "object"
    Draft202012Validator.check_schema(spec.output_schema)
    verb = name.split("_")[1]
    if verb in {"list", "get"}:
        assert spec.read_only and spec.idempotent and not spec.destructive
    if verb in {"delete", "cancel"}:
        assert spec.destructive and not spec.read_only
    assert spec.open_world


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_a_tool_whose_endpoints_only_the_legacy_reference_has_says_so(name: str) -> None:
    legacy = TOOLS[name].document == LEGACY
    assert ("legacy API reference" in registry_specs()[name].description) == legacy


def test_readme_tools_table_lists_every_tool_with_its_endpoints() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    table = readme.split("## Tools", 1)[1].split("\n\n", 2)[1]
    rows = {}
    for line in table.splitlines()[2:]:
        name, what, endpoint = (cell.strip() for cell in line.strip("|").split("|"))
        rows[name.strip("`")] = (what, endpoint)
    assert set(rows) == set(registry_specs())
    for name, spec in registry_specs().items():
        expected = ", ".join(f"`{part.strip()}`" for part in spec.endpoint.split(","))
        assert rows[name][1] == expected and rows[name][0], name


@pytest.mark.parametrize("name", sorted(name for name, spec in registry_specs().items() if spec.extra))
def test_a_tool_with_extra_fields_names_them_in_a_free_object_argument(name: str) -> None:
    schema = registry_specs()[name].input_schema["properties"][EXTRA]
    assert schema["type"] == "object" and schema.get("additionalProperties", True) is True
    assert all(field in schema["description"] for field in registry_specs()[name].extra)


def test_the_comparison_catches_an_extra_field_mistral_does_not_know(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = registry_specs()["mistral_chat"]
    monkeypatch.setitem(registry_specs(), "mistral_chat", dataclasses.replace(spec, extra=spec.extra | {"colour"}))
    assert problems_of("mistral_chat") == [
        f"{EXTRA}.colour: not a body field of {list(TOOLS['mistral_chat'].operations)}, or an argument too"
    ]


def test_the_comparison_catches_a_field_mistral_does_not_know() -> None:
    op = operation(TOOLS["mistral_ocr"], "POST", "/v1/ocr")
    assert list(
        compatible({"type": "object", "properties": {"colour": {"type": "string"}}}, op.body or {}, op.doc, "x")
    )
    assert list(
        compatible(
            {"type": "string", "enum": ["markdown", "pdf"]}, body_location(op, "table_format") or {}, op.doc, "t"
        )
    )
    assert list(compatible({"type": "integer"}, body_location(op, "extract_header") or {}, op.doc, "e"))
