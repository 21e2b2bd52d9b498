"""A tiny pydantic-v2-like validator that yields FastAPI-shaped 422 error items.

The real Mistral API is a FastAPI/pydantic service, so a bad request body yields
``{"type": ..., "loc": ["body", ...], "msg": ..., "input": ...}`` items. This
module reproduces the common cases (missing, extra_forbidden, basic type errors,
numeric bounds, enums, unions, discriminated unions) with pydantic's wording.
Validation also coerces like pydantic's lax mode ("5" -> 5 for integers), so the
handlers get clean values back.
"""

from __future__ import annotations

import json
import operator
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Loc = tuple[str | int, ...]
ErrorItem = dict[str, Any]

_TRUE_STRINGS = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE_STRINGS = frozenset({"0", "off", "f", "false", "n", "no"})


def error_item(type_: str, loc: Loc, msg: str, input_: Any, ctx: Mapping[str, Any] | None = None) -> ErrorItem:
    item: ErrorItem = {"type": type_, "loc": list(loc), "msg": msg, "input": input_}
    if ctx:
        item["ctx"] = dict(ctx)
    return item


def _fmt(value: Any) -> str:
    return repr(value) if isinstance(value, str) else json.dumps(value)


def _or_list(values: Iterable[Any]) -> str:
    quoted = [_fmt(v) for v in values]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


class Spec:
    """Base class: ``validate`` appends errors and returns the coerced value.

    ``label`` is the name pydantic puts in ``loc`` for a member of a plain union.
    """

    @property
    def label(self) -> str:
        return "any"

    def validate(self, value: Any, loc: Loc, errors: list[ErrorItem]) -> Any:
        raise NotImplementedError


class AnyValue(Spec):
    @property
    def label(self) -> str:
        return "any"

    def validate(self, value: Any, loc: Loc, errors: list[ErrorItem]) -> Any:
        return value


@dataclass
class Str(Spec):
    max_length: int | None = None
    min_length: int | None = None
    pattern: str | None = None

    @property
    def label(self) -> str:
        return "str"

    def validate(self, value: Any, loc: Loc, errors: list[ErrorItem]) -> Any:
        if not isinstance(value, str):
            errors.append(error_item("string_type", loc, "Input should be a valid string", value))
            return value
        if self.min_length is not None and len(value) < self.min_length:
            unit = "character" if self.min_length == 1 else "characters"
            errors.append(
                error_item(
                    "string_too_short",
                    loc,
                    f"String should have at least {self.min_length} {unit}",
                    value,
                    {"min_length": self.min_length},
                )
            )
        if self.max_length is not None and len(value) > self.max_length:
            errors.append(
                error_item(
                    "string_too_long",
                    loc,
                    f"String should have at most {self.max_length} characters",
                    value,
                    {"max_length": self.max_length},
                )
            )
        if self.pattern is not None and re.search(self.pattern, value) is None:
            errors.append(
                error_item(
                    "string_pattern_mismatch",
                    loc,
                    f"String should match pattern '{self.pattern}'",
                    value,
                    {"pattern": self.pattern},
                )
            )
        return value


class HttpUrl(Spec):
    """pydantic's ``HttpUrl``: an absolute http(s) URL of at most 2083 characters."""

    @property
    def label(self) -> str:
        return "url"

    def validate(self, value: Any, loc: Loc, errors: list[ErrorItem]) -> Any:
        if not isinstance(value, str):
            errors.append(error_item("url_type", loc, "URL input should be a string or URL", value))
        elif not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#\s]+", value):
            errors.append(
                error_item("url_parsing", loc, "Input should be a valid URL, relative URL without a base", value)
            )
        elif not value.lower().startswith(("http://", "https://")):
            errors.append(
                error_item(
                    "url_scheme",
                    loc,
                    "URL scheme should be 'http' or 'https'",
                    value,
                    {"expected_schemes": "'http' or 'https'"},
                )
            )
        elif len(value) > 2083:
            errors.append(
                error_item("url_too_long", loc, "URL should have at most 2083 characters", value, {"max_length": 2083})
            )
        return value


