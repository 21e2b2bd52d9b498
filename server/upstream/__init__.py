"""The one client for the Mistral REST API: pooling, timeouts, retries and error mapping."""

from server.upstream.client import MistralClient

__all__ = ["MistralClient"]
