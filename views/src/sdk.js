// What the views use of the MCP Apps SDK; build.mjs bundles it as the global `McpApps`.
export {
  App,
  PostMessageTransport,
  applyDocumentTheme,
  applyHostStyleVariables,
} from "@modelcontextprotocol/ext-apps";
