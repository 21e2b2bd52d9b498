"""The usage pictures as markup: one point per day, heights and bars in proportion, text alternatives."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from xml.etree import ElementTree

from server.web.usage_chart import HEIGHT, WIDTH, bars_svg, cap_bar, caps_block, daily_chart, line_svg

SVG = "{http://www.w3.org/2000/svg}"


def thirty_days(calls: dict[int, int] | None = None, tokens: dict[int, int] | None = None) -> list[dict[str, Any]]:
    first = date(2031, 1, 1)
    return [
        {
            "day": (first + timedelta(days=i)).isoformat(),
            "calls": (calls or {}).get(i, 0),
            "errors": 0,
            "tokens": (tokens or {}).get(i, 0),
        }
        for i in range(30)
    ]


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg.replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1))  # noqa: S314 - our own markup


def test_bars_are_one_per_day_with_heights_in_proportion_to_the_busiest_day() -> None:
    svg = parse(bars_svg(thirty_days(calls={0: 10, 1: 5, 29: 20}), "calls", "calls"))
    bars = svg.findall(f"{SVG}rect")
    assert len(bars) == 30
    heights = [float(bar.get("height", "")) for bar in bars]
    assert heights[29] == HEIGHT and heights[0] == HEIGHT / 2 and heights[1] == HEIGHT / 4
    assert heights[2:29] == [0.0] * 27
    assert all(float(bar.get("y", "")) + h == HEIGHT for bar, h in zip(bars, heights, strict=True)), (
        "bars stand on the axis"
    )
    xs = [float(bar.get("x", "")) for bar in bars]
    assert xs == sorted(xs) and xs[0] > 0 and xs[-1] + float(bars[-1].get("width", "")) < WIDTH
    assert {bar.get("width") for bar in bars} == {"8"}
    assert bars[29].findtext(f"{SVG}title") == "2031-01-30: 20 calls"
    assert svg.get("role") == "img"
    assert svg.get("aria-label") == "35 calls in the last 30 days, at most 20 on 2031-01-30"


def test_the_token_line_has_a_point_for_each_of_30_days_the_busiest_at_the_top() -> None:
    svg = parse(line_svg(thirty_days(tokens={3: 1000, 4: 250}), "tokens", "tokens"))
    polyline = svg.find(f"{SVG}polyline")
    assert polyline is not None
    points = [tuple(map(float, p.split(","))) for p in (polyline.get("points") or "").split()]
    assert len(points) == 30
    assert [x for x, _ in points] == [5 + 10 * i for i in range(30)], "each point in the middle of its day"
    ys = [y for _, y in points]
    assert ys[3] == 0 and ys[4] == HEIGHT * 3 / 4 and ys[0] == HEIGHT
    assert "1,250 tokens" in (svg.get("aria-label") or "")


def test_a_quiet_month_draws_flat_and_says_so() -> None:
    svg = parse(bars_svg(thirty_days(), "calls", "calls"))
    assert {bar.get("height") for bar in svg.findall(f"{SVG}rect")} == {"0"}
    assert svg.get("aria-label") == "No calls in the last 30 days"


def test_the_chart_holds_both_pictures_and_no_style_or_script() -> None:
    html = daily_chart(thirty_days(calls={0: 1}, tokens={0: 9}))
    assert html.count("<svg") == 2
    assert "style=" not in html and "<script" not in html and "http" not in html
    assert "Jan 1" in html and "today" in html


def test_a_cap_bar_fills_the_used_share_and_is_marked_at_or_over_the_cap() -> None:
    def used_width(svg: str) -> float:
        match = re.search(r'class="used" width="([\d.]+)"', svg)
        assert match is not None
        return float(match.group(1))

    assert used_width(cap_bar(3, 4)) == 75
    assert used_width(cap_bar(1, 3)) == 33.33
    assert used_width(cap_bar(0, 10)) == 0
    assert "over" not in cap_bar(3, 4)
    assert used_width(cap_bar(150, 100)) == 100 and 'class="cap-bar over"' in cap_bar(150, 100)
    assert used_width(cap_bar(0, 0)) == 100 and "over" in cap_bar(0, 0)
    assert 'aria-label="150 % used"' in cap_bar(150, 100)


def caps(calls: int | None, tokens: int | None) -> dict[str, dict[str, Any]]:
    return {
        "calls_per_day": {"cap": calls, "used": 3, "resets_at": "2031-01-31T00:00:00+00:00"},
        "tokens_per_month": {"cap": tokens, "used": 12_345, "resets_at": "2031-02-01T00:00:00+00:00"},
    }


def test_only_caps_that_are_set_get_a_bar() -> None:
    html = caps_block(caps(10, None))
    assert html.count("<svg") == 1 and 'id="cap-calls-per-day"' in html
    assert "<strong>3</strong> of 10 <span" in html and "resets 2031-01-31 00:00 UTC" in html
    both = caps_block(caps(3, 10_000))
    assert both.count("<svg") == 2
    assert "of 3 (cap reached)" in both and "<strong>12,345</strong> of 10,000 (cap reached)" in both


def test_without_caps_the_counts_are_said_in_words() -> None:
    html = caps_block(caps(None, None))
    assert "<svg" not in html
    assert "No caps on this connection. Today: 3 tool calls; this month: 12,345 Mistral tokens." in html
