// Small DOM helpers for the instruments. Text goes in through textContent only: nothing a reader types is
// ever parsed as HTML.
let counter = 0;

export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) node.append(child);
  return node;
}

const SVG = "http://www.w3.org/2000/svg";

export function svg(tag, attrs = {}, children = []) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, String(value));
  }
  for (const child of children) node.append(child);
  return node;
}

// A labelled integer field. It accepts what is typed, and says inline, next to the field, what is wrong
// with it; value() is the integer, or null while the text is not a whole number in [min, max].
export function intField(label, value, min, max, onChange, options = {}) {
  const id = uid("field");
  const input = el("input", {
    id, type: "text", inputmode: "numeric", autocomplete: "off", spellcheck: "false",
    value: String(value), size: options.size || 4, "aria-describedby": `${id}-msg`,
    "data-name": options.name || label,
  });
  const message = el("span", { id: `${id}-msg`, class: "instrument-error", role: "status" });
  const wrapper = el("span", { class: "instrument-field" }, [
    el("label", { for: id, text: label, class: options.hideLabel ? "instrument-sr" : null }), input, message,
  ]);
  const parse = () => {
    const text = input.value.trim();
    if (!/^-?\d+$/.test(text)) return null;
    const n = Number(text);
    return n >= min && n <= max ? n : null;
  };
  const check = () => {
    const ok = parse() !== null;
    input.setAttribute("aria-invalid", ok ? "false" : "true");
    message.textContent = ok ? "" : `${options.name || label}: a whole number from ${min} to ${max}`;
    return ok;
  };
  input.addEventListener("input", () => { check(); onChange(); });
  return {
    wrapper, input,
    value: () => parse(),
    set(v) { input.value = String(v); check(); },
    // A disabled field takes no part in the setting: it says nothing about what it holds until enabled again.
    setEnabled(enabled) {
      input.disabled = !enabled;
      if (enabled) {
        check();
      } else {
        input.setAttribute("aria-invalid", "false");
        message.textContent = "";
      }
    },
  };
}

export function select(label, options, value, onChange) {
  const id = uid("select");
  const node = el("select", { id }, options.map(([v, text]) => el("option", { value: v, text })));
  node.value = value;
  node.addEventListener("change", onChange);
  return { wrapper: el("span", { class: "instrument-field" }, [el("label", { for: id, text: label }), node]), node };
}

export function button(text, onClick, attrs = {}) {
  const node = el("button", { type: "button", class: "md-button instrument-button", text, ...attrs });
  node.addEventListener("click", onClick);
  return node;
}

// The theme's colours, read at draw time, so drawings follow the light and dark schemes.
export function colours() {
  const style = getComputedStyle(document.body);
  const get = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  return {
    fg: get("--md-default-fg-color", "#000"),
    light: get("--md-default-fg-color--lighter", "#999"),
    faint: get("--md-default-fg-color--lightest", "#ddd"),
    accent: get("--md-accent-fg-color", "#ff6e42"),
    primary: get("--book-draw-primary", "#3f51b5"),  // book.css: a lighter indigo in the dark scheme
  };
}
