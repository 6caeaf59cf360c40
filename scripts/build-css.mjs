// Builds static/build/site.css, the one stylesheet of every page on templates/base.html (the QR
// form, the tracking page, the point and chain pages, ledgers and statistics), which each page
// carries inline ({% inline_stylesheet %}, liaison/core/templatetags/assets.py): Bootstrap's
// stylesheet from npm, then the portal's own rules (static/css/site.css, chain.css), keeping only
// the rules whose selectors can match what those pages render. The work desk (Django's admin,
// templates/admin/) and the printed sheets have stylesheets of their own and are not read.
//
//   npm run build:css          (run by `make setup`; PYTHON names the interpreter of the portal)
//
// What the pages can render is read from their templates and from the crispy-bootstrap5 templates
// that render their form fields (Bootstrap's form-control, is-invalid, ...): those that the
// |crispy and |as_crispy_field filters start from and what they include, not the layout objects
// (tabs, modals, accordions) that no page uses; and Django's widget templates, which write the
// fields' elements (textarea, select). Python tells where those packages are installed.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PurgeCSS } from "purgecss";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const output = path.join(root, "static", "build", "site.css");
const sources = [
  path.join(root, "node_modules", "bootstrap", "dist", "css", "bootstrap.min.css"),
  path.join(root, "static", "css", "site.css"),
  path.join(root, "static", "css", "chain.css"),
];
// Written by the templates through a variable, so never seen whole in them: Django's message
// levels in base.html (error is shown as danger).
const safelist = ["alert-debug", "alert-info", "alert-success", "alert-warning", "alert-danger"];

function files(dir, extensions, skip = []) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && extensions.includes(path.extname(entry.name)))
    .map((entry) => path.join(entry.parentPath ?? entry.path, entry.name))
    .filter((file) => !skip.some((folder) => file.startsWith(path.join(dir, folder) + path.sep)));
}

function formTemplates() {
  const python = process.env.PYTHON || path.join(root, ".venv", "bin", "python");
  const code = [
    "import os, crispy_bootstrap5, django.forms",
    "print(os.path.join(os.path.dirname(crispy_bootstrap5.__file__), 'templates'))",
    "print(os.path.join(os.path.dirname(django.forms.__file__), 'templates', 'django', 'forms', 'widgets'))",
  ].join("\n");
  let folder, widgets;
  try {
    [folder, widgets] = execFileSync(python, ["-c", code], { encoding: "utf8" }).trim().split("\n");
  } catch (error) {
    // Without them every form field would lose its styling: stop rather than build that.
    throw new Error(`build-css: cannot find crispy-bootstrap5 and Django with ${python} (set PYTHON): ${error.message}`);
  }
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name)) return;
    seen.add(name);
    const text = readFileSync(path.join(folder, name), "utf8");
    for (const [, included] of text.matchAll(/\{%\s*include\s+["'](bootstrap5\/[^"']+)["']/g)) visit(included);
  };
  ["bootstrap5/uni_form.html", "bootstrap5/field.html", "bootstrap5/errors.html"].forEach(visit);
  return [...[...seen].map((name) => path.join(folder, name)), ...files(widgets, [".html"])];
}

const content = [
  ...files(path.join(root, "templates"), [".html"], ["admin", "notifications"]),
  ...files(path.join(root, "static", "js"), [".js"]),
  ...formTemplates(),
];
const css = sources.map((file) => readFileSync(file, "utf8")).join("\n");
const [result] = await new PurgeCSS().purge({
  content,
  css: [{ raw: css }],
  safelist: { standard: safelist },
  variables: true, // custom properties nothing reads (most of Bootstrap's :root)
  keyframes: true,
  fontFace: true,
});
const banner = "/* Built by scripts/build-css.mjs from Bootstrap (npm) and static/css; do not edit. */\n";
mkdirSync(path.dirname(output), { recursive: true });
writeFileSync(output, banner + result.css.replace(/\n{2,}/g, "\n").trim() + "\n");
console.log(`build-css: ${path.relative(root, output)} ${Buffer.byteLength(result.css)} bytes from ${content.length} files`);
