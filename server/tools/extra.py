"""The `extra` argument: rarely used Mistral request fields grouped in one object, so the listing a model
reads every turn stays short and nothing the API takes is lost.

Each field is checked against the request schema of the tool's operation in the API reference's
committed digest (`server.reference`) before the call, then merged into the forwarded body.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from server.errors import ToolArgumentError
from server.reference import Document, Reference, Schema, load
from server.tools.spec import EXTRA, ToolSpec

__all__ = ["EXTRA", "ExtraFields", "extra_schema"]


def extra_schema(fields: Iterable[str]) -> Schema:
    """The `extra` argument of a tool that takes `fields` in it: a free object, its fields named once."""
    return {"type": "object", "description": f"Rarely needed Mistral fields: {', '.join(sorted(fields))}."}


class ExtraFields:
    """Validators for the `extra` fields of every tool that has them, read from the reference once."""

    def __init__(self, specs: Iterable[ToolSpec], reference: Reference | None = None) -> None:
        self._validators: dict[str, dict[str, Draft202012Validator]] = {}
        wanting = [spec for spec in specs if spec.extra]
        if not wanting:
            return
        reference = reference if reference is not None else load()
        registries: dict[str, Registry[Any]] = {}
        for spec in wanting:
            operation = reference.operation(spec.method, spec.path)
            document = reference.document_of(operation)
            if document.name not in registries:
                registries[document.name] = _components(document)
            properties = _body_properties(document, next(iter(operation.body.values()), {}))
            unknown = spec.extra - set(properties)
            if unknown:
                raise ValueError(f"{spec.name}: extra fields {sorted(unknown)} are not in {operation.operation_id}")
            self._validators[spec.name] = {
                name: Draft202012Validator(properties[name], registry=registries[document.name]) for name in spec.extra
            }

    def check(self, tool: str, extra: Mapping[str, Any]) -> None:
        """Raises:
        ToolArgumentError: naming the first field of `extra` the tool does not take there or Mistral rejects.
        """
        validators = self._validators.get(tool, {})
        for name, value in extra.items():
            validator = validators.get(name)
            if validator is None:
                accepted = ", ".join(sorted(validators))
                raise ToolArgumentError(f"Unknown field 'extra.{name}'. Allowed in extra: {accepted}.")
            error = best_match(validator.iter_errors(value))
            if error is not None:
                where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
                shown = error.message if len(error.message) < 300 else error.message[:300] + "…"
                raise ToolArgumentError(f"Invalid argument 'extra.{name}{where}': {shown}.")


def _components(document: Document) -> Registry[Any]:
    """The document's components, each reachable by the bare name its `$ref`s use."""
    resources = [(name, Resource.from_contents(schema, DRAFT202012)) for name, schema in document.schemas.items()]
    return Registry().with_resources(resources)


def _body_properties(document: Document, body: Schema) -> dict[str, Schema]:
    """The fields of a request body, the parts of an `allOf` merged (a request and its `stream` flag)."""
    body = document.resolve(body)
    properties: dict[str, Schema] = dict(body.get("properties", {}))
    for part in body.get("allOf", []):
        properties.update(_body_properties(document, part))
    return properties