_BOUNDS = (
    ("ge", operator.ge, "greater_than_equal", "greater than or equal to"),
    ("gt", operator.gt, "greater_than", "greater than"),
    ("le", operator.le, "less_than_equal", "less than or equal to"),
    ("lt", operator.lt, "less_than", "less than"),
)


@dataclass
class _Bounded(Spec):
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None

    def _check_bounds(self, number: float, loc: Loc, raw: Any, errors: list[ErrorItem]) -> None:
        for key, holds, type_, words in _BOUNDS:
            bound = getattr(self, key)
            if bound is not None and not holds(number, bound):
                errors.append(error_item(type_, loc, f"Input should be {words} {_num(bound)}", raw, {key: bound}))


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass
class Int(_Bounded):
    @property
    def label(self) -> str:
        return "int"

    def validate(self, value: Any, loc: Loc, errors: list[ErrorItem]) -> Any:
        number: int
        if isinstance(value, bool):
            errors.append(error_item("int_type", loc, "Input should be a valid integer", value))
            return value
        if isinstance(value, int):
            number = value
        elif isinstance(value, float):
            if not value.is_integer():
                errors.append(
                    error_item(
                        "int_from_float",
                        loc,
                        "Input should be a valid integer, got a number with a fractional part",
                        value,
                    )
                )
                return value
            number = int(value)
        elif isinstance(value, str):
            try:
                number = int(value.strip())
            except ValueError:
                errors.append(
                    error_item(
                        "int_parsing",
                        loc,
                        "Input should be a valid integer, unable to parse string as an integer",
                        value,
                    )
                )
                return value
        else:
            errors.append(error_item("int_type", loc, "Input should be a valid integer", value))
            return value
        self._check_bounds(number, loc, value, errors)
        return number


@dataclass
class Num(_Bounded):
    @property
    def label(self) -> str:
        return "float"

    def validate(self, value: Any, loc: Loc, errors: list[ErrorItem]) -> Any:
        number: float
        if isinstance(value, bool):
            errors.append(error_item("float_type", loc, "Input should be a valid number", value))
            return value
        if isinstance(value, (int, float)):
            number = value
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                errors.append(
                    error_item(
                        "float_parsing",
                        loc,
                        "Input should be a valid number, unable to parse string as a number",
                        value,
                    )
                )
                return value
        else:
            errors.append(error_item("float_type", loc, "Input should be a valid number", value))
            return value
        self._check_bounds(number, loc, value, errors)
        return number


class Bool(Spec):
    @property
    def label(self) -> str:
        return "bool"

    def validate(self, value: Any, loc: Loc, errors: list[ErrorItem]) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in _TRUE_STRINGS:
                return True
            if lowered in _FALSE_STRINGS:
                return False
            errors.append(
                error_item("bool_parsing", loc, "Input should be a valid boolean, unable to interpret input", value)
            )
            return value
        errors.append(error_item("bool_type", loc, "Input should be a valid boolean", value))
        return value


class DateTime(Spec):
    """An ISO-8601 datetime (``Z`` allowed) or a Unix timestamp; coerced to epoch seconds."""

    @property
    def label(self) -> str:
        return "datetime"

    def validate(self, value: Any, loc: Loc, errors: list[ErrorItem]) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(value)
        if isinstance(value, str):
            text = value.strip()
            if text.lstrip("-").isdigit():
                return int(text)
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                pass
            else:
                if parsed.tzinfo is None:
                    parsed = parsed.replace(tzinfo=UTC)
                return int(parsed.timestamp())
        errors.append(
            error_item(
                "datetime_from_date_parsing", loc, "Input should be a valid datetime or date, invalid input", value
            )
        )
        return value


class Uuid(Spec):
    @property
    def label(self) -> str:
        return "uuid"

    def validate(self, value: Any, loc: Loc, errors: list[ErrorItem]) -> Any:
        if isinstance(value, str):
            try:
                return str(uuid.UUID(value))
            except ValueError:
                pass
        errors.append(
            error_item(
                "uuid_parsing",
                loc,
                "Input should be a valid UUID, invalid character: expected an optional prefix of `urn:uuid:` "
                "followed by [0-9a-fA-F-], found `" + (str(value)[:1] or " ") + "` at 1",
                value,
            )
        )
        return value


