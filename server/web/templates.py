"""HTML for the sign-up and result pages: no third-party assets, works without JavaScript.

Everything interpolated is escaped; the Mistral key a person typed is never put back into a page.
"""

from __future__ import annotations

from html import escape

from server.web.setup_guides import client_setups, snippet_block

_TITLE = "Mistral for any AI client"


def layout(body: str, title: str = _TITLE, *, section: str = "signup") -> str:
    signup_current = ' aria-current="page"' if section == "signup" else ""
    manage_current = ' aria-current="page"' if section == "manage" else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light dark">
<title>{escape(title)} · mistral-mcp</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/app.css">
</head>
<body>
<a class="skip" href="#content">Skip to content</a>
<header><nav aria-label="Site">
<a href="/" class="brand"{signup_current}>mistral-mcp</a>
<a href="/manage"{manage_current}>Manage a connection</a>
</nav></header>
<main id="content" tabindex="-1">
{body}
</main>
<footer>mistral-mcp · your key is encrypted at rest and used only to call Mistral for you.</footer>
<script src="/static/app.js" defer></script>
</body>
</html>
"""


def alert(
    message: str, *, title: str = "That did not work.", kind: str = "error", element_id: str = "form-error"
) -> str:
    role = "alert" if kind == "error" else "status"
    return (
        f'<div class="card {kind}" role="{role}" id="{element_id}"><strong>{escape(title)}</strong> '
        f"{escape(message)}</div>"
    )


def signup_page(profile_choice: str, error: str | None = None) -> str:
    """The sign-up form; `profile_choice` is the tool profile fieldset (`policy_templates.profile_fieldset`)."""
    error_box = alert(error) if error else ""
    described = "form-error key-help" if error else "key-help"
    # After an error, focus goes back to the field: the next try is one paste away.
    focus = " autofocus" if error else ""
    return layout(f"""
<h1>Use <span>Mistral</span> from any AI client</h1>
<p class="lead">Paste your Mistral API key once and get a private MCP URL. Add that URL to Claude, ChatGPT,
Cursor, VS Code or Le Chat, and they can chat with Mistral models, call functions, embed, complete code and
moderate text with your key.</p>
{error_box}
<form class="card" method="post" action="/">
  <label for="api_key">Mistral API key</label>
  <input id="api_key" name="api_key" type="password" autocomplete="off" autocapitalize="off" spellcheck="false"
         required maxlength="256" enterkeyhint="go" aria-describedby="{described}"{focus}>
  <p class="hint" id="key-help">Create one at <a href="https://console.mistral.ai/api-keys" rel="noreferrer">console.mistral.ai/api-keys</a>.
  We check it with Mistral before saving anything.</p>
  {profile_choice}
  <button type="submit">Create my MCP URL</button>
</form>
<h2>What we store, and how</h2>
<ul class="facts">
  <li><strong>Your Mistral key</strong>, only after Mistral accepts it, encrypted at rest (AES-256-GCM) and
  decrypted only to call Mistral for you.</li>
  <li><strong>A hash of your URL's secret token</strong>, never the token: nobody here can show your URL again.</li>
  <li><strong>Counts</strong>: when the URL was created and last used, calls and tokens per tool.
  Never your prompts or Mistral's replies.</li>
  <li><strong>Your choices</strong>: which tools the URL offers, and limits (read-only, allowed models, caps).</li>
  <li><strong>Your control</strong>: on the <a href="/manage">manage page</a> you can see usage, change the tools and
  limits, rotate the URL, replace the key, or revoke the URL, which erases the key at once.</li>
</ul>
""")


def secret_url_block(mcp_url: str, token: str, *, heading: str) -> str:
    """The URL shown once, its token, the warning, and a copy button for each."""
    return f"""
<h1>{heading}</h1>
<div class="card warning" role="note"><strong>Copy it now: it is shown only once.</strong>
It works like a password: anyone with it can use Mistral with your key. Keep it out of shared files,
chats and screenshots.</div>
<div class="card">
  <p class="label" id="mcp-url-label">Your MCP URL</p>
  <div class="snippet"><code class="url" id="mcp-url" aria-labelledby="mcp-url-label" tabindex="0">{escape(mcp_url)}</code>
  <button type="button" class="copy" data-copy="mcp-url" hidden>Copy URL</button></div>
  <details class="token"><summary>Just the token, for header-based setups</summary>
  <p class="hint">Send it as <code>Authorization: Bearer &lt;token&gt;</code> to the <code>/mcp</code> endpoint.</p>
  {snippet_block("mcp-token", token, "Copy token")}
  </details>
</div>
"""


def result_page(mcp_url: str, mcp_endpoint: str, token: str) -> str:
    return layout(
        secret_url_block(mcp_url, token, heading="Your <span>Mistral</span> MCP URL")
        + client_setups(mcp_url, mcp_endpoint)
        + """
<h2>Later</h2>
<p>See usage, rotate the URL, replace the key or revoke it on the <a href="/manage">manage page</a>, with this
URL. Lost it? Delete the key at <a href="https://console.mistral.ai/api-keys" rel="noreferrer">console.mistral.ai</a>:
the URL stops working with it.</p>
""",
        title="Your MCP URL",
    )
