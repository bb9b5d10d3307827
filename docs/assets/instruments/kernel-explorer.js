// Kernel explorer (chapter 1): draw on a small input grid or pick a preset (a photograph crop, a bar, a
// digit), choose a 3×3 kernel or type one, and see the feature map. Focus or hover an output cell to see
// the window and the sum that produced it. The presets are arrays cnnbook computed at build time, and the
// browser tests compare every output value with cnnbook.functional.conv2d.
import { el, select } from "./ui.js";

export function correlate(x, w) {
  const n = x.length, k = w.length, o = n - k + 1, y = [];
  for (let i = 0; i < o; i++) {
    const row = [];
    for (let j = 0; j < o; j++) {
      let sum = 0;
      for (let m = 0; m < k; m++) for (let l = 0; l < k; l++) sum += w[m][l] * x[i + m][j + l];
      row.push(sum);
    }
    y.push(row);
  }
  return y;
}

const short = (v) => {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? "0" : String(r);
};

// A weight as a reader types it: a plain decimal number (not 0x10 or 1e2, which JavaScript would also read),
// with - or − for minus, from −100 to 100; null otherwise.
const DECIMAL = /^[-\u2212]?(\d+(\.\d*)?|\.\d+)$/;
export function parseWeight(text) {
  const t = text.trim();
  if (!DECIMAL.test(t)) return null;
  const v = Number(t.replace("\u2212", "-"));
  return Math.abs(v) <= 100 ? v : null;
}

// "w·x + w·x − w·x": each product of a window, with the sign of its weight as the operator before it.
export function sumOfProducts(terms) {
  if (!terms.length) return "0";
  return terms.map(([w, x], index) => {
    const product = `${short(Math.abs(w))}·${short(x)}`;
    if (index === 0) return w < 0 ? `\u2212${product}` : product;
    return (w < 0 ? " \u2212 " : " + ") + product;
  }).join("");
}
const signed = (v) => short(v).replace("-", "\u2212");

