"""Which redirect URIs a client may register (or name in its metadata document), and so receive codes at.

https anywhere; plain http only to loopback (native apps, RFC 8252 §7.3); and private-use schemes of
native apps (RFC 8252 §7.1: `com.example.app:/cb`, and the single-word ones clients really use, such as
`cursor://` or `vscode://`). Schemes the browser handles itself are refused: `javascript:` or
`vbscript:` would run script, `data:`, `blob:`, `file:`, `about:` and the like render or read something
locally; none of them is a client that could receive a code.
"""

from __future__ import annotations

from ipaddress import ip_address

from pydantic import AnyUrl

# Schemes a browser (or the operating system on its behalf) resolves without any client app.
_BROWSER_SCHEMES = frozenset(
    {
        "javascript",
        "vbscript",
        "livescript",
        "data",
        "blob",
        "file",
        "filesystem",
        "about",
        "view-source",
        "jar",
        "intent",
        "chrome",
        "resource",
        "ftp",
        "ws",
        "wss",
        "mailto",
        "tel",
        "sms",
    }
)


def is_loopback(uri: AnyUrl) -> bool:
    host = (uri.host or "").strip("[]")
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def redirect_uri_problem(uris: list[AnyUrl] | None) -> str | None:
    """Why these redirect URIs are refused, or None. Also no `user@` part, which would make the
    consent page's "returning to" line show a host the code never goes to."""
    for uri in uris or []:
        # The URL parser has already lower-cased the scheme and dropped tabs and newlines in it,
        # as a browser would: `Java\tScript:` is `javascript` here too.
        scheme = uri.scheme
        if scheme in _BROWSER_SCHEMES:
            return f"{scheme}: redirect URIs are not allowed; use https, http to loopback, or an app's own scheme"
        if uri.username is not None or uri.password is not None:
            return "redirect URIs must not carry a user name or password"
        if scheme == "http" and not is_loopback(uri):
            return "http redirect URIs must point at loopback"
    return None
