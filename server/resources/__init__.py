"""MCP resources: what a client can attach to a conversation, or read when a result links to it.

`build_resources()` lists the providers, one per URI scheme; `resources/read` goes to the provider
whose URIs it is, `resources/list` pages through each in turn.
"""

from server.resources.mistral import MistralResources
from server.resources.providers import ResourceProvider, Resources

__all__ = ["MistralResources", "ResourceProvider", "Resources", "build_resources"]


def build_resources() -> Resources:
    return Resources(
        [
            MistralResources(),  # mistral://: the caller's own models, files, jobs, agents, …
            # The MCP Apps views (ui://mistral-mcp/…) are a provider too: add it here.
        ]
    )
