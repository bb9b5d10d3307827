// Typeset every formula with KaTeX, served by this site (no CDN). Runs on the first page
// load and again after each of Material's instant navigations (document$ emits each time).
// Chapter pages carry arithmatex's \( \) and \[ \]; notebook pages carry Jupyter's $ and $$.
(function () {
  "use strict";
  var options = {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "\\[", right: "\\]", display: true },
      { left: "\\(", right: "\\)", display: false },
      { left: "$", right: "$", display: false }
    ],
    ignoredClasses: ["highlight", "highlight-ipynb", "jp-OutputArea-output"],
    throwOnError: false,
    errorColor: "#cc0000"
  };
  function typeset(root) {
    if (typeof renderMathInElement === "function") {
      renderMathInElement(root, options);
    }
    focusableScrollers(root);
    // Material wraps wide tables in a scrolling box of its own, possibly after this runs.
    window.setTimeout(function () {
      focusableScrollers(root);
      document.body.dataset.typeset = "done";  // tests wait for this before they audit a page
    }, 0);
  }
  // A formula, table or code listing wider than the column scrolls sideways: let the keyboard reach it
  // too. (Material does this for code itself, but not always before a long page has finished loading.)
  function focusableScrollers(root) {
    root.querySelectorAll(".katex-display, .md-typeset__scrollwrap, pre > code").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth) { el.tabIndex = 0; }
    });
  }
  window.addEventListener("resize", function () { focusableScrollers(document.body); });
  window.addEventListener("load", function () { focusableScrollers(document.body); });
  if (typeof document$ !== "undefined") {
    document$.subscribe(function (doc) { typeset(doc.body || document.body); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { typeset(document.body); });
  }
})();
