"""A web host for MCP Apps views in headless Chromium, built on the official AppBridge.

The host page (`http://host.test/`) runs the AppBridge of @modelcontextprotocol/ext-apps (bundled from
tests/clients/node with its esbuild) and shows the view through a sandbox proxy on another origin
(`http://sandbox.test/`), whose Content-Security-Policy is built from the view's declared CSP the way the
Apps spec tells hosts to. The view's tools/call and resources/read reach Python, which sends them to our
server with the official MCP SDK client: the view talks to the real app, through a real host.

Both origins are served by Playwright's routing; any other request is refused and recorded, so a view
that tried to load anything from another site fails its test.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
from mcp import Client

from tests.support.external_tools import NODE_PROJECT, NodeTools

HOST = "http://host.test"
SANDBOX = "http://sandbox.test"
SOURCES = NODE_PROJECT / "apps-host"


def build_host_script(node_tools: NodeTools, out_dir: Path) -> str:
    """The test host's script: host.js and the AppBridge it imports, bundled by the pinned esbuild."""
    out = out_dir / "host.js"
    command = [str(node_tools.node), str(SOURCES / "build.mjs"), str(out)]
    subprocess.run(command, check=True, capture_output=True, timeout=120, cwd=NODE_PROJECT)
    return out.read_text()


def sandbox_csp(csp: dict[str, list[str]] | None) -> str:
    """The policy the Apps spec has a host build from a view's `_meta.ui.csp` (its "CSP Construction")."""
    csp = csp or {}
    resources = " ".join(csp.get("resourceDomains") or [])
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src 'self' 'unsafe-inline' {resources}".strip(),
            f"style-src 'self' 'unsafe-inline' {resources}".strip(),
            f"connect-src 'self' {' '.join(csp.get('connectDomains') or [])}".strip(),
            f"img-src 'self' data: {resources}".strip(),
            f"font-src 'self' {resources}".strip(),
            f"media-src 'self' data: {resources}".strip(),
            f"frame-src {' '.join(csp.get('frameDomains') or []) or chr(39) + 'none' + chr(39)}",
            "object-src 'none'",
            f"base-uri {' '.join(csp.get('baseUriDomains') or []) or chr(39) + 'self' + chr(39)}",
        ]
    )


@dataclass
class HostedView:
    """A view open in the host page, and what it asked the host for."""

    page: Any
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)  # requests to any other site, refused
    errors: list[str] = field(default_factory=list)

    @property
    def frame(self) -> Any:
        """The view's document: the frame inside the sandbox proxy's frame."""
        return self.page.frame_locator("#view").frame_locator("iframe")

    async def set_theme(self, theme: str) -> None:
        await self.page.evaluate("theme => window.setHostTheme(theme)", theme)

    async def settled(self) -> None:
        """Return once the host has sized the frame to the view's content and the view has painted."""
        document = self.frame.locator("html")
        while True:
            wanted = await document.evaluate("html => html.scrollHeight")
            shown = await self.page.locator("#view").evaluate("frame => frame.clientHeight")
            if abs(shown - wanted) <= 2:
                break
            await anyio.sleep(0.02)
        await document.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def _dump(model: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = model.model_dump(by_alias=True, mode="json", exclude_none=True)
    return dumped


async def open_view(
    browser: Any,
    client: Client,
    host_script: str,
    *,
    tool: str,
    arguments: dict[str, Any],
    theme: str = "light",
    context_options: dict[str, Any] | None = None,
    fake_clock: bool = False,
) -> HostedView:
    """Call `tool` as a model would, read its view with resources/read, and show the two in the host page.

    With `fake_clock`, the pages' timers run on Playwright's clock: `page.clock.fast_forward` moves them.
    """
    tools = {t.name: t for t in (await client.list_tools()).tools}
    result = await client.call_tool(tool, arguments)
    ui = (tools[tool].meta or {})["ui"]
    [content] = (await client.read_resource(ui["resourceUri"])).contents
    csp = ((content.meta or {}).get("ui") or {}).get("csp")

    context = await browser.new_context(**(context_options or {}), color_scheme=theme)
    if fake_clock:
        await context.clock.install()
    page = await context.new_page()
    hosted = HostedView(page)
    page.on("console", lambda message: hosted.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: hosted.errors.append(str(error)))

    async def route(request_route: Any) -> None:
        url = request_route.request.url
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
        path = urlsplit(url).path
        if origin == HOST and path == "/":
            await request_route.fulfill(body=(SOURCES / "host.html").read_text(), content_type="text/html")
        elif origin == HOST and path == "/host.js":
            await request_route.fulfill(body=host_script, content_type="text/javascript")
        elif origin == SANDBOX and path == "/sandbox.html":
            await request_route.fulfill(
                body=(SOURCES / "sandbox.html").read_text(),
                content_type="text/html",
                headers={"content-security-policy": sandbox_csp(csp)},
            )
        else:
            hosted.foreign.append(url)
            await request_route.abort()

    await context.route("**/*", route)

    async def call_tool(name: str, args: dict[str, Any]) -> dict[str, Any]:
        # As the Apps spec asks of hosts: a view may call only tools whose visibility includes "app".
        visibility = ((tools[name].meta or {}).get("ui") or {}).get("visibility", ["model", "app"])
        if "app" not in visibility:
            raise PermissionError(f"{name} is not callable by views")
        hosted.calls.append((name, args))
        return _dump(await client.call_tool(name, args))

    async def read_resource(uri: str) -> dict[str, Any]:
        return _dump(await client.read_resource(uri))

    async def open_link(url: str) -> None:
        hosted.links.append(url)

    await page.expose_function("mcpCallTool", call_tool)
    await page.expose_function("mcpReadResource", read_resource)
    await page.expose_function("mcpOpenLink", open_link)
    await page.goto(f"{HOST}/")
    shown = {
        "html": getattr(content, "text", ""),
        "csp": csp,
        "toolInput": arguments,
        "toolResult": _dump(result),
        "tool": json.loads(tools[tool].model_dump_json(by_alias=True, exclude_none=True)),
        "theme": theme,
    }
    await page.evaluate("shown => window.showView(shown)", shown)
    return hosted
