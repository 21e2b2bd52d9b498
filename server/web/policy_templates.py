"""HTML for choosing a connection's tools and limits: on sign-up, on the consent page, on the manage page.

Plain radio buttons, checkboxes and number fields: the choice works without JavaScript (app.js only
selects "custom" when a family box is ticked). Field names are the ones `server.policy.input` reads.
"""

from __future__ import annotations

from html import escape

from server.policy import CORE_TOOLS, CUSTOM, FAMILIES, PRESETS, Policy, Profile
from server.policy.input import FAMILY_FIELD
from server.tools.registry import ToolRegistry

_PRESET_LABELS = {"core": "Core (recommended)", "all": "Everything"}


def _checked(on: bool) -> str:
    return " checked" if on else ""


def _count(n: int) -> str:
    return f"{n} tool" if n == 1 else f"{n} tools"


def profile_fieldset(
    registry: ToolRegistry, profile: Profile, *, legend: str = "Which tools your AI client sees"
) -> str:
    """Radio buttons for the presets and "custom", then one box per family with its tool count."""
    per_family = {family: 0 for family in FAMILIES}
    for spec in registry:
        per_family[spec.family] = per_family.get(spec.family, 0) + 1
    counts = {"core": sum(1 for spec in registry if spec.name in CORE_TOOLS), "all": sum(per_family.values())}
    presets = "".join(
        f'<label class="check"><input type="radio" name="profile" value="{name}"{_checked(profile.preset == name)}>'
        f"<span><strong>{_PRESET_LABELS[name]}</strong>: {escape(about)} "
        f'<span class="hint">({_count(counts[name])})</span></span></label>'
        for name, about in PRESETS.items()
    )
    boxes = "".join(
        f'<label class="check"><input type="checkbox" name="{FAMILY_FIELD}{name}" value="on" data-family'
        f"{_checked(name in profile.families)}><span>{escape(about)} "
        f'<span class="hint">({_count(per_family[name])})</span></span></label>'
        for name, about in FAMILIES.items()
        if per_family[name] or name in profile.families  # a family whose tools are not served here is not offered
    )
    return f"""
<fieldset class="choice" id="profile">
  <legend>{escape(legend)}</legend>
  <p class="hint" id="profile-help">Your AI client reads every listed tool on every turn: a shorter list costs fewer
  tokens and helps the model choose. You can change this later on the manage page, with the same URL.</p>
  {presets}
  <label class="check"><input type="radio" name="profile" value="{CUSTOM}"{_checked(profile.preset is None)}>
  <span><strong>Only the families I tick</strong>:</span></label>
  <div class="families">{boxes}</div>
</fieldset>
"""


def _number(name: str, label: str, value: int | None) -> str:
    shown = "" if value is None else str(value)
    return (
        f'<label for="{name}">{escape(label)}</label>'
        f'<input id="{name}" name="{name}" type="number" min="1" step="1" inputmode="numeric" value="{shown}" '
        f'aria-describedby="caps-help">'
    )


def limits_fieldset(policy: Policy) -> str:
    """Read-only, the model allow-list and the two caps, filled with the current values."""
    models = " ".join(sorted(policy.allowed_models)) if policy.allowed_models is not None else ""
    return f"""
<fieldset class="choice" id="limits">
  <legend>Limits</legend>
  <label class="check"><input type="checkbox" name="read_only" value="on"{_checked(policy.read_only)}>
  <span><strong>Read-only</strong>: hide and refuse every tool that changes or deletes something.</span></label>
  <label for="allowed_models">Allowed models</label>
  <input id="allowed_models" name="allowed_models" type="text" value="{escape(models)}" autocomplete="off"
         autocapitalize="off" spellcheck="false" maxlength="4000" aria-describedby="models-help">
  <p class="hint" id="models-help">Model ids separated by spaces, e.g. <code>mistral-small-latest</code>. Calls naming
  another model are refused. Empty: every model.</p>
  {_number("calls_per_day", "Calls per day", policy.calls_per_day)}
  {_number("tokens_per_month", "Tokens per month", policy.tokens_per_month)}
  <p class="hint" id="caps-help">Empty: no cap.</p>
</fieldset>
"""


def policy_summary(info: dict[str, object]) -> str:
    """The profile and limits as `describe()` reports them, for the status card."""
    profile = str(info["profile"])
    if profile == CUSTOM:
        families = info.get("families")
        profile = "families: " + ", ".join(str(f) for f in families) if isinstance(families, list) else profile
    tools = info.get("tools")
    count = len(tools) if isinstance(tools, list) else 0
    models = info.get("allowed_models")
    return (
        f'<dt>Tools</dt><dd id="profile-summary">{escape(profile)} ({_count(count)}'
        f"{', read-only' if info.get('read_only') else ''})</dd>"
        f'<dt>Models</dt><dd id="models-summary">'
        f"{escape(', '.join(str(m) for m in models)) if isinstance(models, list) else 'any'}</dd>"
        f"<dt>Calls per day</dt><dd>{_cap(info.get('calls_per_day'))}</dd>"
        f"<dt>Tokens per month</dt><dd>{_cap(info.get('tokens_per_month'))}</dd>"
    )


def _cap(value: object) -> str:
    return f"at most {value:,}" if isinstance(value, int) else "no cap"
