"""Scrubbing secrets out of text that leaves the process: log lines and relayed error messages."""

from __future__ import annotations

import re

_TOKEN_RE = re.compile(r"mm(cp|at|rt|ac|rq)_[A-Za-z0-9_\-]{8,}")
_BEARER_RE = re.compile(r"(?i)(bearer\s+)[^\s\"',]+")
# Basic only right after "Authorization": the word alone is too common to mask what follows it.
_BASIC_RE = re.compile(r"(?i)(authorization\W{0,3}basic\s+)[^\s\"',]+")


def redact(text: str) -> str:
    """`text` with our tokens (every prefix this server issues) and bearer or basic credentials masked."""
    text = _BEARER_RE.sub(r"\1[redacted]", _TOKEN_RE.sub(r"mm\1_[redacted]", text))
    return _BASIC_RE.sub(r"\1[redacted]", text)


def without(secret: str | None, text: str) -> str:
    """`text` with every occurrence of `secret` (say, the caller's own Mistral key) masked, then `redact`ed."""
    if secret:
        text = text.replace(secret, "[redacted]")
    return redact(text)
