"""The result size cap: what is cut, what is kept, and that the note says so."""

from __future__ import annotations

import json
from typing import Any

from server.tools.limits import MAX_RESULT_CHARS, fit_result, json_size, shrink


def total(text: str, structured: dict[str, Any] | None) -> int:
    return len(text) + (json_size(structured) if structured is not None else 0)


def test_a_small_result_is_left_alone() -> None:
    structured = {"data": [1, 2, 3]}
    assert fit_result("hello", structured) == ("hello", structured)


def test_a_long_list_keeps_whole_leading_items_and_the_note_counts_them() -> None:
    vectors = [{"index": i, "embedding": [0.123456789] * 1024} for i in range(200)]
    structured = {"model": "mistral-embed", "data": vectors, "usage": {"total_tokens": 200}}
    text, cut = fit_result("200 embeddings", structured)
    assert cut is not None
    assert total(text, cut) <= MAX_RESULT_CHARS
    kept = cut["data"]
    assert 0 < len(kept) < 200 and kept == vectors[: len(kept)]
    assert cut["model"] == "mistral-embed" and cut["usage"] == {"total_tokens": 200}
    assert f"data: kept {len(kept)} of 200 items" in text
    assert text.startswith("200 embeddings\n\n[Result cut to stay under the 150,000-character limit")


def test_a_huge_reply_is_cut_in_both_text_and_structured_content() -> None:
    reply = "word " * 60_000
    structured = {"choices": [{"index": 0, "message": {"role": "assistant", "content": reply}}]}
    text, cut = fit_result(reply, structured)
    assert cut is not None
    assert total(text, cut) <= MAX_RESULT_CHARS
    content = cut["choices"][0]["message"]["content"]
    assert content.endswith("…[cut]") and reply.startswith(content.removesuffix("…[cut]"))
    assert "the text was cut from 300,000" in text
    assert "choices[0].message.content: text cut from 300,000" in text


def test_strings_full_of_escapes_still_fit_their_budget() -> None:
    cuts: list[str] = []
    quoted = '"\n' * 50_000
    smaller = shrink(quoted, 10_000, "s", cuts)
    assert json_size(smaller) <= 10_000
    assert cuts and cuts[0].startswith("s: text cut from 100,000")


def test_cutting_keeps_every_key_and_type() -> None:
    structured = {"a": ["x" * 100_000, "y"], "b": {"c": "z" * 100_000}, "n": 1, "flag": True, "none": None}
    _, cut = fit_result("t", structured)
    assert cut is not None
    assert set(cut) == set(structured) and cut["n"] == 1 and cut["flag"] is True and cut["none"] is None
    assert isinstance(cut["a"], list) and isinstance(cut["b"]["c"], str)
    assert total("t", cut) <= MAX_RESULT_CHARS


def test_other_blocks_leave_less_room() -> None:
    structured = {"data": ["x" * 1000] * 100}
    text, cut = fit_result("t", structured, other_chars=120_000)
    assert cut is not None
    assert total(text, cut) + 120_000 <= MAX_RESULT_CHARS
    assert json.loads(json.dumps(cut))["data"]
