"""Sign up through the HTML form, as a browser without JavaScript would, and read the result page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

import httpx


@dataclass(frozen=True)
class ResultPage:
    html: str

    def element_text(self, element_id: str) -> str:
        match = re.search(rf'<(pre|code)[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</\1>', self.html, re.S)
        assert match is not None, f"no #{element_id} on the page"
        return unescape(match.group(2))

    @property
    def mcp_url(self) -> str:
        return self.element_text("mcp-url")

    @property
    def token(self) -> str:
        return self.element_text("mcp-token")

    def snippet(self, client: str) -> str:
        """The ready-to-paste setup shown for `client` (see server/web/setup_guides.py)."""
        return self.element_text(f"setup-{client}")


def sign_up_with_form(base_url: str, api_key: str) -> ResultPage:
    response = httpx.post(f"{base_url}/", data={"api_key": api_key}, timeout=30)
    assert response.status_code == 201, response.text
    return ResultPage(response.text)
