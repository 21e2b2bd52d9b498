// Builds the MCP Apps SDK the views run on (server/views/static/), from the versions package-lock.json pins.
//
//   npm ci --prefix views && node views/build.mjs           rebuild the bundle and its licenses
//   node views/build.mjs --check                            exit 1 if the committed files are not what it builds
//
// The bundle is the official `App` of @modelcontextprotocol/ext-apps with its dependencies, as one script
// that sets the global `McpApps`; server/views inlines it into every view, so a view loads nothing else.
// Every package that ends up in it has its license text copied beside it.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const staticDir = path.join(here, "..", "server", "views", "static");
const BUNDLE = path.join(staticDir, "mcp-apps-sdk.js");
const LICENSES = path.join(staticDir, "mcp-apps-sdk.LICENSES.txt");

// zod's namespace object (which the SDK imports whole) carries every translation of its error messages;
// the views only ever show English ones, and without the others the bundle is 40 % smaller.
const englishOnly = {
  name: "zod-english-messages-only",
  setup(build) {
    build.onLoad({ filter: /zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: path.dirname(args.path),
    }));
  },
};

async function packageOf(file) {
  const match = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (!match) return null;
  const dir = path.join(here, "node_modules", match[1]);
  const manifest = JSON.parse(await readFile(path.join(dir, "package.json"), "utf8"));
  return { name: manifest.name, version: manifest.version, license: manifest.license, dir };
}

async function licenses(inputs) {
  const packages = new Map();
  for (const file of Object.keys(inputs)) {
    const found = await packageOf(file);
    if (found) packages.set(found.name, found);
  }
  const sections = [];
  for (const pkg of [...packages.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const text = await readFile(path.join(pkg.dir, "LICENSE"), "utf8");
    sections.push(`${pkg.name} ${pkg.version} (${pkg.license})\n${"-".repeat(60)}\n${text.trim()}\n`);
  }
  return (
    "Third-party code in mcp-apps-sdk.js, bundled by views/build.mjs from the versions views/package-lock.json pins.\n\n" +
    sections.join("\n")
  );
}

async function build() {
  const result = await esbuild.build({
    entryPoints: [path.join(here, "src", "sdk.js")],
    bundle: true,
    minify: true,
    format: "iife",
    globalName: "McpApps",
    platform: "browser",
    target: "es2020",
    legalComments: "none",
    banner: { js: "/*! MCP Apps SDK (@modelcontextprotocol/ext-apps) and dependencies; licenses: mcp-apps-sdk.LICENSES.txt */" },
    plugins: [englishOnly],
    metafile: true,
    write: false,
    outfile: BUNDLE,
    absWorkingDir: here,
  });
  const [output] = result.outputFiles;
  const inputs = result.metafile.outputs[Object.keys(result.metafile.outputs)[0]].inputs;
  if (output.text.includes("</script")) throw new Error("the bundle must not close the <script> it is inlined in");
  return { [BUNDLE]: output.text, [LICENSES]: await licenses(inputs) };
}

const files = await build();
if (process.argv.includes("--check")) {
  const stale = [];
  for (const [file, text] of Object.entries(files)) {
    const committed = await readFile(file, "utf8").catch(() => null);
    if (committed !== text) stale.push(path.relative(path.join(here, ".."), file));
  }
  if (stale.length) {
    console.error(`out of date: ${stale.join(", ")}; run: node views/build.mjs`);
    process.exit(1);
  }
} else {
  for (const [file, text] of Object.entries(files)) await writeFile(file, text);
}
