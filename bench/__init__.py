"""Benchmarks of mistral-mcp against a bare MCP SDK server and the raw upstream; run `python -m bench`."""
