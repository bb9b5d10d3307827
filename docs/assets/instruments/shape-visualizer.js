// Feature-map shape visualizer (chapter 4): stages of "same" convolutions and a pool, with the channels
// doubling at every stage. It shows each stage's output shape, activations and parameters, and draws the
// maps to scale. The arithmetic is cnnbook.shapes (conv_output_size, pool_output_size, conv2d_params);
// the browser tests compare the two on every setting they try.
import { colours, el, intField, svg } from "./ui.js";

export function stages(s) {
  const rows = [];
  let h = s.input, c = s.channels;
  for (let stage = 1; stage <= s.stages; stage++) {
    const out = s.first * 2 ** (stage - 1);
    const pad = Math.floor(s.kernel / 2);
    let params = 0, activations = 0;
    for (let n = 0; n < s.convs; n++) {
      params += (s.kernel * s.kernel * c + 1) * out;
      h = h + 2 * pad - s.kernel + 1;
      c = out;
      activations += c * h * h;
    }
    const convSide = h;
    if (s.pool > 1) {
      h = Math.floor((h - s.pool) / s.pool) + 1;
      activations += c * h * h;
    }
    rows.push({ stage, convSide, side: h, channels: c, activations, params });
    if (h < 1) break;
  }
  return rows;
}

const fmt = (n) => n.toLocaleString("en-US");

// The default state is the chapter's stack, cnnbook.figures.ch04.STAGES, which the page embeds as the
// instrument's data; the values below stand in only where a page gives none.
const DEFAULTS = { input_size: 224, channels: 3, first: 64, stages: 4, convs: 1, kernel: 3, pool: 2 };

export function mount(root, data) {
  const d = { ...DEFAULTS, ...(data || {}) };
  const fields = {
    input: intField("Input size", d.input_size, 8, 512, update, { name: "input size" }),
    channels: intField("Input channels", d.channels, 1, 16, update, { name: "input channels", size: 2 }),
    first: intField("Channels of stage 1", d.first, 1, 512, update, { name: "first channels" }),
    stages: intField("Stages", d.stages, 1, 6, update, { name: "stages", size: 2 }),
    convs: intField("Convs per stage", d.convs, 1, 4, update, { name: "convs per stage", size: 2 }),
    kernel: intField("Kernel size", d.kernel, 1, 11, update, { name: "kernel size", size: 2 }),
    pool: intField("Pool window (1: none)", d.pool, 1, 4, update, { name: "pool window", size: 2 }),
  };
  const message = el("p", { class: "instrument-message", role: "status", "aria-live": "polite" });
  const body = el("tbody");
  const caption = el("caption");
  const total = el("p", { class: "instrument-summary", "aria-live": "polite" });
  const drawing = svg("svg", { class: "instrument-drawing instrument-wide", role: "img", viewBox: "0 0 640 220" });
  root.append(
    el("div", { class: "instrument-controls" }, Object.values(fields).map((f) => f.wrapper)),
    message,
    drawing,
    el("div", { class: "instrument-scroll", tabindex: "0", role: "region", "aria-label": "Stages" }, [
      el("table", { class: "instrument-table", "data-table": "stages" }, [
        caption,
        el("thead", {}, [el("tr", {}, ["stage", "after the convs", "after the pool", "activations", "parameters"]
          .map((t) => el("th", { scope: "col", text: t })))]),
        body,
      ]),
    ]),
    total,
  );

  function update() {
    const s = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.value()]));
    body.replaceChildren();
    drawing.replaceChildren();
    total.textContent = "";
    const bad = Object.entries(s).filter(([, v]) => v === null).map(([k]) => fields[k].input.dataset.name);
    if (bad.length) {
      message.textContent = `Check: ${bad.join(", ")}.`;
      return;
    }
    const pad = Math.floor(s.kernel / 2);
    // Padding ⌊k/2⌋ on each side keeps the size only for an odd kernel; an even one grows each map by a pixel.
    caption.textContent = s.kernel % 2
      ? `Each stage: convolutions with "same" padding (${pad} on each side), then the pool`
      : `Each stage: convolutions with padding ${pad} on each side (an even kernel has no "same" padding: `
        + `each convolution makes the map one pixel larger), then the pool`;
    const rows = stages(s);
    const last = rows[rows.length - 1];
    const vanished = last.side < 1 || last.convSide < 1;
    message.textContent = vanished
      ? `Stage ${last.stage} has no output left: the maps shrank below one pixel, so the network ends at stage `
        + `${last.stage - 1} and the totals count the stages before it.` : "";
    const working = vanished ? rows.slice(0, -1) : rows;
    for (const r of rows) {
      const dead = !working.includes(r);
      body.append(el("tr", { "data-stage": String(r.stage) }, [
        el("td", { text: String(r.stage) }),
        el("td", { "data-field": "conv", text: `${r.convSide}×${r.convSide}×${r.channels}` }),
        el("td", { "data-field": "pool", text: s.pool > 1 ? `${r.side}×${r.side}×${r.channels}` : "(no pool)" }),
        el("td", { "data-field": "activations", text: dead ? "–" : fmt(r.activations) }),
        el("td", { "data-field": "params", text: dead ? "–" : fmt(r.params) }),
      ]));
    }
    const params = working.reduce((a, r) => a + r.params, 0);
    const acts = working.reduce((a, r) => a + r.activations, 0) + s.channels * s.input * s.input;
    total.dataset.params = String(params);
    total.dataset.activations = String(acts);
    total.textContent = `In total${vanished ? ` (stages 1 to ${last.stage - 1})` : ""}: ${fmt(params)} parameters, `
      + `and ${fmt(acts)} activations per image including the input (${(acts * 4 / 2 ** 20).toFixed(1)} MiB in `
      + `float32): the early stages hold the activations, the late ones the parameters.`;
    draw(s, working);
  }

  // Each map drawn to scale: height ∝ its side, width ∝ its channels (the input first).
  function draw(s, rows) {
    const c = colours();
    const maps = [{ side: s.input, channels: s.channels, label: "input" }]
      .concat(rows.filter((r) => r.side >= 1).map((r) => ({ side: r.side, channels: r.channels, label: `stage ${r.stage}` })));
    const maxSide = Math.max(...maps.map((m) => m.side));
    const maxChannels = Math.max(...maps.map((m) => m.channels));
    const slot = 640 / maps.length;  // one slot per map, so the labels never collide
    drawing.append(svg("title", { text: `Feature maps to scale: ${maps.map((m) => `${m.label} ${m.side}×${m.side}×${m.channels}`).join(", ")}` }));
    maps.forEach((m, index) => {
      const h = 170 * m.side / maxSide, w = Math.max(1.5, (slot - 12) * m.channels / maxChannels);
      const centre = slot * (index + 0.5);
      drawing.append(svg("rect", { x: centre - w / 2, y: 180 - h, width: w, height: h, fill: c.primary,
                                   "fill-opacity": 0.35, stroke: c.primary }));
      drawing.append(svg("text", { x: centre, y: 198, "text-anchor": "middle", "font-size": 11, fill: c.fg,
                                   text: m.label }));
      drawing.append(svg("text", { x: centre, y: 213, "text-anchor": "middle", "font-size": 10, fill: c.fg,
                                   text: `${m.side}×${m.side}×${m.channels}` }));
    });
  }

  update();
  return update;
}
