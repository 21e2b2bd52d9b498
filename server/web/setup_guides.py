"""Ready-to-paste setup for each AI client, filled in with the user's MCP URL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True, slots=True)
class Guide:
    client: str  # stable id, used by tests and as the element id prefix
    title: str
    steps: str  # trusted HTML written here, never user input
    snippet: str | None = None


def snippet_block(element_id: str, text: str, label: str = "Copy") -> str:
    return (
        f'<div class="snippet"><pre id="{element_id}" tabindex="0">{escape(text)}</pre>'
        f'<button type="button" class="secondary copy" data-copy="{element_id}" hidden>{escape(label)}</button></div>'
    )


def _json(value: object) -> str:
    return json.dumps(value, indent=2)


def guides(mcp_url: str, mcp_endpoint: str) -> list[Guide]:
    """One guide per client; `mcp_endpoint` is the token-less `/mcp` URL for header-based setups."""
    vscode_header = {
        "inputs": [
            {"id": "mistral-mcp-token", "type": "promptString", "description": "mistral-mcp token", "password": True}
        ],
        "servers": {
            "mistral": {
                "type": "http",
                "url": mcp_endpoint,
                "headers": {"Authorization": "Bearer ${input:mistral-mcp-token}"},
            }
        },
    }
    return [
        Guide(
            "claude",
            "Claude: claude.ai, Claude Desktop and the mobile apps",
            "<ol><li>Open <strong>Settings → Connectors</strong> and choose <strong>Add custom connector</strong>.</li>"
            "<li>Name it <em>Mistral</em>, paste the URL above as the server URL, leave the OAuth fields empty, "
            "and choose <strong>Add</strong>.</li>"
            "<li>Connectors added on claude.ai also appear in Claude Desktop and in the iOS and Android apps. "
            "In a chat, turn <em>Mistral</em> on from the tools menu.</li></ol>"
            f"<p>Rather keep the secret out of the URL? Add <code>{escape(mcp_endpoint)}</code> instead: Claude "
            "then sends you to our sign-in page (OAuth), where you paste the key or this URL once.</p>",
        ),
        Guide(
            "claude-desktop",
            "Claude Desktop through mcp-remote",
            "<p>For Desktop versions without custom connectors. Needs Node.js. In Claude Desktop: "
            "<strong>Settings → Developer → Edit Config</strong>, put this in "
            "<code>claude_desktop_config.json</code>, then restart Claude Desktop:</p>",
            _json({"mcpServers": {"mistral": {"command": "npx", "args": ["-y", "mcp-remote", mcp_url]}}}),
        ),
        Guide(
            "claude-code",
            "Claude Code",
            "<p>Run in a terminal (add <code>--scope user</code> to have it in every project):</p>",
            f"claude mcp add --transport http mistral {mcp_url}",
        ),
        Guide(
            "cursor",
            "Cursor",
            "<p>Put this in <code>~/.cursor/mcp.json</code> (every project) or <code>.cursor/mcp.json</code> "
            "(one project), then check <strong>Settings → MCP</strong> shows <em>mistral</em> in green:</p>",
            _json({"mcpServers": {"mistral": {"url": mcp_url}}}),
        ),
        Guide(
            "vscode",
            "VS Code (GitHub Copilot agent mode)",
            "<p>Put this in <code>.vscode/mcp.json</code>, or run <strong>MCP: Add Server… → HTTP</strong> "
            "from the command palette and paste the URL:</p>",
            _json({"servers": {"mistral": {"type": "http", "url": mcp_url}}}),
        ),
        Guide(
            "vscode-header",
            "VS Code, keeping the secret out of the file",
            "<p>This file holds no secret and can be committed: VS Code asks once for the token "
            "(shown above, the last part of your URL) in a password box and stores it encrypted.</p>",
            _json(vscode_header),
        ),
        Guide(
            "chatgpt",
            "ChatGPT (developer mode)",
            "<ol><li>Open <strong>Settings → Apps &amp; Connectors → Advanced settings</strong> and turn on "
            "<strong>Developer mode</strong>.</li>"
            "<li>Back in <strong>Apps &amp; Connectors</strong>, choose <strong>Create</strong>: name it "
            "<em>Mistral</em>, paste the URL above as the MCP server URL, choose <strong>No authentication</strong>, "
            "confirm that you trust it, and create it.</li>"
            "<li>In a chat, open <strong>+ → Developer mode</strong> and turn <em>Mistral</em> on.</li></ol>",
        ),
        Guide(
            "lechat",
            "Mistral Le Chat",
            "<ol><li>Open <strong>Intelligence → Connectors</strong> and choose <strong>Add connector</strong>, "
            "then <strong>Custom MCP connector</strong>.</li>"
            "<li>Name it <em>Mistral API</em>, paste the URL above as the server URL, choose "
            "<strong>No authentication</strong> and connect.</li>"
            "<li>In a chat, turn it on from the <strong>Tools</strong> menu.</li></ol>",
        ),
        Guide(
            "other",
            "Any other MCP client",
            "<p>Transport <strong>Streamable HTTP</strong>, the URL above, no authentication. Or the URL "
            f"<code>{escape(mcp_endpoint)}</code> with the header "
            "<code>Authorization: Bearer &lt;token&gt;</code>.</p>",
        ),
    ]


def client_setups(mcp_url: str, mcp_endpoint: str) -> str:
    sections = []
    for number, guide in enumerate(guides(mcp_url, mcp_endpoint)):
        snippet = snippet_block(f"setup-{guide.client}", guide.snippet) if guide.snippet else ""
        opened = " open" if number == 0 else ""
        sections.append(
            f'<details id="client-{guide.client}"{opened}><summary>{escape(guide.title)}</summary>'
            f"{guide.steps}{snippet}</details>"
        )
    return '<h2 id="clients">Add it to your AI client</h2>\n' + "\n".join(sections)
