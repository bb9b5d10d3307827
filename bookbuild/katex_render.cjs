// KaTeX for the build (bookbuild/mathtex.py): each line on stdin is a JSON list of [tex, display] pairs, and
// each line written back is a JSON list, in the same order, of {"html": ...} or {"error": ...}.
// node finds KaTeX in the book's node_modules, the folder above this script's (where `npm ci` puts it).
"use strict";
const katex = require("katex");
const readline = require("readline");

function typeset([tex, display]) {
  try {
    // strict: anything KaTeX would only warn about (and so would go unseen in a build log) is an error
    return { html: katex.renderToString(tex, { displayMode: display, throwOnError: true, strict: "error" }) };
  } catch (error) {
    return { error: String(error && error.message ? error.message : error) };
  }
}

readline.createInterface({ input: process.stdin, crlfDelay: Infinity }).on("line", (line) => {
  process.stdout.write(JSON.stringify(JSON.parse(line).map(typeset)) + "\n");
});
