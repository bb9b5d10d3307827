// A formula, table, figure or code listing wider than the column scrolls sideways: let the keyboard reach it too.
// (The math is typeset when the book is built; this script only finds what overflows, which depends on the
// reader's screen. Material does this for code itself, but not always before a long page has finished
// loading, and it wraps wide tables in a scrolling box of its own, possibly after this first runs.)
// Runs on the first page load, after each of Material's instant navigations, and when a block is first drawn.
(function () {
  "use strict";
  function focusableScrollers(root) {
    root.querySelectorAll(".katex-display, div.arithmatex, .md-typeset__scrollwrap, pre > code, .book-figure").forEach(function (el) {
      if (el.scrollWidth > el.clientWidth) { el.tabIndex = 0; }
    });
  }
  function mark(root) {
    focusableScrollers(root);
    window.setTimeout(function () {
      focusableScrollers(root);
      document.body.dataset.scrollers = "done";  // tests wait for this before they audit a page
    }, 0);
  }
  window.addEventListener("resize", function () { focusableScrollers(document.body); });
  // A block far from the screen is not laid out (content-visibility, book.css): look again when it is drawn.
  document.addEventListener("contentvisibilityautostatechange", function (event) {
    if (!event.skipped && event.target instanceof Element) { focusableScrollers(event.target); }
  }, true);
  window.addEventListener("load", function () { focusableScrollers(document.body); });
  if (typeof document$ !== "undefined") {
    document$.subscribe(function (doc) { mark(doc.body || document.body); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { mark(document.body); });
  }
})();
