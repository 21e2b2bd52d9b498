"""mistral-mcp: a hosted, multi-tenant remote MCP server for the Mistral AI API."""

__version__ = "0.1.0"
