// What the views use of the MCP Apps SDK; build.mjs bundles it as the global `McpApps`.
import { config } from "zod/v4";

// Views run under a policy without 'unsafe-eval' (theirs and the host's): zod, which the SDK validates
// messages with, must not try to compile parsers with `new Function`, which such a policy refuses.
config({ jitless: true });

export {
  App,
  PostMessageTransport,
  applyDocumentTheme,
  applyHostStyleVariables,
} from "@modelcontextprotocol/ext-apps";
