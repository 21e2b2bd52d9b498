"""Usage as pictures, drawn on the server as inline SVG: calls and tokens per day, and each cap's bar.

No script, no style attribute (the pages' CSP allows neither) and nothing fetched: shapes carry
classes, and app.css colours them for light and dark. The SVGs stretch to the card's width (their
strokes do not), and each has a text alternative saying what it shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from html import escape
from typing import Any

# viewBox units: one slot per day, a bar a little narrower than its slot.
WIDTH = 300.0
HEIGHT = 60.0
_GAP = 0.2  # of a slot, between bars


def _number(value: int) -> str:
    return f"{value:,}"


def _count(value: int, noun: str) -> str:
    return f"{value:,} {noun}{'' if value == 1 else 's'}"


def _short(day: str) -> str:
    moment = date.fromisoformat(day)
    return f"{moment:%b} {moment.day}"


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _peak_words(days: Sequence[Mapping[str, Any]], field: str, unit: str) -> str:
    total = sum(int(d[field]) for d in days)
    if not total:
        return f"no {unit} in the last {len(days)} days"
    peak = max(days, key=lambda d: int(d[field]))
    return f"{_number(total)} {unit} in the last {len(days)} days, at most {_number(int(peak[field]))} on {peak['day']}"


def bars_svg(days: Sequence[Mapping[str, Any]], field: str, unit: str) -> str:
    """One bar per day, heights in proportion to the busiest day's `field`."""
    slot = WIDTH / max(len(days), 1)
    peak = max((int(d[field]) for d in days), default=0) or 1
    bars = []
    for index, d in enumerate(days):
        height = HEIGHT * int(d[field]) / peak
        bars.append(
            f'<rect class="bar" x="{_fmt(index * slot + slot * _GAP / 2)}" y="{_fmt(HEIGHT - height)}" '
            f'width="{_fmt(slot * (1 - _GAP))}" height="{_fmt(height)}">'
            f"<title>{escape(d['day'])}: {_number(int(d[field]))} {unit}</title></rect>"
        )
    return (
        f'<svg class="chart bars" viewBox="0 0 {_fmt(WIDTH)} {_fmt(HEIGHT)}" preserveAspectRatio="none" '
        f'role="img" aria-label="{escape(_peak_words(days, field, unit).capitalize())}">'
        f'<line class="axis" x1="0" y1="{_fmt(HEIGHT)}" x2="{_fmt(WIDTH)}" y2="{_fmt(HEIGHT)}"/>'
        f"{''.join(bars)}</svg>"
    )


def line_svg(days: Sequence[Mapping[str, Any]], field: str, unit: str) -> str:
    """A line through each day's `field` at the middle of its slot, the busiest day at the top."""
    slot = WIDTH / max(len(days), 1)
    peak = max((int(d[field]) for d in days), default=0) or 1
    points = " ".join(
        f"{_fmt(index * slot + slot / 2)},{_fmt(HEIGHT - HEIGHT * int(d[field]) / peak)}"
        for index, d in enumerate(days)
    )
    return (
        f'<svg class="chart line" viewBox="0 0 {_fmt(WIDTH)} {_fmt(HEIGHT)}" preserveAspectRatio="none" '
        f'role="img" aria-label="{escape(_peak_words(days, field, unit).capitalize())}">'
        f'<line class="axis" x1="0" y1="{_fmt(HEIGHT)}" x2="{_fmt(WIDTH)}" y2="{_fmt(HEIGHT)}"/>'
        f'<polygon class="area" points="{_fmt(slot / 2)},{_fmt(HEIGHT)} {points} '
        f'{_fmt(WIDTH - slot / 2)},{_fmt(HEIGHT)}"/>'
        f'<polyline class="stroke" points="{points}"/></svg>'
    )


def daily_chart(days: Sequence[Mapping[str, Any]]) -> str:
    """Calls (bars) and tokens (a line) per day, oldest day on the left."""
    if not days:
        return ""
    calls = sum(int(d["calls"]) for d in days)
    tokens = sum(int(d["tokens"]) for d in days)
    return f"""
<figure class="card usage-chart" id="usage-chart">
  <figcaption>Last {len(days)} days <span class="hint">(UTC)</span></figcaption>
  <p class="chart-label">Tool calls per day <span class="hint">{_number(calls)} in all</span></p>
  {bars_svg(days, "calls", "calls")}
  <p class="chart-label">Mistral tokens per day <span class="hint">{_number(tokens)} in all</span></p>
  {line_svg(days, "tokens", "tokens")}
  <p class="chart-axis hint"><span>{_short(days[0]["day"])}</span><span>today</span></p>
</figure>"""


def cap_bar(used: int, cap: int) -> str:
    """How much of a cap is used, as a filled share of a track (full, and marked, at or over the cap)."""
    share = 1.0 if cap <= 0 else min(used / cap, 1.0)
    over = " over" if used >= cap else ""
    percent = 100 if cap <= 0 else min(round(100 * used / cap), 999)
    return (
        f'<svg class="cap-bar{over}" viewBox="0 0 100 8" preserveAspectRatio="none" role="img" '
        f'aria-label="{percent} % used">'
        f'<rect class="track" width="100" height="8"/>'
        f'<rect class="used" width="{_fmt(100 * share)}" height="8"/></svg>'
    )


def _reset(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")


def caps_block(caps: Mapping[str, Mapping[str, Any]]) -> str:
    """Each cap that is set, as a bar; without caps, today's and this month's counts in words."""
    rows = []
    for key, what, period in (("calls_per_day", "Tool calls", "today"), ("tokens_per_month", "Tokens", "this month")):
        entry = caps[key]
        if entry["cap"] is None:
            continue
        used, cap = int(entry["used"]), int(entry["cap"])
        reached = " (cap reached)" if used >= cap else ""  # in words too: colour alone says nothing to some
        rows.append(
            f'<div class="cap" id="cap-{key.replace("_", "-")}">'
            f'<p class="cap-label">{what} {period}: <strong>{_number(used)}</strong> of {_number(cap)}{reached} '
            f'<span class="hint">resets {_reset(entry["resets_at"])}</span></p>'
            f"{cap_bar(used, cap)}</div>"
        )
    if not rows:
        calls, tokens = caps["calls_per_day"]["used"], caps["tokens_per_month"]["used"]
        return (
            f'<p class="hint" id="caps">No caps on this connection. Today: {_count(calls, "tool call")}; '
            f"this month: {_count(tokens, 'Mistral token')}.</p>"
        )
    return f'<div class="card caps" id="caps"><h3>Caps</h3>{"".join(rows)}</div>'
