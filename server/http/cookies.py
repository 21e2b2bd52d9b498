"""A cookie jar that keeps nothing, for the httpx clients this server makes requests with.

They are shared: one client serves every user. A cookie one answer sets (a CDN's bot-management
cookie in front of Mistral, say, or whatever a client-metadata host chooses) must not ride along
with the next request, which may be another user's.
"""

from __future__ import annotations

from http.cookiejar import CookieJar


class NoCookies(CookieJar):
    def extract_cookies(self, response: object, request: object) -> None:
        return

    def set_cookie(self, cookie: object) -> None:
        return
