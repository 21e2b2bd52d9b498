"""HTML for the sign-up and result pages: no third-party assets, works without JavaScript."""

from __future__ import annotations

import json
from html import escape

_TITLE = "Mistral for any AI client"


def layout(body: str, title: str = _TITLE) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{escape(title)} · mistral-mcp</title>
<link rel="stylesheet" href="/static/app.css">
</head>
<body>
<main>
{body}
<footer>mistral-mcp · your key is encrypted at rest and used only to call Mistral for you.</footer>
</main>
<script src="/static/app.js" defer></script>
</body>
</html>
"""


def signup_page(error: str | None = None) -> str:
    error_box = (
        f'<div class="card error" role="alert" id="form-error"><strong>That did not work.</strong> {escape(error)}</div>'
        if error
        else ""
    )
    described = ' aria-describedby="form-error key-help"' if error else ' aria-describedby="key-help"'
    return layout(f"""
<h1>Use <span>Mistral</span> from any AI client</h1>
<p class="lead">Paste your Mistral API key and get one private MCP URL. Add that URL to Claude, Cursor,
VS Code, ChatGPT or Le Chat, and they can chat with Mistral models, embed, complete code and moderate text
with your key.</p>
{error_box}
<form class="card" method="post" action="/">
  <label for="api_key">Mistral API key</label>
  <input id="api_key" name="api_key" type="password" autocomplete="off" autocapitalize="off" spellcheck="false"
         required maxlength="256"{described}>
  <p class="hint" id="key-help">Create one at <a href="https://console.mistral.ai/api-keys" rel="noreferrer">console.mistral.ai/api-keys</a>.
  We check it with Mistral before saving anything.</p>
  <button type="submit">Create my MCP URL</button>
</form>
<h2>What we store</h2>
<ul class="facts">
  <li>Your Mistral key, encrypted at rest (AES-256-GCM), used only to call Mistral on your behalf.</li>
  <li>A hash of your URL's secret token, never the token itself: we cannot show the URL again.</li>
  <li>Call counts per tool. Never your prompts or Mistral's replies.</li>
  <li>You can revoke the URL, rotate it or replace the key at any time with the token in your URL.</li>
</ul>
""")


def _snippet(element_id: str, text: str) -> str:
    return (
        f'<pre id="{element_id}">{escape(text)}</pre>'
        f'<button type="button" class="secondary" data-copy="{element_id}" hidden>Copy</button>'
    )


def client_setups(mcp_url: str, public_url: str, token: str) -> str:
    cursor = json.dumps({"mcpServers": {"mistral": {"url": mcp_url}}}, indent=2)
    vscode = json.dumps({"servers": {"mistral": {"type": "http", "url": mcp_url}}}, indent=2)
    vscode_header = json.dumps(
        {
            "inputs": [
                {
                    "id": "mistral-mcp-token",
                    "type": "promptString",
                    "description": "mistral-mcp token",
                    "password": True,
                }
            ],
            "servers": {
                "mistral": {
                    "type": "http",
                    "url": f"{public_url}/mcp",
                    "headers": {"Authorization": "Bearer ${input:mistral-mcp-token}"},
                }
            },
        },
        indent=2,
    )
    desktop = json.dumps(
        {"mcpServers": {"mistral": {"command": "npx", "args": ["-y", "mcp-remote", mcp_url]}}}, indent=2
    )
    return f"""
<h2>Add it to your client</h2>
<details open><summary>Claude (claude.ai, Desktop, mobile)</summary>
<p>Settings → Connectors → <em>Add custom connector</em>. Name it “Mistral” and paste the URL above.</p></details>
<details><summary>Claude Desktop through mcp-remote</summary>
<p>In <code>claude_desktop_config.json</code>:</p>{_snippet("setup-desktop", desktop)}</details>
<details><summary>Claude Code</summary>{_snippet("setup-claude-code", f"claude mcp add --transport http mistral {mcp_url}")}</details>
<details><summary>Cursor</summary><p>In <code>~/.cursor/mcp.json</code>:</p>{_snippet("setup-cursor", cursor)}</details>
<details><summary>VS Code</summary><p>In <code>.vscode/mcp.json</code>:</p>{_snippet("setup-vscode", vscode)}
<p>Or keep the secret out of the file: VS Code asks for the token (<code>{escape(token[:5])}…</code>, the last part of your URL) once.</p>
{_snippet("setup-vscode-header", vscode_header)}</details>
<details><summary>ChatGPT (developer mode)</summary>
<p>Settings → Apps &amp; Connectors → Advanced → Developer mode, then <em>Create</em> a connector with the URL above and no authentication.</p></details>
<details><summary>Mistral Le Chat</summary>
<p>Intelligence → Connectors → <em>Add connector</em> → Custom MCP connector, paste the URL above, no authentication.</p></details>
"""


def result_page(mcp_url: str, public_url: str, token: str) -> str:
    return layout(
        f"""
<h1>Your <span>Mistral</span> MCP URL</h1>
<div class="card warning" role="note"><strong>Copy it now: it is shown only once.</strong>
It works like a password: anyone with it can use Mistral with your key. Keep it out of shared files and screenshots.</div>
<div class="card">
  <label for="mcp-url">MCP URL</label>
  <code class="url" id="mcp-url">{escape(mcp_url)}</code>
  <button type="button" data-copy="mcp-url" hidden>Copy URL</button>
</div>
{client_setups(mcp_url, public_url, token)}
<p class="hint">Lost it? <a href="/">Create a new URL</a>; the old one keeps working until you revoke it.</p>
""",
        title="Your MCP URL",
    )
