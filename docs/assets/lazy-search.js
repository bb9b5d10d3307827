// Material fetches the whole search index (hundreds of KiB) as every page loads. The book fetches it when the
// reader first reaches for search instead: the first focus of the search box (a click on it, or the "/", "s" and
// "f" keys, which focus it), or a page opened with a "?q=" query. Material asks for the index with an
// XMLHttpRequest as soon as its bundle runs, so this script comes before the bundle (bookbuild/hooks.py) and
// holds back the one request for search/search_index.json until then; every other request goes at once.
(function () {
  "use strict";
  var INDEX = /\/search\/search_index\.json$/;
  var held = [];
  var released = /[?&]q=/.test(window.location.search);
  var open = XMLHttpRequest.prototype.open;
  var send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.bookSearchIndex = INDEX.test(new URL(String(url), window.location.href).pathname);
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    if (this.bookSearchIndex && !released) {
      held.push([this, arguments]);
      return undefined;
    }
    return send.apply(this, arguments);
  };
  function release() {
    if (released) { return; }
    released = true;
    held.splice(0).forEach(function (call) { send.apply(call[0], call[1]); });
  }
  document.addEventListener("focusin", function (event) {
    if (event.target instanceof Element && event.target.closest(".md-search")) { release(); }
  });
})();
