"""The MCP endpoint: Streamable HTTP served by the official SDK, behind our token check."""
