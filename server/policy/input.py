"""Read a profile and policy from what people send: JSON fields (the API) or form fields (the pages).

Every rule is checked before anything is stored or sent to Mistral, and a bad value is a 422
naming its field (`invalid_<field>`): unknown families or presets, empty selections, caps that
are not whole numbers of at least 1.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from server.errors import ApiError
from server.policy import CUSTOM, FAMILIES, PRESETS, Policy, Profile

POLICY_FIELDS = frozenset({"profile", "families", "read_only", "allowed_models", "calls_per_day", "tokens_per_month"})
"""The JSON fields `update` reads."""

MAX_MODELS = 50
MAX_MODEL_LENGTH = 128
# Whole numbers only, bounded far above any real use so a typo cannot overflow a column.
CAP_LIMITS = {"calls_per_day": 1_000_000_000, "tokens_per_month": 10**15}
_MODEL_ID = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces: Mistral's ids are like ft:open-mistral-7b:…


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, f"invalid_{field}", f"Field '{field}' {message}")


def _families(value: Any) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid("families", f"must be a list of family names: {', '.join(FAMILIES)}.")
    if not value:
        raise _invalid("families", f"is empty: choose at least one of {', '.join(FAMILIES)}.")
    unknown = sorted(set(value) - FAMILIES.keys())
    if unknown:
        raise _invalid("families", f"names unknown families ({', '.join(unknown)}); known: {', '.join(FAMILIES)}.")
    return frozenset(value)


def profile_of(body: Mapping[str, Any], current: Profile) -> Profile:
    """The profile `profile` and `families` choose: a preset, or families (alone or with "custom").

    Raises:
        ApiError: 422 naming the field.
    """
    preset, families = body.get("profile"), body.get("families")
    if preset is None and families is None:
        return current
    choices = ", ".join([*PRESETS, CUSTOM])
    if preset is not None and (not isinstance(preset, str) or preset not in {*PRESETS, CUSTOM}):
        raise _invalid("profile", f"must be one of {choices} (custom: the families listed in 'families').")
    if preset in PRESETS:
        if families is not None:
            raise _invalid("families", f"goes with the profile 'custom', not with the preset {preset!r}.")
        return Profile(preset)
    if families is None:
        raise _invalid("families", f"is required with the profile 'custom': choose from {', '.join(FAMILIES)}.")
    return Profile.of_families(_families(families))


def _allowed_models(value: Any) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid("allowed_models", "must be a list of model ids, or null to allow every model.")
    models = {item.strip() for item in value}
    if not models or models == {""}:
        raise _invalid("allowed_models", "is empty: give at least one model id, or null to allow every model.")
    if len(models) > MAX_MODELS:
        raise _invalid("allowed_models", f"lists more than {MAX_MODELS} models.")
    bad = sorted(m for m in models if len(m) > MAX_MODEL_LENGTH or not _MODEL_ID.fullmatch(m))
    if bad:
        raise _invalid("allowed_models", f"holds something that is not a model id: {bad[0][:40]!r}.")
    return frozenset(models)


def _cap(field: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= CAP_LIMITS[field]:
        raise _invalid(field, f"must be a whole number from 1 to {CAP_LIMITS[field]:,}, or null for no cap.")
    return value


def _read_only(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _invalid("read_only", "must be true or false.")
    return value


def update(body: Mapping[str, Any], current: Policy) -> Policy:
    """`current` with the fields `body` gives replaced (an absent field stays as it is; null lifts a limit).

    Raises:
        ApiError: 422 naming the first bad field; nothing has been changed.
    """
    changes: dict[str, Any] = {"profile": profile_of(body, current.profile)}
    if "read_only" in body:
        changes["read_only"] = _read_only(body["read_only"])
    if "allowed_models" in body:
        changes["allowed_models"] = _allowed_models(body["allowed_models"])
    for field in CAP_LIMITS:
        if field in body:
            changes[field] = _cap(field, body[field])
    return replace(current, **changes)


# --- HTML forms: the same rules, from fields a browser sends without any script ---

FAMILY_FIELD = "family_"
"""Each family is its own checkbox, `family_<name>`: a form field name carries one value here."""

_FAMILIES_WITH_PRESET = (
    'You ticked tool families but chose a preset: choose "Only the families I tick" to use them, '
    "or untick them (field 'families')."
)
_NO_FAMILY_TICKED = "Tick at least one tool family, or choose Core or Everything (field 'families')."


def form_profile(form: Mapping[str, str], current: Profile) -> Profile:
    """The profile chosen with the `profile` radio buttons and the `family_*` boxes.

    Raises:
        ApiError: 422 naming the field (no box ticked for "custom", boxes ticked with a preset).
    """
    ticked = [name for name in FAMILIES if form.get(FAMILY_FIELD + name)]
    preset = form.get("profile") or None
    if preset in PRESETS and ticked:
        raise ApiError(422, "invalid_families", _FAMILIES_WITH_PRESET)
    if preset == CUSTOM and not ticked:
        raise ApiError(422, "invalid_families", _NO_FAMILY_TICKED)
    return profile_of({"profile": preset, "families": ticked or None}, current)


def _form_cap(field: str, text: str) -> int | None:
    text = text.strip().replace(",", "").replace("_", "").replace(" ", "")
    if not text:
        return None
    try:
        return _cap(field, int(text))
    except ValueError:
        raise _invalid(field, "must be a whole number, or empty for no cap.") from None


def form_update(form: Mapping[str, str], current: Policy) -> Policy:
    """The whole policy from the manage page's form (an unticked box is false, an empty box no limit).

    Raises:
        ApiError: 422 naming the first bad field.
    """
    models = form.get("allowed_models", "").replace(",", " ").split()
    return replace(
        current,
        profile=form_profile(form, current.profile),
        read_only=bool(form.get("read_only")),
        allowed_models=_allowed_models(models) if models else None,
        calls_per_day=_form_cap("calls_per_day", form.get("calls_per_day", "")),
        tokens_per_month=_form_cap("tokens_per_month", form.get("tokens_per_month", "")),
    )
