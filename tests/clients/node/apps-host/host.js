// The test host's side of MCP Apps: the official AppBridge of @modelcontextprotocol/ext-apps, as a web host
// runs it (the view in a sandbox proxy on another origin). tests/browser/apps_host.py bundles this file with
// esbuild and drives it; tools/call and resources/read go to Python (window.mcp*), which sends them to our
// server with the official MCP SDK client.
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";

const SANDBOX = "http://sandbox.test/sandbox.html";
let bridge = null;
let context = null;

function sandboxReady(iframe) {
  return new Promise((resolve) => {
    window.addEventListener("message", function listener(event) {
      if (event.source === iframe.contentWindow && event.data && event.data.method === "ui/notifications/sandbox-proxy-ready") {
        window.removeEventListener("message", listener);
        resolve();
      }
    });
  });
}

window.showView = async ({ html, csp, toolInput, toolResult, tool, theme }) => {
  document.documentElement.dataset.theme = theme;
  const iframe = document.getElementById("view");
  const ready = sandboxReady(iframe);
  iframe.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms");
  iframe.src = `${SANDBOX}?csp=${encodeURIComponent(JSON.stringify(csp || {}))}`;
  await ready;
  context = {
    theme,
    platform: "web",
    displayMode: "inline",
    availableDisplayModes: ["inline"],
    containerDimensions: { maxHeight: 6000 },
    locale: "en-US",
    timeZone: "UTC",
    toolInfo: { tool },
  };
  bridge = new AppBridge(
    null,
    { name: "mistral-mcp test host", version: "1.0.0" },
    { openLinks: {}, serverTools: {}, serverResources: {}, logging: {} },
    { hostContext: context },
  );
  bridge.oncalltool = async (params) => window.mcpCallTool(params.name, params.arguments || {});
  bridge.onreadresource = async (params) => window.mcpReadResource(params.uri);
  bridge.onopenlink = async (params) => {
    await window.mcpOpenLink(params.url);
    return {};
  };
  bridge.onmessage = async () => ({});
  bridge.onloggingmessage = (params) => console.log(`[view] ${JSON.stringify(params)}`);
  bridge.onsizechange = ({ height }) => {
    if (typeof height === "number") iframe.style.height = `${Math.ceil(height)}px`;
  };
  const initialized = new Promise((resolve) => {
    bridge.oninitialized = () => resolve();
  });
  await bridge.connect(new PostMessageTransport(iframe.contentWindow, iframe.contentWindow));
  await bridge.sendSandboxResourceReady({ html, csp });
  await initialized;
  await bridge.sendToolInput({ arguments: toolInput });
  await bridge.sendToolResult(toolResult);
  return true;
};

window.setHostTheme = (theme) => {
  document.documentElement.dataset.theme = theme;
  context = { ...context, theme };
  bridge.setHostContext(context);
};
