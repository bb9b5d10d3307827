// Convolution arithmetic animator (chapter 2): any input size, kernel, padding, stride and dilation, direct
// or transposed; step through the window positions or play them. It draws the padded (for a transposed
// convolution, zero-stuffed) input, the window and the output, fills in the output-size formula, and says
// when a stride does not fit. The arithmetic is cnnbook.arithmetic.Arithmetic, which the browser tests
// compare with it setting by setting. The drawing is made once per setting; a step moves the window and
// lights one more output cell, so the largest setting steps as fast as the smallest.
import { button, el, intField, svg } from "./ui.js";


export function arithmetic(s) {
  const span = s.d * (s.k - 1) + 1;
  if (s.transposed) {
    if (s.p > span - 1) return { error: `Padding must be at most d·(k − 1) = ${span - 1} for a transposed convolution.` };
    if (s.op >= Math.max(s.s, s.d)) return { error: `Output padding must be smaller than the stride or the dilation (${Math.max(s.s, s.d)}).` };
    const out = (s.i - 1) * s.s - 2 * s.p + s.d * (s.k - 1) + s.op + 1;
    if (out < 1) return { error: `Padding ${s.p} trims the whole output.` };
    const before = span - 1 - s.p, after = before + s.op;
    const canvas = before + after + s.s * (s.i - 1) + 1;
    return { span, canvas, out, step: 1, spacing: s.s, before, after, unused: canvas - ((out - 1) + span),
             formula: `o = (${s.i} − 1)·${s.s} − 2·${s.p} + ${s.d}·(${s.k} − 1) + ${s.op} + 1 = ${out}` };
  }
  if (s.op) return { error: "Output padding belongs to transposed convolutions." };
  const canvas = s.i + 2 * s.p;
  if (canvas < span) return { error: `The kernel spans ${span} cells but the padded input has only ${canvas}.` };
  const out = Math.floor((canvas - span) / s.s) + 1;
  return { span, canvas, out, step: s.s, spacing: 1, before: s.p, after: s.p, unused: canvas - ((out - 1) * s.s + span),
           formula: `o = ⌊(${s.i} + 2·${s.p} − ${s.d}·(${s.k} − 1) − 1) / ${s.s}⌋ + 1 = ${out}` };
}

