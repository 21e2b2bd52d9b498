"""HTTP mechanics shared by every surface and by our outbound clients, with no business in them:
the outbound wire (aiohttp under httpx, a cookie jar that keeps nothing), the one JSON error shape
and the one mapping of exceptions to HTTP answers, capped body reading, and the app-wide middleware
(security headers, access log)."""
