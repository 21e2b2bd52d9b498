"""The digest of Mistral's API reference (server/reference): what the builder keeps, and the loader.

Whether the committed digest matches `../shared/ref` is checked by `.ci/run` (where the documents are).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.reference import CURRENT, LEGACY, load
from server.reference.build import SOURCES, build, main, render

CURRENT_DOC = """
openapi: 3.1.0
info: {title: Mistral, version: 1.0.0}
paths:
  /v1/things:
    post:
      operationId: create_thing
      summary: Long prose that is not a fact.
      description: Even longer prose.
      parameters:
        - {name: dry_run, in: query, required: false, deprecated: true, description: words, schema: {type: boolean}}
        - {name: filter, in: query, content: {application/json: {schema: {type: object}}}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/ThingIn'}
      responses:
        '200':
          description: OK
          content:
            application/json:
              schema: {$ref: '#/components/schemas/ThingOut'}
    get:
      operationId: list_things
      deprecated: true
      x-speakeasy-name-override: list
      responses:
        '200': {description: OK}
components:
  schemas:
    ThingIn:
      type: object
      title: ThingIn
      description: What a thing is made of.
      additionalProperties: false
      required: [name]
      properties:
        name: {type: string, maxLength: 64, examples: [a name]}
        temperature:
          anyOf: [{type: number, minimum: 1e-08, maximum: 1.5}, {type: 'null'}]
          default: 0.7
        mode: {type: string, enum: [on, off, no], default: on}
        size: {type: integer, default: 010}
        since: {type: string, format: date, default: 2024-01-01}
        old: {type: string, deprecated: true}
        big: {type: object, default: {a: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, b: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb}}
        part:
          oneOf: [{$ref: '#/components/schemas/Text'}, {$ref: '#/components/schemas/Image'}]
          discriminator:
            propertyName: type
            mapping: {text: '#/components/schemas/Text', image: '#/components/schemas/Image'}
    ThingOut: {type: object, properties: {id: {type: string, format: uuid}}}
    Text: {type: object, properties: {type: {const: text}}}
    Image: {type: object, properties: {type: {const: image}, url: {$ref: '#/components/schemas/Url'}}}
    Url: {type: string, pattern: '^https://'}
    Unused: {type: object, description: reached by no operation}
"""

LEGACY_DOC = """
openapi: 3.1.0
info: {title: Mistral, version: 0.9.0}
paths:
  /v1/things:
    post:
      operationId: create_thing_old
      responses: {'200': {description: OK}}
  /v1/jobs:
    post:
      operationId: create_job
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/JobIn'}
      responses: {'200': {description: OK}}
components:
  schemas:
    JobIn: {type: object, properties: {epochs: {type: number, exclusiveMinimum: 0}}}
"""


def write_reference(folder: Path, current: str = CURRENT_DOC, legacy: str = LEGACY_DOC) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / SOURCES[CURRENT]).write_text(current)
    (folder / SOURCES[LEGACY]).write_text(legacy)
    return folder


def test_the_digest_keeps_each_operations_facts_and_leaves_out_prose(tmp_path: Path) -> None:
    operations = build(write_reference(tmp_path / "ref"))["documents"][CURRENT]["operations"]
    assert operations["create_thing"] == {
        "method": "POST",
        "path": "/v1/things",
        "deprecated": False,
        "parameters": {
            "dry_run": {"in": "query", "required": False, "deprecated": True, "schema": {"type": "boolean"}},
            "filter": {"in": "query", "required": False, "schema": {"type": "object"}},
        },
        "request": {"required": True, "content": {"application/json": {"$ref": "ThingIn"}}},
        "responses": {"200": {"application/json": {"$ref": "ThingOut"}}},
    }
    assert operations["list_things"] == {
        "method": "GET",
        "path": "/v1/things",
        "deprecated": True,
        "responses": {"200": {}},
    }


def test_the_digest_keeps_schema_facts_read_as_yaml_1_2_and_leaves_out_prose(tmp_path: Path) -> None:
    schemas = build(write_reference(tmp_path / "ref"))["documents"][CURRENT]["schemas"]
    thing = schemas["ThingIn"]
    assert set(thing) == {"type", "additionalProperties", "required", "properties"}
    assert thing["properties"]["name"] == {"type": "string", "maxLength": 64}
    assert thing["properties"]["temperature"] == {
        "anyOf": [{"type": "number", "minimum": 1e-08, "maximum": 1.5}, {"type": "null"}],
        "default": 0.7,
    }
    assert thing["properties"]["mode"] == {"type": "string", "enum": ["on", "off", "no"], "default": "on"}
    assert thing["properties"]["size"] == {"type": "integer", "default": 10}
    assert thing["properties"]["since"] == {"type": "string", "format": "date", "default": "2024-01-01"}
    assert thing["properties"]["old"] == {"type": "string", "deprecated": True}
    assert thing["properties"]["big"] == {"type": "object"}  # a default longer than a line is an example
    assert thing["properties"]["part"]["discriminator"] == {
        "propertyName": "type",
        "mapping": {"text": "Text", "image": "Image"},
    }
    assert schemas["Url"] == {"type": "string", "pattern": "^https://"}


def test_the_digest_keeps_only_the_schemas_operations_reach(tmp_path: Path) -> None:
    schemas = build(write_reference(tmp_path / "ref"))["documents"][CURRENT]["schemas"]
    assert set(schemas) == {"ThingIn", "ThingOut", "Text", "Image", "Url"}


def test_the_legacy_part_holds_only_operations_the_current_document_lacks(tmp_path: Path) -> None:
    legacy = build(write_reference(tmp_path / "ref"))["documents"][LEGACY]
    assert set(legacy["operations"]) == {"create_job"}
    assert legacy["schemas"] == {
        "JobIn": {"type": "object", "properties": {"epochs": {"type": "number", "exclusiveMinimum": 0}}}
    }
    assert (legacy["source"], legacy["version"]) == (SOURCES[LEGACY], "0.9.0")


def test_the_digest_is_sorted_json_with_one_entry_a_line(tmp_path: Path) -> None:
    digest = build(write_reference(tmp_path / "ref"))
    text = render(digest)
    assert json.loads(text) == digest
    assert render(json.loads(text)) == text
    line = next(line for line in text.splitlines() if line.startswith('"create_thing":'))
    assert (
        json.loads(line.removeprefix('"create_thing":').rstrip(","))
        == digest["documents"][CURRENT]["operations"]["create_thing"]
    )


def test_check_passes_on_a_fresh_digest_and_fails_once_the_documents_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref, digest = write_reference(tmp_path / "ref"), tmp_path / "digest.json"
    assert main(["--ref", str(ref), "--digest", str(digest), "--check"]) == 1  # no digest yet
    assert main(["--ref", str(ref), "--digest", str(digest)]) == 0
    assert main(["--ref", str(ref), "--digest", str(digest), "--check"]) == 0
    write_reference(ref, CURRENT_DOC.replace("maxLength: 64", "maxLength: 65"))
    capsys.readouterr()
    assert main(["--ref", str(ref), "--digest", str(digest), "--check"]) == 1
    assert "run python -m server.reference.build" in capsys.readouterr().err


def test_the_committed_digest_finds_operations_in_the_current_then_the_legacy_document() -> None:
    reference = load()
    chat = reference.operation("post", "/v1/chat/completions")
    assert (chat.document, chat.method, chat.deprecated) == (CURRENT, "POST", False)
    body = reference.document_of(chat).resolve(chat.body["application/json"])
    assert {"model", "messages"} <= set(body["required"])
    job = reference.operation("POST", "/v1/fine_tuning/jobs")
    assert job.document == LEGACY and job.body
    assert reference.operation("GET", "/v1/files").parameters["page"].location == "query"
    with pytest.raises(KeyError):
        reference.operation("GET", "/v1/nowhere")
