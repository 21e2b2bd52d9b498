"""HTML for the manage page: find a connection by its URL, see its usage, act on it.

The token travels in a hidden field of each form (the pages are never cached), so every
action works without JavaScript, cookies or a server-side session.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from server.web.policy_templates import policy_summary
from server.web.setup_guides import client_setups
from server.web.templates import alert, layout, secret_url_block
from server.web.usage_chart import caps_block, daily_chart


def _when(iso: str | None, never: str = "never") -> str:
    if not iso:
        return never
    moment = datetime.fromisoformat(iso)
    return f'<time datetime="{escape(iso)}">{moment.strftime("%Y-%m-%d %H:%M")} UTC</time>'


def _token_field(token: str) -> str:
    return f'<input type="hidden" name="token" value="{escape(token)}">'


def lookup_page(error: str | None = None) -> str:
    error_box = alert(error) if error else ""
    described = "form-error token-help" if error else "token-help"
    # After an error, focus goes back to the field: the next try is one paste away.
    focus = " autofocus" if error else ""
    return layout(
        f"""
<h1>Manage a connection</h1>
<p class="lead">Paste the MCP URL you were given, or just its token, to see its usage, rotate the URL,
replace the Mistral key or revoke it.</p>
{error_box}
<form class="card" method="post" action="/manage">
  <input type="hidden" name="action" value="show">
  <label for="token">Your MCP URL or token</label>
  <input id="token" name="token" type="password" autocomplete="off" autocapitalize="off" spellcheck="false"
         required maxlength="2048" enterkeyhint="go" aria-describedby="{described}"{focus}>
  <p class="hint" id="token-help">It starts with <code>mmcp_</code> after <code>/mcp/</code>. The URL is the only
  thing that identifies you here; we cannot look it up for you.</p>
  <button type="submit">Show my connection</button>
</form>
""",
        title="Manage a connection",
        section="manage",
    )


def _usage_table(usage: dict[str, dict[str, int]]) -> str:
    if not usage:
        return '<p class="hint">No tool calls yet.</p>'
    rows = "".join(
        f'<tr><th scope="row"><code>{escape(tool)}</code></th><td>{u["calls"]:,}</td><td>{u["errors"]:,}</td>'
        f"<td>{u['prompt_tokens']:,}</td><td>{u['completion_tokens']:,}</td></tr>"
        for tool, u in sorted(usage.items())
    )
    return (
        '<div class="table-scroll" tabindex="0" role="region" aria-label="Usage per tool"><table id="usage">'
        "<caption>Usage per tool, since the start</caption>"
        '<thead><tr><th scope="col">Tool</th><th scope="col">Calls</th><th scope="col">Errors</th>'
        '<th scope="col">Tokens in</th><th scope="col">Tokens out</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )


def _status(info: dict[str, Any]) -> str:
    return f"""
<dl class="card status" id="status">
  <dt>Status</dt><dd>Active</dd>
  <dt>Connection</dt><dd><code>{escape(info["id"])}</code></dd>
  <dt>Created</dt><dd>{_when(info["created_at"])}</dd>
  <dt>Last used</dt><dd>{_when(info["last_used_at"])}</dd>
  <dt>Mistral key</dt><dd>ends in <code>{escape(info["key_hint"])}</code>, set {_when(info["key_updated_at"])}</dd>
  <dt>URL rotated</dt><dd>{_when(info["token_rotated_at"], "not yet")}</dd>
  {policy_summary(info)}
  <dt>Tool calls</dt><dd id="calls">{info["calls"]}</dd>
</dl>
<h2>Usage</h2>
{caps_block(info["caps"])}
{daily_chart(info["daily"]) if info["calls"] else ""}
{_usage_table(info["usage"])}
"""


def _actions(token: str, choices: str) -> str:
    hidden = _token_field(token)
    return f"""
<h2>Change it</h2>
<form class="card" method="post" action="/manage" id="policy-form">
  {hidden}<input type="hidden" name="action" value="policy">
  <h3>Tools and limits</h3>
  {choices}
  <p class="hint">Takes effect at once, on the same URL. Clients that remember the tool list see the change within
  a minute; a tool you turn off is refused straight away.</p>
  <button type="submit">Save tools and limits</button>
</form>
<form class="card" method="post" action="/manage">
  {hidden}<input type="hidden" name="action" value="rotate">
  <h3>Rotate the URL</h3>
  <p class="hint">You get a new URL, shown once; the current one stops working at once, and so does every
  app you signed in with it (they ask you to sign in again). Your key stays.</p>
  <button type="submit" class="secondary">Rotate the URL</button>
</form>
<form class="card" method="post" action="/manage">
  {hidden}<input type="hidden" name="action" value="replace_key">
  <h3>Replace the Mistral key</h3>
  <label for="api_key">New Mistral API key</label>
  <input id="api_key" name="api_key" type="password" autocomplete="off" autocapitalize="off" spellcheck="false"
         required maxlength="256" aria-describedby="new-key-help">
  <p class="hint" id="new-key-help">We check it with Mistral first; the old key stays if Mistral refuses it.
  The URL does not change.</p>
  <button type="submit" class="secondary">Replace the key</button>
</form>
<form class="card danger" method="post" action="/manage">
  {hidden}<input type="hidden" name="action" value="revoke">
  <h3>Revoke</h3>
  <p class="hint">The URL stops working at once and your Mistral key is erased from our database.</p>
  <label class="check"><input type="checkbox" name="confirm" value="yes" required>
  I understand: every client using this URL loses access.</label>
  <button type="submit" class="danger">Revoke this URL</button>
</form>
<form method="post" action="/manage">{hidden}<input type="hidden" name="action" value="show">
  <button type="submit" class="secondary">Refresh</button></form>
"""


def status_page(
    token: str, info: dict[str, Any], choices: str, *, notice: str | None = None, error: str | None = None
) -> str:
    """The connection's status and its forms; `choices` is the tools-and-limits fieldsets, filled in."""
    boxes = (alert(notice, title="Done.", kind="notice", element_id="notice") if notice else "") + (
        alert(error) if error else ""
    )
    return layout(
        f"<h1>Your connection</h1>{boxes}{_status(info)}{_actions(token, choices)}",
        title="Your connection",
        section="manage",
    )


def rotated_page(token: str, mcp_url: str, mcp_endpoint: str, info: dict[str, Any], choices: str) -> str:
    return layout(
        secret_url_block(mcp_url, token, heading="Your new MCP URL")
        + "<p>The old URL no longer works: paste this one into your clients instead.</p>"
        + client_setups(mcp_url, mcp_endpoint)
        + _status(info)
        + _actions(token, choices),
        title="Your new MCP URL",
        section="manage",
    )


def revoked_page() -> str:
    return layout(
        """
<h1>Revoked</h1>
<div class="card notice" role="status" id="notice"><strong>Done.</strong> The URL no longer works, and your
Mistral key has been erased from our database.</div>
<p><a href="/">Create a new URL</a> whenever you want one.</p>
""",
        title="Revoked",
        section="manage",
    )