@dataclass
class Enum(Spec):
    """A string enum (``enum`` error) or a ``Literal`` (``literal_error``)."""

    values: tuple[str, ...]
    literal: bool = False

    @property
    def label(self) -> str:
        return "literal[" + ",".join(repr(v) for v in self.values) + "]" if self.literal else "enum"

    def validate(self, value: Any, loc: Loc, errors: list[ErrorItem]) -> Any:
        if value in self.values and isinstance(value, str):
            return value
        expected = _or_list(self.values)
        errors.append(
            error_item(
                "literal_error" if self.literal else "enum",
                loc,
                f"Input should be {expected}",
                value,
                {"expected": expected},
            )
        )
        return value


def Literal(value: str) -> Enum:
    return Enum((value,), literal=True)


@dataclass
class Nullable(Spec):
    """``Optional[X]``: pydantic reports the inner error only, at the same loc."""

    inner: Spec

    @property
    def label(self) -> str:
        return self.inner.label

    def validate(self, value: Any, loc: Loc, errors: list[ErrorItem]) -> Any:
        if value is None:
            return None
        return self.inner.validate(value, loc, errors)


@dataclass
class ListOf(Spec):
    item: Spec
    max_items: int | None = None
    min_items: int | None = None

    @property
    def label(self) -> str:
        return f"list[{self.item.label}]"

    def validate(self, value: Any, loc: Loc, errors: list[ErrorItem]) -> Any:
        if not isinstance(value, list):
            errors.append(error_item("list_type", loc, "Input should be a valid list", value))
            return value
        if self.min_items is not None and len(value) < self.min_items:
            unit = "item" if self.min_items == 1 else "items"
            errors.append(
                error_item(
                    "too_short",
                    loc,
                    f"List should have at least {self.min_items} {unit} after validation, not {len(value)}",
                    value,
                    {"field_type": "List", "min_length": self.min_items, "actual_length": len(value)},
                )
            )
        if self.max_items is not None and len(value) > self.max_items:
            errors.append(
                error_item(
                    "too_long",
                    loc,
                    f"List should have at most {self.max_items} items after validation, not {len(value)}",
                    value,
                    {"field_type": "List", "max_length": self.max_items, "actual_length": len(value)},
                )
            )
        return [self.item.validate(item, (*loc, index), errors) for index, item in enumerate(value)]


@dataclass
class DictOf(Spec):
    value_spec: Spec = field(default_factory=AnyValue)

    @property
    def label(self) -> str:
        return "dict"

    def validate(self, value: Any, loc: Loc, errors: list[ErrorItem]) -> Any:
        if not isinstance(value, dict):
            errors.append(error_item("dict_type", loc, "Input should be a valid dictionary", value))
            return value
        return {key: self.value_spec.validate(item, (*loc, key), errors) for key, item in value.items()}


