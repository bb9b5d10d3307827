// Receptive-field calculator (chapter 6): build a stack of conv and pool layers, or pick a preset, and see
// each layer's output size, receptive field r, jump j and effective padding P, with the region that one
// unit of the last layer sees drawn on the input. The arithmetic is cnnbook.shapes.receptive_fields and
// cnnbook.shapes.conv_output_size; the browser tests compare the two on every setting they try.
import { button, colours, el, intField, select, svg } from "./ui.js";

const conv = (k, s = 1, p = 0, d = 1) => ({ type: "conv", k, s, p, d });
const pool = (k, s, p = 0) => ({ type: "pool", k, s, p, d: 1 });
const repeat = (n, make) => Array.from({ length: n }, make);

export const PRESETS = {
  vgg: { label: "VGG-style: (conv 3×3, conv 3×3, pool 2×2) × 3", input: 64,
         layers: [].concat(...repeat(3, () => [conv(3, 1, 1), conv(3, 1, 1), pool(2, 2)])) },
  small: { label: "Small stack: conv, pool, conv, pool, conv", input: 32,
          layers: [conv(3), pool(2, 2), conv(3), pool(2, 2), conv(3)] },
  lenet: { label: "LeNet-5, C1 to C5", input: 32, layers: [conv(5), pool(2, 2), conv(5), pool(2, 2), conv(5)] },
  resnet18: { label: "ResNet-18: stem and four stages", input: 224,
              layers: [conv(7, 2, 3), pool(3, 2, 1), ...repeat(4, () => conv(3, 1, 1)),
                       ...[0, 1, 2].flatMap(() => [conv(3, 2, 1), ...repeat(3, () => conv(3, 1, 1))])] },
  dilated: { label: "3×3 convs with dilation 1, 2, 4, 8", input: 40,
             layers: [1, 2, 4, 8].map((d) => conv(3, 1, d, d)) },
};

const LIMITS = { k: [1, 15], s: [1, 8], p: [0, 10], d: [1, 16] };
const MAX_LAYERS = 30;

// The recursion of sections 6.1 and 6.2.
export function fields(layers) {
  let r = 1, j = 1, P = 0;
  return layers.map((l) => {
    r += l.d * (l.k - 1) * j;
    P += l.p * j;
    j *= l.s;
    return { r, j, P, centre: -P + (r - 1) / 2 };
  });
}

export function outputSize(n, l) {
  return Math.floor((n + 2 * l.p - l.d * (l.k - 1) - 1) / l.s) + 1;
}

