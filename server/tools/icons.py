"""The icon shown next to the server and its tools (MCP 2025-11-25 `icons`).

Inline as a `data:` URL, so no client ever fetches anything from another site to draw it.
Small on purpose: every tool in tools/list carries it.
"""

from __future__ import annotations

import urllib.parse

import mcp_types as types

_SVG = (
    "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24'>"
    "<rect width='24' height='24' rx='5' fill='#fa500f'/>"
    "<path d='M5 18V6h3l4 5 4-5h3v12h-3v-7l-4 5-4-5v7z' fill='#fff'/></svg>"
)
# Percent-encoded rather than base64: shorter, and still a valid URI (no raw spaces, `#` or `<`).
ICON_URL = "data:image/svg+xml," + urllib.parse.quote(_SVG, safe="/=:',.-")

ICONS = (types.Icon(src=ICON_URL, mime_type="image/svg+xml", sizes=["any"]),)
