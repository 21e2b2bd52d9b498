// Bundles host.js (and the AppBridge it imports) for tests/browser/apps_host.py: node build.mjs OUTFILE
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
await esbuild.build({
  entryPoints: [path.join(here, "host.js")],
  bundle: true,
  format: "iife",
  target: "es2020",
  platform: "browser",
  outfile: process.argv[2],
  logLevel: "error",
});