export function mount(root, data) {
  // The static drawings' colours (cnnbook.arithmetic.COLOURS, which the page embeds: the instrument's data), on a
  // white panel as the figures are, in both colour schemes.
  const palette = data.colours;
  const f = {
    i: intField("Input size i", 5, 1, 16, reset, { name: "input size", size: 2 }),
    k: intField("Kernel k", 3, 1, 7, reset, { name: "kernel", size: 2 }),
    p: intField("Padding p", 1, 0, 8, reset, { name: "padding", size: 2 }),
    s: intField("Stride s", 2, 1, 4, reset, { name: "stride", size: 2 }),
    d: intField("Dilation d", 1, 1, 4, reset, { name: "dilation", size: 2 }),
    op: intField("Output padding", 0, 0, 3, reset, { name: "output padding", size: 2 }),
  };
  const transposedId = `transposed-${Math.random().toString(36).slice(2)}`;
  const transposed = el("input", { type: "checkbox", id: transposedId });
  transposed.addEventListener("change", reset);
  const formula = el("p", { class: "instrument-formula", "data-formula": "", "aria-live": "polite" });
  const message = el("p", { class: "instrument-message", role: "status", "aria-live": "polite" });
  const counter = el("span", { class: "instrument-counter", "aria-live": "polite" });
  const back = button("◀ Step back", () => go(position - 1));
  const next = button("Step ▶", () => go(position + 1));
  const play = button("Play", toggle);
  const restart = button("Reset", () => { stop(); go(0); });
  const drawing = svg("svg", { class: "instrument-drawing instrument-wide", role: "img" });
  root.append(
    el("div", { class: "instrument-controls" }, [
      ...Object.values(f).map((x) => x.wrapper),
      el("span", { class: "instrument-field" }, [transposed, el("label", { for: transposedId, text: " transposed" })]),
    ]),
    formula, message,
    el("div", { class: "instrument-controls" }, [back, next, play, restart, counter]),
    drawing,
  );

  let setting = null, a = null, position = 0, timer = null;

  function read() {
    const s = Object.fromEntries(Object.entries(f).map(([key, field]) => [key, field.value()]));
    s.transposed = transposed.checked;
    f.op.setEnabled(s.transposed);
    if (!s.transposed) { s.op = 0; }
    return s;
  }

  function reset() {
    stop();
    setting = read();
    const bad = Object.entries(setting).filter(([, v]) => v === null).map(([k]) => f[k].input.dataset.name);
    a = bad.length ? { error: `Check: ${bad.join(", ")}.` } : arithmetic(setting);
    root.dataset.outputSize = a.error ? "" : String(a.out);
    root.dataset.canvasSize = a.error ? "" : String(a.canvas);
    root.dataset.unused = a.error ? "" : String(a.unused);
    formula.textContent = a.error ? "" : a.formula;
    [back, next, play, restart].forEach((b) => { b.disabled = Boolean(a.error); });
    if (a.error) {
      message.textContent = a.error;
      drawing.replaceChildren();
      counter.textContent = "";
      return;
    }
    message.textContent = a.unused > 0
      ? `The stride does not fit: no window reaches the last ${a.unused} row${a.unused > 1 ? "s" : ""} and `
        + `column${a.unused > 1 ? "s" : ""} (outlined in red); they are never read.`
      : "";
    build();
    go(0);
  }

  function go(n) {
    const total = a.out * a.out;
    position = Math.max(0, Math.min(total - 1, n));
    const row = Math.floor(position / a.out), col = position % a.out;
    root.dataset.window = `${row * a.step},${col * a.step}`;
    root.dataset.step = String(position + 1);
    counter.textContent = `step ${position + 1} of ${total}: output (${row}, ${col}) from the window at `
      + `(${row * a.step}, ${col * a.step})`;
    draw(row, col);
  }

  function toggle() {
    if (timer) { stop(); return; }
    play.textContent = "Pause";
    if (position >= a.out * a.out - 1) go(0);
    timer = window.setInterval(() => {
      if (position >= a.out * a.out - 1) { stop(); return; }
      go(position + 1);
    }, 700);
  }

  function stop() {
    if (timer) window.clearInterval(timer);
    timer = null;
    play.textContent = "Play";
  }

  // The drawing of one setting: canvas, output and labels, made once; the window's cells, regrouped per step.
  let cells = null;
  function build() {
    const n = a.canvas, o = a.out;
    const cell = Math.max(8, Math.min(22, Math.floor(300 / Math.max(n, 1))));
    const gap = 40, width = (n + o) * cell + gap + 20;
    // Labels stay about 11 px on screen: the drawing is shown at most about 680 px wide, so a wider viewBox gets
    // proportionally larger text (and room above the grids for it).
    const font = Math.round(11 * Math.max(1, width / 680));
    const top = font + 12, height = Math.max(n, o) * cell + top + 10;
    drawing.setAttribute("viewBox", `0 0 ${width} ${height}`);
    drawing.style.maxWidth = `${Math.round(width * 1.3)}px`;  // small settings stay small
    const title = svg("title");
    const isInput = (t) => t >= a.before && t <= n - 1 - a.after && (t - a.before) % a.spacing === 0;
    const lastRead = (o - 1) * a.step + a.span - 1;
    const canvas = [svg("rect", { x: 0, y: 0, width, height, fill: "#ffffff" })];
    for (let r = 0; r < n; r++) {
      for (let q = 0; q < n; q++) {
        const inside = r >= a.before && r <= n - 1 - a.after && q >= a.before && q <= n - 1 - a.after;
        const fill = isInput(r) && isInput(q) ? palette.input : inside ? palette.zero : palette.pad;
        const unread = r > lastRead || q > lastRead;
        canvas.push(svg("rect", { x: 10 + q * cell, y: top + r * cell, width: cell - 1, height: cell - 1, fill,
                                  stroke: unread ? palette.unused : palette.grid, "stroke-width": unread ? 1.5 : 0.5,
                                  "stroke-dasharray": fill === palette.input || unread ? "none" : "3 2" }));
      }
    }
    const win = svg("g");
    const x0 = 10 + n * cell + gap;
    const outputs = [];
    for (let r = 0; r < o; r++) {
      for (let q = 0; q < o; q++) {
        outputs.push(svg("rect", { x: x0 + q * cell, y: top + r * cell, width: cell - 1, height: cell - 1,
                                   fill: "none", stroke: palette.grid, "stroke-width": 0.5 }));
      }
    }
    const current = svg("rect", { width: cell - 1, height: cell - 1, fill: "none", stroke: palette.window,
                                  "stroke-width": 3 });
    drawing.replaceChildren(title, ...canvas, win, ...outputs, current,
      svg("text", { x: 10, y: font + 4, "font-size": font, fill: palette.text,
                    text: setting.transposed ? "input, spread out and padded" : "padded input" }),
      svg("text", { x: x0, y: font + 4, "font-size": font, fill: palette.text, text: `output ${o}×${o}` }));
    cells = { cell, top, x0, title, win, outputs, current, lit: -1 };
  }

  function draw(row, col) {
    const { cell, top, x0, title, win, outputs, current } = cells;
    const o = a.out, n = a.canvas;
    title.textContent = `${setting.transposed ? "Transposed convolution" : "Convolution"}: a ${n} by ${n} canvas `
      + `and a ${o} by ${o} output; step ${position + 1}.`;
    const y0 = row * a.step, x = col * a.step;
    const taps = [];
    for (let m = 0; m < setting.k; m++) {
      for (let l = 0; l < setting.k; l++) {
        taps.push(svg("rect", { x: 10 + (x + l * setting.d) * cell + 2, y: top + (y0 + m * setting.d) * cell + 2,
                                width: cell - 5, height: cell - 5, fill: palette.window, "fill-opacity": 0.75 }));
      }
    }
    taps.push(svg("rect", { x: 10 + x * cell - 1, y: top + y0 * cell - 1, width: a.span * cell + 1,
                            height: a.span * cell + 1, fill: "none", stroke: palette.window, "stroke-width": 2 }));
    win.replaceChildren(...taps);
    // Light the outputs done so far: only the cells between the last step drawn and this one change.
    const lo = Math.min(cells.lit, position), hi = Math.max(cells.lit, position);
    for (let t = Math.max(0, lo + 1); t <= hi; t++) outputs[t].setAttribute("fill", t <= position ? palette.output : "none");
    cells.lit = position;
    current.setAttribute("x", x0 + col * cell);
    current.setAttribute("y", top + row * cell);
  }

  reset();
}
