"""Keep every tool result under the size MCP clients accept (Claude: 150,000 characters).

Applied once, in `ToolRegistry.call`, to every tool. Tools already summarise and page; this
is the safety net for what they cannot bound (many embeddings, a long OCR, a huge reply).
Cutting never removes keys or changes types, only shortens lists and strings, so trimmed
structured content still matches the tool's output schema. The text always says what was cut.
"""

from __future__ import annotations

import json
from typing import Any

MAX_RESULT_CHARS = 150_000
# Room for the note that says what was cut, and for the JSON-RPC envelope around the result.
_RESERVE = 3_000
_MAX_NOTES = 8
_CUT_MARK = "…[cut]"
# Below this many characters, keeping a fragment of the first list item is not worth it.
_MIN_FRAGMENT = 200


def json_size(value: Any) -> int:
    """Characters `value` takes as compact JSON, as the SDK sends it."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def _cut_string(value: str, budget: int, path: str, cuts: list[str]) -> str:
    keep = max(0, min(len(value), budget) - len(_CUT_MARK) - 2)
    # Escapes (quotes, newlines) make JSON longer than the text: shrink until it fits.
    while keep > 0 and json_size(value[:keep] + _CUT_MARK) > budget:
        keep = int(keep * 0.8)
    cuts.append(f"{path}: text cut from {len(value):,} to {keep:,} characters")
    return value[:keep] + _CUT_MARK


def _cut_list(value: list[Any], budget: int, path: str, cuts: list[str]) -> list[Any]:
    used, keep = 2, 0  # the brackets
    for item in value:
        size = json_size(item) + 1
        if used + size > budget:
            break
        used += size
        keep += 1
    if keep == 0 and budget >= _MIN_FRAGMENT:
        first = shrink(value[0], budget - 2, f"{path}[0]", cuts)
        if len(value) > 1:
            cuts.append(f"{path}: kept 1 of {len(value):,} items")
        return [first]
    cuts.append(f"{path}: kept {keep:,} of {len(value):,} items")
    return value[:keep]


def _cut_dict(value: dict[str, Any], size: int, budget: int, path: str, cuts: list[str]) -> dict[str, Any]:
    sizes = {key: json_size(child) for key, child in value.items()}
    out = dict(value)
    excess = size - budget
    for key in sorted(out, key=lambda k: sizes[k], reverse=True):
        if excess <= 0:
            break
        child_path = f"{path}.{key}" if path else key
        smaller = shrink(out[key], max(sizes[key] - excess, 0), child_path, cuts)
        excess -= sizes[key] - json_size(smaller)
        out[key] = smaller
    return out


def shrink(value: Any, budget: int, path: str, cuts: list[str]) -> Any:
    """`value` cut down to about `budget` JSON characters; each cut is described in `cuts`."""
    size = json_size(value)
    if size <= budget:
        return value
    if isinstance(value, str):
        return _cut_string(value, budget, path or "value", cuts)
    if isinstance(value, list) and value:
        return _cut_list(value, budget, path or "value", cuts)
    if isinstance(value, dict):
        return _cut_dict(value, size, budget, path, cuts)
    return value  # numbers, booleans, null: nothing to cut


def fit_result(text: str, structured: dict[str, Any] | None, other_chars: int = 0) -> tuple[str, dict[str, Any] | None]:
    """Text and structured content that together stay under `MAX_RESULT_CHARS`.

    `other_chars` is what the tool's other content blocks (embedded files) already use.
    """
    # Tools bound their other blocks well below the limit; the floor is a guard, not a plan.
    budget = max(MAX_RESULT_CHARS - _RESERVE - other_chars, _MIN_FRAGMENT * 10)
    structured_size = json_size(structured) if structured is not None else 0
    if len(text) + structured_size <= budget:
        return text, structured
    notes: list[str] = []
    # The text is what a model reads: it keeps at least half the room when both are big.
    text_budget = max(budget - structured_size, budget // 2)
    if len(text) > text_budget:
        notes.append(f"the text was cut from {len(text):,} to {text_budget:,} characters")
        text = text[:text_budget]
    if structured is not None and structured_size > budget - len(text):
        cuts: list[str] = []
        structured = shrink(structured, budget - len(text), "", cuts)
        shown = cuts[:_MAX_NOTES] + ([f"and {len(cuts) - _MAX_NOTES} more cuts"] if len(cuts) > _MAX_NOTES else [])
        notes.append("structuredContent was shortened (" + "; ".join(shown) + ")")
    note = (
        f"\n\n[Result cut to stay under the {MAX_RESULT_CHARS:,}-character limit of MCP clients: "
        + "; ".join(notes)
        + ". Ask for less at a time (fewer inputs, a smaller page_size, specific pages or an offset) to get the rest.]"
    )
    return text + note, structured
