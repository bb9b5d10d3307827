// Mounts the book's instruments on their placeholders: <div class="book-instrument" data-instrument="NAME">
// holding the build-time figure of the instrument's default state, which stays the page's content when
// JavaScript is off. Runs on the first load and after each of Material's instant navigations.
const MODULES = {
  "rf-calculator": () => import("./rf-calculator.js"),
  "shape-visualizer": () => import("./shape-visualizer.js"),
  "conv-arithmetic": () => import("./conv-arithmetic.js"),
  "kernel-explorer": () => import("./kernel-explorer.js"),
};

// Drawings read the theme's colours when they are drawn: redraw them when the reader switches scheme.
const redraws = new Set();
new MutationObserver(() => redraws.forEach((redraw) => redraw()))
  .observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });

async function mountAll(root) {
  for (const host of root.querySelectorAll("[data-instrument]")) {
    if (host.dataset.mounted) continue;
    const load = MODULES[host.dataset.instrument];
    if (!load) continue;
    host.dataset.mounted = "pending";
    const module = await load();
    const live = document.createElement("div");
    live.className = "instrument-live";
    const figure = host.querySelector("figure");
    const image = figure ? figure.querySelector("img") : null;
    if (image) {
      // The static figure's image gives way; its caption stays and numbers the instrument.
      const box = image.parentElement.tagName === "P" ? image.parentElement : image;
      box.style.display = "none";
      figure.insertBefore(live, figure.querySelector("figcaption"));
    } else {
      host.appendChild(live);
    }
    const data = host.querySelector("script.instrument-data");
    const redraw = module.mount(live, data ? JSON.parse(data.textContent) : null);
    if (typeof redraw === "function") redraws.add(redraw);
    host.dataset.mounted = "yes";
  }
}

if (typeof document$ !== "undefined") {
  document$.subscribe((doc) => { mountAll(doc.body || document.body); });
} else {
  mountAll(document.body);
}
