"""Build the digest of Mistral's API reference: `python -m server.reference.build [--check]`.

Reads the two OpenAPI documents in `../shared/ref` (beside the repository) and writes
`server/reference/mistral.json`: per operation its method, path, deprecation, parameters, request
and response schemas; per component schema the facts a client must respect (types, unions, enums,
consts, required names, bounds, formats, defaults that fit on a line, deprecation, discriminators,
`additionalProperties`). Prose (titles, descriptions, examples) and vendor extensions are left out:
the digest holds facts, not a copy of the documents. `--check` rebuilds in memory and exits 1 when
the digest differs. Needs PyYAML (the `test` extra); the server only ever reads the JSON.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import yaml

from server.reference import CURRENT, DIGEST, LEGACY

DEFAULT_REF = Path(__file__).resolve().parents[2].parent / "shared" / "ref"
SOURCES = {CURRENT: "mistral-openapi.yaml", LEGACY: "mistral-openapi-legacy.yaml"}
METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})
COMPONENT = "#/components/schemas/"

# Keywords kept as they are, then those whose value is a schema, a list of schemas, a map of schemas.
_FACTS = frozenset(
    {
        "type", "enum", "const", "required", "format", "pattern", "deprecated", "nullable", "readOnly",
        "writeOnly", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
        "minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties",
    }
)  # fmt: skip
_ONE = ("items", "additionalProperties", "propertyNames", "not", "contains")
_MANY = ("anyOf", "oneOf", "allOf", "prefixItems")
_NAMED = ("properties", "$defs", "patternProperties")
_CHEAP_DEFAULT = 80  # characters of JSON: a longer default is an example, not a fact worth keeping

# Plain scalars as YAML 1.2 (OpenAPI 3.1's) reads them, not as PyYAML's YAML 1.1, where `1e-08` is a
# string, `on` and `no` are booleans, `010` is eight and `2024-01-01` is a date.
_FLOAT = r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
_YAML12_SCALARS = (
    ("null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    ("bool", r"true|True|TRUE|false|False|FALSE", list("tTfF")),
    ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", list("-+0123456789")),
    ("float", _FLOAT, list("-+0123456789.")),
)


def _yaml12_int(loader: Any, node: Any) -> int:
    text: str = loader.construct_scalar(node)
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text)


def load_yaml(text: str) -> Any:
    class Loader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no type hints
        yaml_implicit_resolvers: ClassVar[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = {}

    for tag, pattern, first in _YAML12_SCALARS:
        Loader.add_implicit_resolver(f"tag:yaml.org,2002:{tag}", re.compile(f"^(?:{pattern})$"), first)
    Loader.add_constructor("tag:yaml.org,2002:int", _yaml12_int)
    return yaml.load(text, Loader)  # noqa: S506  # a SafeLoader with YAML 1.2's scalars


def _ref(value: str) -> str:
    return value.removeprefix(COMPONENT)


def schema_facts(schema: Any) -> Any:
    """The facts of one schema, recursively; a `$ref` to a component becomes the component's name."""
    if not isinstance(schema, dict):
        return schema  # `true` or `false` as a schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$ref":
            out[key] = _ref(value)
        elif key in _FACTS or (key == "default" and len(json.dumps(value)) <= _CHEAP_DEFAULT):
            out[key] = value
        elif key in _ONE:
            out[key] = schema_facts(value)
        elif key in _MANY:
            out[key] = [schema_facts(item) for item in value]
        elif key in _NAMED:
            out[key] = {name: schema_facts(item) for name, item in value.items()}
        elif key == "discriminator":
            mapping = {tag: _ref(target) for tag, target in value.get("mapping", {}).items()}
            out[key] = {"propertyName": value["propertyName"], **({"mapping": mapping} if mapping else {})}
    return out


def _media(content: dict[str, Any]) -> dict[str, Any]:
    return {media: schema_facts(entry.get("schema", {})) for media, entry in content.items()}


