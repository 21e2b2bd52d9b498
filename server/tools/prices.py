"""List prices of Mistral chat models, for the cost a model comparison shows next to each answer.

Mistral's API returns token counts, never prices; these are the prices per million tokens published on
mistral.ai/pricing, as noted on `NOTED`. A model outside this table (a fine-tuned one, a new family)
gets no estimate rather than a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

NOTED = "2025-12"
CURRENCY = "USD"
# Family -> (input, output) per million tokens.
PER_MILLION_TOKENS: dict[str, tuple[float, float]] = {
    "mistral-large": (0.5, 1.5),
    "mistral-medium": (0.4, 2.0),
    "mistral-small": (0.1, 0.3),
    "magistral-medium": (2.0, 5.0),
    "magistral-small": (0.5, 1.5),
    "devstral-medium": (0.4, 2.0),
    "devstral-small": (0.1, 0.3),
    "codestral": (0.3, 0.9),
    "pixtral-large": (2.0, 6.0),
    "ministral-8b": (0.1, 0.1),
    "ministral-3b": (0.04, 0.04),
    "open-mistral-nemo": (0.15, 0.15),
}
# A model id is its family plus a version: mistral-small-latest, mistral-small-2506, codestral-2508.
_VERSION = re.compile(r"-(?:latest|\d{4})$")


def family(model: str) -> str:
    return _VERSION.sub("", model)


def estimate(model: str, usage: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The list-price cost of one reply, or None when the model's price or the token counts are unknown."""
    price = PER_MILLION_TOKENS.get(family(model))
    if price is None or not usage:
        return None
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens") or 0
    if not isinstance(prompt, int) or not isinstance(completion, int):
        return None
    amount = (prompt * price[0] + completion * price[1]) / 1_000_000
    return {"amount": round(amount, 8), "currency": CURRENCY, "prices_noted": NOTED}
