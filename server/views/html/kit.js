// Shared by every view: the connection to the host (the `App` of the official MCP Apps SDK, bundled
// as `McpApps`), the host's theme, DOM built from data, formats and a markdown renderer. Nothing a
// result holds is ever parsed as HTML: text goes into text nodes, so a document that OCR read, or a
// model's answer, cannot run script in a view that may call tools as the user.
"use strict";
var Kit = (function () {
  const VIEW_DATA = "mistral-mcp/view";
  let app = null;

  function append(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function props(node, attributes) {
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key === "className" ? "class" : key, value === true ? "" : String(value));
    }
    return node;
  }

  function h(tag, attributes, ...children) {
    return append(props(document.createElement(tag), attributes), children);
  }

  function svg(tag, attributes, ...children) {
    return append(props(document.createElementNS("http://www.w3.org/2000/svg", tag), attributes), children);
  }

  function mount(root, ...children) {
    root.replaceChildren();
    append(root, children);
  }

  function applyContext(context) {
    if (!context) return;
    if (context.theme) McpApps.applyDocumentTheme(context.theme);
    if (context.styles && context.styles.variables) McpApps.applyHostStyleVariables(context.styles.variables);
    const inset = context.safeAreaInsets;
    if (inset) document.body.style.padding = `${inset.top}px ${inset.right}px ${inset.bottom}px ${inset.left}px`;
  }

  /** Connect to the host; `on.result(result)` gets every tool result meant for this view. */
  function start(name, on) {
    app = new McpApps.App({ name, version: "1.0.0" }, {}, { autoResize: true });
    app.ontoolinput = (params) => on.input && on.input((params && params.arguments) || {});
    app.ontoolresult = (result) => on.result(result);
    app.ontoolcancelled = (params) => on.cancelled && on.cancelled((params && params.reason) || "");
    app.onhostcontextchanged = applyContext;
    app.onteardown = async () => {
      if (on.teardown) on.teardown();
      return {};
    };
    app.connect().then(
      () => applyContext(app.getHostContext()),
      (error) => on.failed && on.failed(error),
    );
    return app;
  }

  function viewData(result) {
    const meta = result && result._meta;
    return (meta && meta[VIEW_DATA]) || {};
  }

  function text(result) {
    return ((result && result.content) || [])
      .filter((block) => block.type === "text")
      .map((block) => block.text)
      .join("\n");
  }

  /** Call one of our tools through the host; an `isError` result becomes an exception with its text. */
  async function callTool(name, args) {
    const result = await app.callServerTool({ name, arguments: args });
    if (result.isError) throw new Error(text(result) || `${name} failed`);
    return result;
  }

  async function openLink(url) {
    if (/^https?:\/\//i.test(url)) await app.openLink({ url });
  }

  function locale() {
    const context = app && app.getHostContext();
    return (context && context.locale) || undefined;
  }

  function timeZone() {
    const context = app && app.getHostContext();
    return (context && context.timeZone) || undefined;
  }

  const isNumber = (value) => typeof value === "number" && Number.isFinite(value);

  function number(value, digits = 0) {
    return isNumber(value) ? value.toLocaleString(locale(), { maximumFractionDigits: digits }) : "—";
  }

  function money(amount, currency) {
    if (!isNumber(amount)) return "—";
    try {
      const significant = amount !== 0 && Math.abs(amount) < 0.01;
      const style = significant ? { maximumSignificantDigits: 2 } : { maximumFractionDigits: 2 };
      return new Intl.NumberFormat(locale(), { style: "currency", currency: currency || "USD", ...style }).format(amount);
    } catch (_) {
      return `${amount} ${currency || ""}`.trim();
    }
  }

  function duration(seconds) {
    if (!isNumber(seconds) || seconds < 0) return "—";
    if (seconds < 60) return `${Math.round(seconds)} s`;
    const minutes = Math.round(seconds / 60);
    if (minutes < 60) return `${minutes} min`;
    return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  }

  function time(value) {
    if (value === null || value === undefined || value === "") return "—";
    const date = isNumber(value) ? new Date(value * 1000) : new Date(value);
    if (Number.isNaN(date.getTime())) return String(value);
    return date.toLocaleString(locale(), { dateStyle: "medium", timeStyle: "short", timeZone: timeZone() });
  }

  const STATUS_CLASS = {
    SUCCESS: "ok",
    FAILED: "bad",
    FAILED_VALIDATION: "bad",
    CANCELLED: "bad",
    TIMEOUT_EXCEEDED: "bad",
    RUNNING: "busy",
    STARTED: "busy",
    VALIDATING: "busy",
  };

  function statusPill(status) {
    const label = String(status || "UNKNOWN").replace(/_/g, " ").toLowerCase();
    return h("span", { class: `pill ${STATUS_CLASS[status] || "wait"}`, "data-status": status || "" }, label);
  }

  function facts(rows) {
    return h(
      "dl",
      { class: "facts" },
      rows.filter(Boolean).map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value))),
    );
  }

  function notice(message, kind) {
    return h("p", { class: `notice ${kind || ""}`, role: kind === "error" ? "alert" : "status" }, message);
  }

  /** A destructive button that asks for a second click before it acts. */
  function confirmButton(label, confirmLabel, action) {
    const button = h("button", { type: "button", class: "danger" }, label);
    let armed = false;
    let timer = null;
    const reset = () => {
      armed = false;
      clearTimeout(timer);
      button.textContent = label;
      button.classList.remove("confirming");
    };
    button.addEventListener("click", async () => {
      if (!armed) {
        armed = true;
        button.textContent = confirmLabel;
        button.classList.add("confirming");
        timer = setTimeout(reset, 6000);
        return;
      }
      reset();
      button.disabled = true;
      try {
        await action();
      } finally {
        button.disabled = false;
      }
    });
    return button;
  }

  function json(value) {
    let shown = value;
    if (typeof value === "string") {
      try {
        shown = JSON.parse(value);
      } catch (_) {
        return h("pre", { class: "json" }, value);
      }
    }
    return h("pre", { class: "json" }, JSON.stringify(shown, null, 2));
  }

  // --- markdown, rendered as DOM nodes --------------------------------------------------------------

  const INLINE =
    /(`+)([^`][\s\S]*?)\1|!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|\[([^\]]+)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|\*\*(?=\S)([\s\S]*?\S)\*\*|__(?=\S)([\s\S]*?\S)__|\*(?=[^\s*])([^*]*?[^\s*])\*|(?<![\p{L}\p{N}])_(?=[^\s_])([^_]*?[^\s_])_(?![\p{L}\p{N}])|<br\s*\/?>/gu;

  function link(label, href) {
    if (!/^https?:\/\//i.test(href)) return h("span", {}, label);
    return h("button", { type: "button", class: "link", title: href, onclick: () => openLink(href) }, label);
  }

  function inline(source, resolve) {
    const nodes = [];
    let last = 0;
    for (const match of source.matchAll(INLINE)) {
      if (match.index > last) nodes.push(source.slice(last, match.index));
      last = match.index + match[0].length;
      const [whole, , code, alt, src, label, href, bold, bold2, em, em2] = match;
      if (code !== undefined) nodes.push(h("code", {}, code.trim()));
      else if (src !== undefined) nodes.push((resolve.image && resolve.image(src, alt)) || h("span", { class: "muted" }, `[image ${alt || src}]`));
      else if (href !== undefined) nodes.push((resolve.link && resolve.link(href, label)) || link(inline(label, resolve), href));
      else if (bold !== undefined || bold2 !== undefined) nodes.push(h("strong", {}, inline(bold ?? bold2, resolve)));
      else if (em !== undefined || em2 !== undefined) nodes.push(h("em", {}, inline(em ?? em2, resolve)));
      else if (/^<br/i.test(whole)) nodes.push(h("br"));
    }
    if (last < source.length) nodes.push(source.slice(last));
    return nodes;
  }

  const FENCE = /^\s*(```|~~~)/;
  const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
  const RULE = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;
  const ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
  const QUOTE = /^\s{0,3}>\s?(.*)$/;
  const TABLE_RULE = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

  function cells(row) {
    const trimmed = row.trim().replace(/^\|/, "").replace(/(?<!\\)\|$/, "");
    return trimmed.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, "|"));
  }

  function startsTable(lines, i) {
    return lines[i].includes("|") && i + 1 < lines.length && TABLE_RULE.test(lines[i + 1]) && lines[i + 1].includes("-");
  }

  function startsBlock(lines, i) {
    const line = lines[i];
    return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || ITEM.test(line) || QUOTE.test(line) || startsTable(lines, i);
  }

  function wrapTable(table) {
    return h("div", { class: "table-wrap" }, table);
  }

  function blocks(lines, resolve) {
    const out = [];
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      let match;
      if (!line.trim()) {
        i++;
      } else if ((match = line.match(FENCE))) {
        const code = [];
        for (i++; i < lines.length && !lines[i].trim().startsWith(match[1]); i++) code.push(lines[i]);
        i++;
        out.push(h("pre", {}, h("code", {}, code.join("\n"))));
      } else if ((match = line.match(HEADING))) {
        out.push(h(`h${match[1].length}`, {}, inline(match[2], resolve)));
        i++;
      } else if (RULE.test(line)) {
        out.push(h("hr"));
        i++;
      } else if (startsTable(lines, i)) {
        const head = cells(line);
        const rows = [];
        for (i += 2; i < lines.length && lines[i].includes("|") && lines[i].trim(); i++) rows.push(cells(lines[i]));
        out.push(
          wrapTable(
            h(
              "table",
              {},
              h("thead", {}, h("tr", {}, head.map((cell) => h("th", {}, inline(cell, resolve))))),
              h("tbody", {}, rows.map((row) => h("tr", {}, head.map((_, c) => h("td", {}, inline(row[c] || "", resolve)))))),
            ),
          ),
        );
      } else if (QUOTE.test(line)) {
        const quoted = [];
        for (; i < lines.length && (match = lines[i].match(QUOTE)); i++) quoted.push(match[1]);
        out.push(h("blockquote", {}, blocks(quoted, resolve)));
      } else if ((match = line.match(ITEM))) {
        const ordered = /\d/.test(match[2]);
        const items = [];
        while (i < lines.length) {
          const item = lines[i].match(ITEM);
          if (item && /\d/.test(item[2]) === ordered) {
            items.push([item[3]]);
            i++;
          } else if (lines[i].trim() && /^\s+/.test(lines[i]) && items.length) {
            items[items.length - 1].push(lines[i].trim());
            i++;
          } else break;
        }
        out.push(h(ordered ? "ol" : "ul", {}, items.map((item) => h("li", {}, inline(item.join(" "), resolve)))));
      } else {
        const paragraph = [];
        for (; i < lines.length && lines[i].trim() && (paragraph.length === 0 || !startsBlock(lines, i)); i++) {
          paragraph.push(lines[i].trim());
        }
        const only = paragraph.length === 1 && paragraph[0].match(/^\[([^\]]+)\]\(\s*([^)\s]+)\s*\)$/);
        const block = only && resolve.block && resolve.block(only[2], only[1]);
        out.push(block || h("p", {}, inline(paragraph.join("\n"), resolve)));
      }
    }
    return out;
  }

  /** `source` as DOM: headings, paragraphs, lists, quotes, code, tables, links and images. `resolve` may
   *  supply nodes for images (`image(src, alt)`), links (`link(href, label)`) and a paragraph that is
   *  only a link (`block(href, label)`, e.g. an OCR table). */
  function markdown(source, resolve = {}) {
    const lines = String(source || "").replace(/\r\n?/g, "\n").split("\n");
    return h("div", { class: "md" }, blocks(lines, resolve));
  }

  const TABLE_PARTS = new Set(["TABLE", "CAPTION", "THEAD", "TBODY", "TFOOT", "TR", "TH", "TD"]);

  /** An HTML table (OCR's html table format) rebuilt from its cells' text: no other element or attribute
   *  survives, and the parsed document is inert (DOMParser runs no script and loads nothing). */
  function htmlTable(source) {
    const parsed = new DOMParser().parseFromString(String(source || ""), "text/html");
    const copy = (node) => {
      if (node.nodeType === Node.TEXT_NODE) return document.createTextNode(node.textContent);
      if (node.nodeType !== Node.ELEMENT_NODE) return null;
      if (!TABLE_PARTS.has(node.tagName)) return document.createTextNode(node.textContent);
      const out = document.createElement(node.tagName.toLowerCase());
      for (const name of ["colspan", "rowspan"]) {
        const value = node.getAttribute(name);
        if (value && /^\d{1,3}$/.test(value)) out.setAttribute(name, value);
      }
      for (const child of node.childNodes) {
        const copied = copy(child);
        if (copied) out.append(copied);
      }
      return out;
    };
    const table = parsed.querySelector("table");
    return table ? wrapTable(copy(table)) : h("p", {}, parsed.body.textContent);
  }

  return {
    h,
    svg,
    mount,
    start,
    viewData,
    text,
    callTool,
    openLink,
    number,
    money,
    duration,
    time,
    statusPill,
    facts,
    notice,
    confirmButton,
    json,
    markdown,
    htmlTable,
  };
})();