// A signed value's colour, t from -1 to 1, on the book's diverging map: the figures' own
// (cnnbook.figures.common.DIVERGING), sampled at build time into evenly spaced stops
// (cnnbook.instruments.diverging_stops) and interpolated here.
const rgbOf = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
export function diverging(stops, t) {
  const u = ((Math.max(-1, Math.min(1, t)) + 1) / 2) * (stops.length - 1);
  const lo = Math.min(stops.length - 2, Math.floor(u));
  const f = u - lo;
  return stops[lo].map((a, k) => Math.round(a + (stops[lo + 1][k] - a) * f));
}
// Black or white, whichever reads on the colour at WCAG's 4.5:1 or better (the switch is at luminance 0.179).
export function ink(rgb) {
  const [r, g, b] = rgb.map((v) => (v / 255 <= 0.04045 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.179 ? "#000000" : "#ffffff";
}
function paint(node, rgb) {
  node.style.background = `rgb(${rgb.join(", ")})`;
  node.style.color = ink(rgb);
}

// A grid of cells with one tab stop: arrow keys move, Enter or Space acts (chapter 1's "roving tabindex").
function grid(label, n, onFocus, onAct) {
  const node = el("div", { class: "explorer-grid", role: "grid", "aria-label": label });
  node.style.gridTemplateColumns = `repeat(${n}, 1fr)`;
  const cells = [];
  for (let i = 0; i < n; i++) {
    const row = el("div", { role: "row", class: "explorer-row" });
    for (let j = 0; j < n; j++) {
      const cell = el("div", { role: "gridcell", class: "explorer-cell", tabindex: i === 0 && j === 0 ? "0" : "-1",
                               "data-row": String(i), "data-col": String(j) });
      cell.addEventListener("focus", () => onFocus(i, j));
      cell.addEventListener("mouseenter", () => onFocus(i, j));
      cell.addEventListener("click", () => { move(i, j); if (onAct) onAct(i, j); });
      cell.addEventListener("keydown", (event) => {
        const step = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[event.key];
        if (step) {
          event.preventDefault();
          move(Math.max(0, Math.min(n - 1, i + step[0])), Math.max(0, Math.min(n - 1, j + step[1])));
        } else if ((event.key === "Enter" || event.key === " ") && onAct) {
          event.preventDefault();
          onAct(i, j);
        }
      });
      row.append(cell);
      cells.push(cell);
    }
    node.append(row);
  }
  function move(i, j) {
    for (const c of cells) c.tabIndex = -1;
    const target = cells[i * n + j];
    target.tabIndex = 0;
    target.focus();
  }
  return { node, cells, n };
}

export function mount(root, data) {
  const n = data.size;
  const stops = data.colours.diverging.map(rgbOf);
  let x = data.inputs[Object.keys(data.inputs)[0]].map((row) => row.slice());
  let w = data.kernels["sobel x"].map((row) => row.slice());
  const inputPreset = select("Input", Object.keys(data.inputs).map((k) => [k, k]), Object.keys(data.inputs)[0], () => {
    x = data.inputs[inputPreset.node.value].map((row) => row.slice());
    update();
  });
  const kernelPreset = select("Kernel", [...Object.keys(data.kernels).map((k) => [k, k]), ["custom", "custom (type below)"]],
                              "sobel x", () => {
    if (kernelPreset.node.value === "custom") return;
    w = data.kernels[kernelPreset.node.value].map((row) => row.slice());
    kernelFields.forEach((f, index) => { f.value = short(w[Math.floor(index / 3)][index % 3]); f.setAttribute("aria-invalid", "false"); });
    message.textContent = "";  // the preset replaced every weight, the mistyped ones too
    update();
  });
  const message = el("p", { class: "instrument-message", role: "status", "aria-live": "polite" });
  const kernelFields = [];
  const kernelGrid = el("div", { class: "explorer-kernel", role: "group", "aria-label": "Kernel weights" });
  for (let m = 0; m < 3; m++) {
    for (let l = 0; l < 3; l++) {
      const input = el("input", { type: "text", inputmode: "decimal", size: 4, value: short(w[m][l]),
                                  "aria-label": `weight row ${m + 1} column ${l + 1}`, "data-name": `w${m}${l}` });
      input.addEventListener("input", () => {
        const v = parseWeight(input.value);
        const ok = v !== null;
        input.setAttribute("aria-invalid", ok ? "false" : "true");
        kernelPreset.node.value = "custom";
        if (ok) w[m][l] = v;
        const bad = kernelFields.filter((f) => f.getAttribute("aria-invalid") === "true").length;
        message.textContent = bad ? `${bad} weight${bad > 1 ? "s are" : " is"} not a decimal number from −100 to 100 `
          + "(such as 2, −0.5 or .25)." : "";
        update();
      });
      kernelFields.push(input);
      kernelGrid.append(input);
    }
  }
  const inputGrid = grid("Input image: arrow keys move, Enter or Space toggles a pixel", n, () => {}, (i, j) => {
    x[i][j] = x[i][j] >= 0.5 ? 0 : 1;
    update();
  });
  const o = n - 2;
  const outputGrid = grid("Feature map: focus a cell to see its sum", o, (i, j) => explain(i, j), null);
  const sum = el("p", { class: "explorer-sum", "aria-live": "polite" });
  const facts = el("p", { class: "instrument-summary" });
  root.append(
    el("div", { class: "instrument-controls" }, [inputPreset.wrapper, kernelPreset.wrapper]),
    el("div", { class: "explorer-panels" }, [
      el("div", {}, [el("p", { class: "explorer-title", text: `input ${n}×${n}` }), inputGrid.node]),
      el("div", {}, [el("p", { class: "explorer-title", text: "kernel 3×3" }), kernelGrid]),
      el("div", {}, [el("p", { class: "explorer-title", text: `feature map ${o}×${o}` }), outputGrid.node]),
    ]),
    message, sum, facts,
  );

  let y = [];
  let shown = [0, 0, false];  // the output cell whose sum is shown, and whether a reader chose it
  function update() {
    y = correlate(x, w);
    const big = Math.max(1e-12, ...y.flat().map(Math.abs));
    kernelFields.forEach((f, index) => paint(f, diverging(stops, w[Math.floor(index / 3)][index % 3] / data.colours.kernel_limit)));
    inputGrid.cells.forEach((cell, index) => {
      const v = x[Math.floor(index / n)][index % n];
      const g = Math.round(255 * Math.max(0, Math.min(1, v)));  // the pixel's brightness: 0 black, 1 white
      cell.style.background = `rgb(${g}, ${g}, ${g})`;
      cell.dataset.value = String(v);
      cell.setAttribute("aria-label", `pixel ${Math.floor(index / n)}, ${index % n}: ${short(v)}`);
    });
    outputGrid.cells.forEach((cell, index) => {
      const v = y[Math.floor(index / o)][index % o];
      cell.dataset.value = String(v);
      cell.textContent = short(v);
      paint(cell, diverging(stops, v / (big * data.colours.map_headroom)));  // as the static figure: ±1.5 × the largest
      cell.setAttribute("aria-label", `output ${Math.floor(index / o)}, ${index % o}: ${short(v)}`);
    });
    facts.textContent = `A ${n}×${n} input and a 3×3 kernel give a ${o}×${o} feature map (n − k + 1 = ${o}): the same `
      + `9 weights are used at all ${o * o} positions, ${9 * o * o} multiplications in all.`;
    explain(...shown);  // a toggled pixel or a new weight keeps the sum the reader was looking at
  }

  function explain(i, j, show = true) {
    shown = [i, j, show];
    inputGrid.cells.forEach((cell) => cell.classList.remove("explorer-window"));
    for (let m = 0; m < 3; m++) for (let l = 0; l < 3; l++) inputGrid.cells[(i + m) * n + j + l].classList.add("explorer-window");
    outputGrid.cells.forEach((cell) => cell.classList.remove("explorer-current"));
    outputGrid.cells[i * o + j].classList.add("explorer-current");
    const terms = [];
    for (let m = 0; m < 3; m++) for (let l = 0; l < 3; l++) if (w[m][l] !== 0) terms.push([w[m][l], x[i + m][j + l]]);
    sum.dataset.cell = `${i},${j}`;
    sum.textContent = `output (${i}, ${j}) = ${sumOfProducts(terms)} = ${signed(y[i][j])}`
      + (show ? "" : "  (focus or hover a cell of the feature map to see its sum)");
  }

  update();
}