export function mount(root) {
  let rows = [];
  const presetNames = Object.entries(PRESETS).map(([key, p]) => [key, p.label]);
  const preset = select("Preset", [...presetNames, ["custom", "custom (edit the layers)"]], "vgg", () => {
    if (preset.node.value !== "custom") load(PRESETS[preset.node.value]);
  });
  const inputSize = intField("Input size (pixels)", 64, 1, 512, update, { name: "input size", size: 4 });
  const unitRow = intField("Unit row", 0, 0, 511, update, { name: "unit row", size: 3 });
  const unitCol = intField("Unit column", 0, 0, 511, update, { name: "unit column", size: 3 });
  const layerBody = el("tbody");
  const addConv = button("Add conv", () => { addRow(conv(3, 1, 1)); custom(); });
  const addPool = button("Add pool", () => { addRow(pool(2, 2)); custom(); });
  // What the message says, with the layer cap added once the stack is full (it stays while the stack is full:
  // a note set by the Add buttons alone would be overwritten by the update that follows them at once).
  const say = (text) => {
    const full = rows.length >= MAX_LAYERS ? `At most ${MAX_LAYERS} layers: remove one to add another.` : "";
    message.textContent = [text, full].filter(Boolean).join(" ");
  };
  const message = el("p", { class: "instrument-message", role: "status", "aria-live": "polite" });
  const resultBody = el("tbody");
  const drawing = svg("svg", { class: "instrument-drawing", role: "img", viewBox: "0 0 320 320" });
  const summary = el("p", { class: "instrument-summary", "aria-live": "polite" });

  root.append(
    el("div", { class: "instrument-controls" }, [preset.wrapper, inputSize.wrapper]),
    el("div", { class: "instrument-scroll", tabindex: "0", role: "region", "aria-label": "Layers" }, [
      el("table", { class: "instrument-table", "data-table": "layers" }, [
        el("caption", { text: "Layers, from the input upwards" }),
        el("thead", {}, [el("tr", {}, ["#", "", "type", "kernel k", "stride s", "padding p", "dilation d"]
          .map((t) => el("th", { scope: "col", text: t })))]),
        layerBody,
      ]),
    ]),
    el("div", { class: "instrument-controls" }, [addConv, addPool]),
    message,
    el("div", { class: "instrument-output" }, [
      el("div", { class: "instrument-scroll", tabindex: "0", role: "region", "aria-label": "Per-layer results" }, [
        el("table", { class: "instrument-table", "data-table": "results" }, [
          el("caption", { text: "What each layer's units see" }),
          el("thead", {}, [el("tr", {}, ["#", "layer", "output size", "receptive field r", "jump j",
                                          "padding P", "centre of unit 0"]
            .map((t) => el("th", { scope: "col", text: t })))]),
          resultBody,
        ]),
      ]),
      el("div", { class: "instrument-figure" }, [
        el("div", { class: "instrument-controls" }, [unitRow.wrapper, unitCol.wrapper]),
        drawing, summary,
      ]),
    ]),
  );

  function custom() { preset.node.value = "custom"; update(); }

  function addRow(layer) {
    if (rows.length >= MAX_LAYERS) return;  // update() says so
    const tr = el("tr");
    const kind = select("type", [["conv", "conv"], ["pool", "pool"]], layer.type, () => {
      row.fields.d.setEnabled(kind.node.value === "conv");
      if (kind.node.value === "pool") row.fields.d.set(1);
      custom();
    });
    kind.wrapper.querySelector("label").className = "instrument-sr";
    const row = { tr, kind, fields: {} };
    const remove = button("Remove", () => {
      rows = rows.filter((r) => r !== row);
      tr.remove();
      custom();
    }, { "aria-label": "Remove this layer" });
    // Remove comes second, beside the layer's number, where a phone's screen still shows it.
    const cells = [el("td", { "data-field": "index" }), el("td", {}, [remove]), el("td", {}, [kind.wrapper])];
    for (const key of ["k", "s", "p", "d"]) {
      const [lo, hi] = LIMITS[key];
      const names = { k: "kernel", s: "stride", p: "padding", d: "dilation" };
      const field = intField(names[key], layer[key], lo, hi, custom, { name: names[key], size: 2, hideLabel: true });
      row.fields[key] = field;
      cells.push(el("td", {}, [field.wrapper]));
    }
    row.fields.d.setEnabled(layer.type === "conv");
    tr.append(...cells);
    layerBody.append(tr);
    rows.push(row);
  }

  function load(p) {
    rows = [];
    layerBody.replaceChildren();
    p.layers.forEach(addRow);
    inputSize.set(p.input);
    unitRow.set(0);
    unitCol.set(0);
    update();
  }

  function layersNow() {
    const layers = [];
    for (const [index, row] of rows.entries()) {
      const l = { type: row.kind.node.value };
      for (const key of ["k", "s", "p", "d"]) l[key] = row.fields[key].value();
      if (Object.values(l).some((v) => v === null)) return { error: `Layer ${index + 1} has a value out of range.` };
      layers.push(l);
    }
    return { layers };
  }

  function update() {
    rows.forEach((row, i) => { row.tr.querySelector('[data-field="index"]').textContent = String(i + 1); });
    const { layers, error } = layersNow();
    const n = inputSize.value();
    resultBody.replaceChildren();
    drawing.replaceChildren();
    summary.textContent = "";
    delete summary.dataset.region;
    if (error || n === null) {
      say(error || "The input size must be a whole number from 1 to 512.");
      return;
    }
    if (!layers.length) {
      say("Add a layer to begin.");
      return;
    }
    const fs = fields(layers);
    let size = n, problem = "";
    layers.forEach((l, i) => {
      const next = size === null ? null : outputSize(size, l);
      if (next !== null && next < 1 && !problem) {
        problem = `Layer ${i + 1}: its window spans ${l.d * (l.k - 1) + 1} pixels but its padded input is only `
          + `${size + 2 * l.p}; there is no output from here on.`;
      }
      size = next !== null && next >= 1 ? next : null;
      const f = fs[i];
      const name = l.type === "conv"
        ? `conv ${l.k}×${l.k}` + (l.s > 1 ? `/${l.s}` : "") + (l.p ? `, pad ${l.p}` : "") + (l.d > 1 ? `, dil ${l.d}` : "")
        : `pool ${l.k}×${l.k}/${l.s}` + (l.p ? `, pad ${l.p}` : "");
      resultBody.append(el("tr", { "data-layer": String(i + 1) }, [
        el("td", { text: String(i + 1) }), el("td", { text: name }),
        el("td", { "data-field": "size", text: size === null ? "–" : `${size}×${size}` }),
        el("td", { "data-field": "r", text: String(f.r) }), el("td", { "data-field": "j", text: String(f.j) }),
        el("td", { "data-field": "P", text: String(f.P) }), el("td", { "data-field": "centre", text: String(f.centre) }),
      ]));
    });
    say(problem);
    const last = fs[fs.length - 1];
    const units = size === null ? 0 : size;
    const i = unitRow.value(), j = unitCol.value();
    if (!units) {  // no unit of the last layer exists: there is no region to draw or describe
      summary.textContent = "The last layer has no output, so it has no unit whose region could be drawn.";
      return;
    }
    if (i === null || j === null || i >= units || j >= units) {
      say(`Pick a unit with row and column from 0 to ${units - 1}.`);
      return;
    }
    draw(n, last, i, j);
  }

  function draw(n, f, i, j) {
    const c = colours();
    const top = -f.P + i * f.j, left = -f.P + j * f.j;
    const lo = Math.min(0, top, left), hi = Math.max(n, top + f.r, left + f.r);
    const scale = 300 / (hi - lo);
    const x = (v) => 10 + (v - lo) * scale;
    drawing.append(svg("title", { text: `A ${n} by ${n} input with the ${f.r} by ${f.r} field of unit (${i}, ${j}) `
      + `from row ${top} and column ${left}` }));
    drawing.append(svg("rect", { x: x(0), y: x(0), width: n * scale, height: n * scale, fill: c.faint,
                                 stroke: c.light }));
    if (n <= 64) {
      for (let t = 1; t < n; t++) {
        drawing.append(svg("line", { x1: x(t), y1: x(0), x2: x(t), y2: x(n), stroke: c.faint, "stroke-width": 0.5 }));
        drawing.append(svg("line", { x1: x(0), y1: x(t), x2: x(n), y2: x(t), stroke: c.faint, "stroke-width": 0.5 }));
      }
    }
    drawing.append(svg("rect", { x: x(left), y: x(top), width: f.r * scale, height: f.r * scale,
                                 fill: c.accent, "fill-opacity": 0.35, stroke: c.accent, "stroke-width": 2 }));
    const cx = x(left + (f.r - 1) / 2 + 0.5), cy = x(top + (f.r - 1) / 2 + 0.5);
    drawing.append(svg("circle", { cx, cy, r: 3, fill: c.fg }));
    const inside = Math.max(0, Math.min(n, top + f.r) - Math.max(0, top))
      * Math.max(0, Math.min(n, left + f.r) - Math.max(0, left));
    summary.dataset.region = `${top},${left},${f.r}`;
    summary.textContent = `Unit (${i}, ${j}) of the last layer sees rows ${top} to ${top + f.r - 1} and columns `
      + `${left} to ${left + f.r - 1}: ${f.r}×${f.r} pixels, of which ${inside} lie inside the image `
      + `(the rest is padding), centred at (${top + (f.r - 1) / 2}, ${left + (f.r - 1) / 2}).`;
  }

  load(PRESETS.vgg);
  return update;
}
