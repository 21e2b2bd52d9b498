"""The exception tree of mistral-mcp.

Every error the service raises on purpose derives from `MistralMcpError` and carries a
message a person can act on. HTTP answers are made from them in `server.http.responses`,
MCP `isError` results in `server.tools.registry`, MCP protocol errors (resources, prompts) in
`server.transport.mcp_server`; nowhere else.

    MistralMcpError
    ├── ConfigError              settings that cannot be used (raised at start-up)
    ├── CryptoError              a stored key cannot be decrypted (wrong keyring, tampering)
    ├── ApiError                 a sign-up/management request we refuse (carries status + code)
    ├── ToolArgumentError        tool arguments that fail validation (names the argument)
    ├── InvalidParams            an MCP request for something we do not serve (a stale cursor, an unknown prompt)
    │   └── ResourceNotFound         a URI naming no resource this key can read (unknown, another key's, gone)
    └── UpstreamError            Mistral did not give us a usable answer
        ├── UpstreamUnavailable      network failure, timeout, 5xx after retries
        ├── UpstreamRateLimited      429 after retries (carries retry_after)
        ├── UpstreamAuthError        401/403: Mistral rejected the key
        ├── UpstreamRequestError     400/404/409/422: Mistral refused the request itself
        └── UpstreamStreamBroken     a streamed reply stopped before its end
"""

from __future__ import annotations


class MistralMcpError(Exception):
    """Base class: `str(error)` is a message safe to show to the user."""


class ConfigError(MistralMcpError):
    pass


class CryptoError(MistralMcpError):
    pass


class ApiError(MistralMcpError):
    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class ToolArgumentError(MistralMcpError):
    pass


class InvalidParams(MistralMcpError):
    pass


class ResourceNotFound(InvalidParams):
    def __init__(self, uri: str, message: str) -> None:
        super().__init__(message)
        self.uri = uri


class UpstreamError(MistralMcpError):
    def __init__(self, message: str, *, status: int | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


class UpstreamUnavailable(UpstreamError):
    pass


class UpstreamRateLimited(UpstreamError):
    def __init__(self, message: str, *, retry_after: float | None = None, detail: str | None = None) -> None:
        super().__init__(message, status=429, detail=detail)
        self.retry_after = retry_after


class UpstreamAuthError(UpstreamError):
    pass


class UpstreamRequestError(UpstreamError):
    pass


class UpstreamStreamBroken(UpstreamError):
    def __init__(self, message: str, *, partial_text: str = "") -> None:
        super().__init__(message)
        self.partial_text = partial_text
