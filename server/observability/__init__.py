"""Prometheus metrics: one registry per app, the HTTP middleware and `GET /metrics`."""