def operation_facts(method: str, path: str, spec: dict[str, Any]) -> dict[str, Any]:
    parameters = {}
    for param in spec.get("parameters", []):
        schema = param["schema"] if "schema" in param else next(iter(param["content"].values()))["schema"]
        facts = {"in": param["in"], "required": bool(param.get("required", False)), "schema": schema_facts(schema)}
        parameters[param["name"]] = facts | ({"deprecated": True} if param.get("deprecated") else {})
    out: dict[str, Any] = {"method": method.upper(), "path": path, "deprecated": bool(spec.get("deprecated", False))}
    if parameters:
        out["parameters"] = parameters
    if "requestBody" in spec:
        body = spec["requestBody"]
        out["request"] = {"required": bool(body.get("required", False)), "content": _media(body.get("content", {}))}
    out["responses"] = {str(status): _media(answer.get("content", {})) for status, answer in spec["responses"].items()}
    return out


def _components_in(schema: Any) -> Iterator[str]:
    """Names of the components `schema` refers to (not `#/$defs/…`, local to an inline schema)."""
    if not isinstance(schema, dict):
        return
    targets = [schema.get("$ref"), *schema.get("discriminator", {}).get("mapping", {}).values()]
    yield from (target for target in targets if target is not None and not target.startswith("#"))
    for key in _ONE:
        yield from _components_in(schema.get(key))
    for key in _MANY:
        for item in schema.get(key, ()):
            yield from _components_in(item)
    for key in _NAMED:
        for item in schema.get(key, {}).values():
            yield from _components_in(item)


def _schemas_of(operation: dict[str, Any]) -> Iterator[Any]:
    yield from (param["schema"] for param in operation.get("parameters", {}).values())
    yield from operation.get("request", {}).get("content", {}).values()
    for content in operation["responses"].values():
        yield from content.values()


def document_facts(document: dict[str, Any], source: str, skip: frozenset[tuple[str, str]]) -> dict[str, Any]:
    """The operations not in `skip` (method, path pairs), and every component schema they reach."""
    operations = {
        spec["operationId"]: operation_facts(method, path, spec)
        for path, item in document["paths"].items()
        for method, spec in item.items()
        if method in METHODS and (method.upper(), path) not in skip
    }
    components = document["components"]["schemas"]
    schemas: dict[str, Any] = {}
    pending = [name for op in operations.values() for schema in _schemas_of(op) for name in _components_in(schema)]
    while pending:
        name = pending.pop()
        if name not in schemas:
            schemas[name] = schema_facts(components[name])
            pending += _components_in(schemas[name])
    return {"source": source, "version": str(document["info"]["version"]), "operations": operations, "schemas": schemas}


def build(ref: Path) -> dict[str, Any]:
    current, legacy = (load_yaml((ref / SOURCES[name]).read_text()) for name in (CURRENT, LEGACY))
    in_current = frozenset(
        (method.upper(), path) for path, item in current["paths"].items() for method in item if method in METHODS
    )
    return {
        "about": "Generated by `python -m server.reference.build` from ../shared/ref; do not edit by hand.",
        "documents": {
            CURRENT: document_facts(current, SOURCES[CURRENT], frozenset()),
            # Only what the current document no longer describes (fine-tuning jobs): one answer per operation.
            LEGACY: document_facts(legacy, SOURCES[LEGACY], in_current),
        },
    }


def render(digest: Any, expand: int = 4) -> str:
    """Sorted, compact JSON, one operation or schema a line, so that a change reads as a small diff."""
    if expand == 0 or not isinstance(digest, dict):
        return json.dumps(digest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    entries = (f"{json.dumps(key)}:{render(value, expand - 1)}" for key, value in sorted(digest.items()))
    return "{\n" + ",\n".join(entries) + "\n}" + ("\n" if expand == 4 else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.reference.build", description=__doc__.splitlines()[0])
    parser.add_argument("--ref", type=Path, default=DEFAULT_REF, help=f"the documents' folder (default {DEFAULT_REF})")
    parser.add_argument("--digest", type=Path, default=DIGEST, help=f"the digest to write or check (default {DIGEST})")
    parser.add_argument("--check", action="store_true", help="exit 1 if the digest is not what the documents give")
    args = parser.parse_args(argv)
    text = render(build(args.ref))
    if not args.check:
        args.digest.write_text(text)
        print(f"wrote {args.digest} ({len(text.encode())} bytes)")
        return 0
    if not args.digest.exists() or args.digest.read_text() != text:
        print(
            f"{args.digest} differs from what {args.ref} gives: run python -m server.reference.build", file=sys.stderr
        )
        return 1
    print(f"{args.digest} matches {args.ref}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