@dataclass
class Model(Spec):
    """A pydantic model: named fields, required names, and whether extras are forbidden.

    ``forbid_extra`` mirrors ``additionalProperties: false`` in the OpenAPI document;
    models without it silently ignore unknown fields (pydantic's default).
    """

    name: str
    fields: Mapping[str, Spec]
    required: frozenset[str] = frozenset()
    forbid_extra: bool = True

    @property
    def label(self) -> str:
        return self.name

    def validate(self, value: Any, loc: Loc, errors: list[ErrorItem]) -> Any:
        if not isinstance(value, dict):
            errors.append(
                error_item(
                    "model_type",
                    loc,
                    f"Input should be a valid dictionary or instance of {self.name}",
                    value,
                    {"class_name": self.name},
                )
            )
            return value
        return self.validate_fields(value, loc, errors)

    def validate_fields(self, value: dict[str, Any], loc: Loc, errors: list[ErrorItem]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, spec in self.fields.items():
            if name in value:
                out[name] = spec.validate(value[name], (*loc, name), errors)
            elif name in self.required:
                errors.append(error_item("missing", (*loc, name), "Field required", value))
        for name in value:
            if name in self.fields:
                continue
            if self.forbid_extra:
                errors.append(
                    error_item("extra_forbidden", (*loc, name), "Extra inputs are not permitted", value[name])
                )
            else:
                out[name] = value[name]
        return out


def Loose(name: str) -> Model:
    """A model whose inner fields this fake does not check."""
    return Model(name, {}, forbid_extra=False)


@dataclass
class Union(Spec):
    """A plain (smart-mode) union: first clean option wins, else every option's errors."""

    options: tuple[Spec, ...]

    @property
    def label(self) -> str:
        return "union[" + ",".join(option.label for option in self.options) + "]"

    def validate(self, value: Any, loc: Loc, errors: list[ErrorItem]) -> Any:
        collected: list[ErrorItem] = []
        for option in self.options:
            attempt: list[ErrorItem] = []
            coerced = option.validate(value, (*loc, option.label), attempt)
            if not attempt:
                return coerced
            collected.extend(attempt)
        errors.extend(collected)
        return value


def OneOf(*options: Spec) -> Union:
    return Union(tuple(options))


@dataclass
class Tagged(Spec):
    """A discriminated union (``discriminator.propertyName`` in the OpenAPI document)."""

    tag: str
    mapping: Mapping[str, Model]
    default_tag: str | None = None

    @property
    def label(self) -> str:
        return "tagged-union[" + ",".join(m.name for m in self.mapping.values()) + "]"

    def validate(self, value: Any, loc: Loc, errors: list[ErrorItem]) -> Any:
        if not isinstance(value, dict):
            errors.append(
                error_item(
                    "model_attributes_type",
                    loc,
                    "Input should be a valid dictionary or object to extract fields from",
                    value,
                )
            )
            return value
        discriminator = f"'{self.tag}'"
        tag = value.get(self.tag, self.default_tag)
        if tag is None:
            errors.append(
                error_item(
                    "union_tag_not_found",
                    loc,
                    f"Unable to extract tag using discriminator {discriminator}",
                    value,
                    {"discriminator": discriminator},
                )
            )
            return value
        if not isinstance(tag, str) or tag not in self.mapping:
            expected = ", ".join(f"'{t}'" for t in self.mapping)
            errors.append(
                error_item(
                    "union_tag_invalid",
                    loc,
                    f"Input tag '{tag}' found using {discriminator} does not match any of the "
                    f"expected tags: {expected}",
                    value,
                    {"discriminator": discriminator, "tag": str(tag), "expected_tags": expected},
                )
            )
            return value
        coerced = self.mapping[tag].validate(value, (*loc, tag), errors)
        if isinstance(coerced, dict):
            coerced.setdefault(self.tag, tag)
        return coerced


def validate_json_body(raw: bytes, schema: Model) -> tuple[dict[str, Any] | None, list[ErrorItem]]:
    """Parse and validate a JSON request body the way FastAPI does."""
    if not raw.strip():
        return None, [error_item("missing", ("body",), "Field required", None)]
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        position = exc.pos if isinstance(exc, json.JSONDecodeError) else 0
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "Invalid UTF-8"
        return None, [error_item("json_invalid", ("body", position), "JSON decode error", {}, {"error": reason})]
    errors: list[ErrorItem] = []
    if not isinstance(body, dict):
        errors.append(
            error_item(
                "model_attributes_type",
                ("body",),
                "Input should be a valid dictionary or object to extract fields from",
                body,
            )
        )
        return None, errors
    data = schema.validate_fields(body, ("body",), errors)
    return (None if errors else data), errors


class QueryReader:
    """Reads typed query parameters, collecting FastAPI-shaped errors at ``("query", name)``."""

    def __init__(self, params: Mapping[str, str], multi: Iterable[tuple[str, str]] = ()) -> None:
        self._params = params
        self._multi = list(multi)
        self.errors: list[ErrorItem] = []

    def get(self, name: str, spec: Spec, default: Any = None) -> Any:
        if name not in self._params:
            return default
        return spec.validate(self._params[name], ("query", name), self.errors)

    def get_list(self, name: str, spec: Spec) -> list[Any] | None:
        values = [value for key, value in self._multi if key == name]
        if not values:
            return None
        return [spec.validate(value, ("query", name, index), self.errors) for index, value in enumerate(values)]


def validate_path_uuid(value: str, name: str) -> tuple[str, list[ErrorItem]]:
    errors: list[ErrorItem] = []
    coerced = Uuid().validate(value, ("path", name), errors)
    return coerced, errors
