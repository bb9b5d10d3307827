"""The interactive instruments, driven in a real browser and checked number by number against cnnbook."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cnnbook import shapes
from tests.test_browser import Visit

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "build" / "screenshots"  # for a person to look at; build/ is never committed
RF_PAGE = "chapters/06-receptive-fields/"
SHAPES_PAGE = "chapters/04-channels/"
ARITH_PAGE = "chapters/02-padding-stride-dilation/"
EXPLORER_PAGE = "chapters/01-convolution/"
XSS = '<img src=x onerror="window.__xss = 1">'


def _mounted(browser, site_url, path, name, scheme="light"):
    """A visit to ``path`` (in the light or dark ``scheme``) once the instrument ``name`` has mounted; closed
    afterwards."""
    visit = Visit(browser, site_url + path, color_scheme=scheme)
    visit.page.wait_for_selector(f'[data-instrument="{name}"][data-mounted="yes"]')
    yield visit
    visit.close()


@pytest.fixture
def rf(browser, site_url):
    yield from _mounted(browser, site_url, RF_PAGE, "rf-calculator")


def _results(page):
    """The calculator's per-layer results table as a list of dicts."""
    return page.evaluate("""() => [...document.querySelectorAll('[data-table="results"] tbody tr')].map(tr =>
        Object.fromEntries([...tr.querySelectorAll('[data-field]')].map(td => [td.dataset.field, td.textContent])))""")


def _expected(layers, n):
    """What the calculator must show for ``layers`` of (type, k, s, p, d) on an n-pixel input, from cnnbook."""
    fields = shapes.receptive_fields([(k, s, p, d) for _, k, s, p, d in layers])
    rows, size = [], n
    for (_, k, s, p, d), field in zip(layers, fields):
        out = None if size is None else (size + 2 * p - d * (k - 1) - 1) // s + 1
        if out is not None and out >= 1:
            assert out == shapes.conv_output_size(size, k, s, p, d)
        size = out if out is not None and out >= 1 else None
        rows.append({"size": "–" if size is None else f"{size}×{size}", "r": str(field.size), "j": str(field.jump),
                     "P": str(field.padding), "centre": f"{field.centre:g}"})
    return rows


def _set_stack(page, layers, n):
    """Build a stack through the calculator's own controls: remove every layer, then add and fill each one."""
    root = page.locator('[data-instrument="rf-calculator"]')
    while root.locator('[data-table="layers"] tbody tr').count():
        root.get_by_role("button", name="Remove this layer").first.click()
    for kind, k, s, p, d in layers:
        root.get_by_role("button", name=f"Add {kind}").click()
        row = root.locator('[data-table="layers"] tbody tr').last
        for name, value in (("kernel", k), ("stride", s), ("padding", p), ("dilation", d)):
            field = row.locator(f'input[data-name="{name}"]')
            if field.is_enabled():
                field.fill(str(value))
    root.locator('input[data-name="input size"]').fill(str(n))


PRESETS = {
    "vgg": ([("conv", 3, 1, 1, 1), ("conv", 3, 1, 1, 1), ("pool", 2, 2, 0, 1)] * 3, 64),
    "small": ([("conv", 3, 1, 0, 1), ("pool", 2, 2, 0, 1), ("conv", 3, 1, 0, 1), ("pool", 2, 2, 0, 1),
              ("conv", 3, 1, 0, 1)], 32),
    "lenet": ([("conv", 5, 1, 0, 1), ("pool", 2, 2, 0, 1)] * 2 + [("conv", 5, 1, 0, 1)], 32),
    "resnet18": ([("conv", 7, 2, 3, 1), ("pool", 3, 2, 1, 1)] + [("conv", 3, 1, 1, 1)] * 4
                 + ([("conv", 3, 2, 1, 1)] + [("conv", 3, 1, 1, 1)] * 3) * 3, 224),
    "dilated": ([("conv", 3, 1, d, d) for d in (1, 2, 4, 8)], 40),
}


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_rf_presets_agree_with_cnnbook(rf, preset):
    rf.page.select_option('[data-instrument="rf-calculator"] select >> nth=0', preset)
    layers, n = PRESETS[preset]
    assert _results(rf.page) == _expected(layers, n)
    rf.check_clean(rf.page.url.split(RF_PAGE)[0])


STACKS = [
    ("stride that does not fit", [("conv", 3, 2, 0, 1), ("pool", 3, 2, 0, 1), ("conv", 2, 3, 0, 1)], 10),
    ("dilation with padding", [("conv", 3, 1, 3, 3), ("conv", 5, 2, 4, 2), ("pool", 2, 2, 1, 1)], 17),
    ("no output left", [("conv", 5, 1, 0, 1), ("conv", 5, 1, 0, 1), ("pool", 2, 2, 0, 1)], 8),
    ("one layer", [("conv", 1, 1, 0, 1)], 1),
]


@pytest.mark.parametrize("label, layers, n", STACKS, ids=[s[0] for s in STACKS])
def test_rf_custom_stacks_agree_with_cnnbook(rf, label, layers, n):
    _set_stack(rf.page, layers, n)
    assert _results(rf.page) == _expected(layers, n)
    message = rf.page.locator('[data-instrument="rf-calculator"] .instrument-message').text_content()
    if label == "no output left":
        assert "there is no output from here on" in message
        summary = rf.page.locator('[data-instrument="rf-calculator"] .instrument-summary').text_content()
        assert "has no output" in summary and "Unit (0, 0)" not in summary, summary  # no unit to describe
        assert rf.page.locator('[data-instrument="rf-calculator"] [data-region]').count() == 0


def test_rf_says_when_the_stack_is_full(rf):
    """Past 30 layers the Add buttons add nothing, and the message says why for as long as the stack is full."""
    root = rf.page.locator('[data-instrument="rf-calculator"]')
    rows = root.locator('[data-table="layers"] tbody tr')
    while rows.count() < 30:
        root.get_by_role("button", name="Add pool").click()
    assert "At most 30 layers" in root.locator(".instrument-message").text_content()
    root.get_by_role("button", name="Add conv").click()
    assert rows.count() == 30
    assert "At most 30 layers" in root.locator(".instrument-message").text_content()
    root.get_by_role("button", name="Remove this layer").first.click()
    assert "At most 30 layers" not in root.locator(".instrument-message").text_content()


def test_rf_remove_buttons_are_on_a_phone_screen(browser, site_url):
    visit = Visit(browser, site_url + RF_PAGE, viewport=(390, 844))
    try:
        visit.page.wait_for_selector('[data-instrument="rf-calculator"][data-mounted="yes"]')
        boxes = visit.page.get_by_role("button", name="Remove this layer").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().right)")
        assert boxes and max(boxes) <= 390, boxes
    finally:
        visit.close()


@pytest.mark.parametrize("i, j", [(0, 0), (3, 5), (7, 7)])
def test_rf_region_of_a_unit(rf, i, j):
    root = rf.page.locator('[data-instrument="rf-calculator"]')
    root.locator('input[data-name="unit row"]').fill(str(i))
    root.locator('input[data-name="unit column"]').fill(str(j))
    field = shapes.receptive_fields([(3, 1, 1), (3, 1, 1), (2, 2)] * 3)[-1]
    region = root.locator("[data-region]").get_attribute("data-region")
    assert region == f"{field.start + i * field.jump},{field.start + j * field.jump},{field.size}"
    root.locator('input[data-name="unit row"]').fill("8")  # the last layer is 8×8: units 0 to 7
    assert "from 0 to 7" in root.locator(".instrument-message").text_content()


def test_rf_keyboard_only(rf):
    page = rf.page
    root = page.locator('[data-instrument="rf-calculator"]')
    root.locator("select").first.focus()
    page.keyboard.press("End")  # the last option of the preset list: custom
    page.keyboard.press("Home")  # back to the first preset
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.name") == "input size"
    page.keyboard.press("Control+A")
    page.keyboard.type("100")
    assert _results(page) == _expected(PRESETS["vgg"][0], 100)
    focusable = page.evaluate("""() => [...document.querySelectorAll(
        '[data-instrument] button, [data-instrument] input, [data-instrument] select')]
        .every(e => e.tabIndex >= 0 && (e.labels?.length || e.getAttribute('aria-label') || e.textContent.trim()))""")
    assert focusable, "every control must be reachable with Tab and have a label"
    for _ in range(100):  # Tab on to "Add conv" and press it with the keyboard
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Add conv":
            break
    page.keyboard.press("Enter")
    assert len(_results(page)) == len(PRESETS["vgg"][0]) + 1


@pytest.mark.parametrize("name, path, figure", [("rf-calculator", RF_PAGE, "ch06.rf_calculator"),
                                                ("shape-visualizer", SHAPES_PAGE, "ch04.shape_visualizer"),
                                                ("conv-arithmetic", ARITH_PAGE, "ch02.arith_instrument"),
                                                ("kernel-explorer", EXPLORER_PAGE, "ch01.kernel_explorer")])
def test_without_javascript_the_static_figure_shows(browser, site_url, name, path, figure):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(site_url + path)
        image = page.locator(f'[data-instrument="{name}"] img')
        assert image.count() == 1 and figure in image.get_attribute("src") and image.is_visible()
        assert page.locator(".instrument-live").count() == 0
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_instrument_screenshots(browser, site_url, width):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in (("rf-calculator", RF_PAGE), ("shape-visualizer", SHAPES_PAGE), ("conv-arithmetic", ARITH_PAGE),
                       ("kernel-explorer", EXPLORER_PAGE)):
        context = browser.new_context(viewport={"width": width, "height": 900})
        try:
            page = context.new_page()
            page.goto(site_url + path, wait_until="networkidle")
            host = page.locator(f'[data-instrument="{name}"][data-mounted="yes"]')
            host.wait_for()
            host.screenshot(path=str(SCREENSHOTS / f"{name}-{width}px.png"))
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{name} makes the page scroll sideways by {overflow}px at {width}px"
        finally:
            context.close()


# ---- the feature-map shape visualizer (chapter 4) ----

@pytest.fixture
def shapes_page(browser, site_url):
    yield from _mounted(browser, site_url, SHAPES_PAGE, "shape-visualizer")


def _stage_rows(page):
    return page.evaluate("""() => [...document.querySelectorAll('[data-table="stages"] tbody tr')].map(tr =>
        Object.fromEntries([...tr.querySelectorAll('[data-field]')].map(td => [td.dataset.field, td.textContent])))""")


def _expected_stages(input_size, channels, first, stages, convs, kernel, pool):
    """The visualizer's table for a setting whose maps never vanish, from cnnbook.shapes alone."""
    rows, side, c = [], input_size, channels
    for stage in range(stages):
        out, params, activations = first * 2**stage, 0, 0
        for _ in range(convs):
            params += shapes.conv2d_params(c, out, kernel)
            side, c = shapes.conv_output_size(side, kernel, padding=kernel // 2), out
            activations += c * side * side
        conv_side = side
        if pool > 1:
            side = shapes.pool_output_size(side, pool)
            activations += c * side * side
        rows.append({"conv": f"{conv_side}×{conv_side}×{c}",
                     "pool": f"{side}×{side}×{c}" if pool > 1 else "(no pool)",
                     "activations": f"{activations:,}", "params": f"{params:,}"})
    return rows


SETTINGS = [  # input size, input channels, first channels, stages, convs per stage, kernel, pool window
    (224, 3, 64, 4, 1, 3, 2),     # the default: four stages on a 224×224 RGB image
    (57, 1, 16, 3, 2, 3, 2),      # odd sizes: the pool floors
    (100, 3, 8, 2, 3, 5, 3),      # 5x5 kernels, 3x3 pools
    (32, 3, 32, 3, 1, 4, 2),      # even kernel: "same" by k // 2 grows the map by one
    (64, 4, 12, 5, 2, 7, 1),      # no pooling
]


@pytest.mark.parametrize("setting", SETTINGS, ids=[str(s) for s in SETTINGS])
def test_shape_visualizer_agrees_with_cnnbook(shapes_page, setting):
    root = shapes_page.page.locator('[data-instrument="shape-visualizer"]')
    names = ("input size", "input channels", "first channels", "stages", "convs per stage", "kernel size",
             "pool window")
    for name, value in zip(names, setting):
        root.locator(f'input[data-name="{name}"]').fill(str(value))
    expected = _expected_stages(*setting)
    assert _stage_rows(shapes_page.page) == expected
    total = root.locator("[data-params]")
    assert int(total.get_attribute("data-params")) == sum(int(r["params"].replace(",", "")) for r in expected)
    shapes_page.check_clean(shapes_page.page.url.split(SHAPES_PAGE)[0])


def test_shape_visualizer_says_when_the_maps_vanish(shapes_page):
    from cnnbook.analysis.ch04 import stage_shapes

    root = shapes_page.page.locator('[data-instrument="shape-visualizer"]')
    root.locator('input[data-name="input size"]').fill("8")
    root.locator('input[data-name="stages"]').fill("6")
    rows = stage_shapes(8, 3, 64, 6, 1, 3, 2)
    shown = _stage_rows(shapes_page.page)
    assert len(shown) == len(rows) < 6 and rows[-1]["side"] < 1
    assert "no output left" in root.locator(".instrument-message").text_content()
    # the stage with no output counts no parameters: the totals are those of the stages before it
    assert shown[-1]["params"] == shown[-1]["activations"] == "–"
    assert int(root.locator("[data-params]").get_attribute("data-params")) == sum(r["params"] for r in rows[:-1])


def test_shape_visualizer_says_what_an_even_kernel_does_to_same_padding(shapes_page):
    root = shapes_page.page.locator('[data-instrument="shape-visualizer"]')
    caption = root.locator('[data-table="stages"] caption')
    assert '"same" padding (1 on each side)' in caption.text_content()
    root.locator('input[data-name="kernel size"]').fill("4")
    assert "no \"same\" padding" in caption.text_content() and "one pixel larger" in caption.text_content()
    assert _stage_rows(shapes_page.page)[0]["conv"].startswith("225×225×")  # 224 + 2·2 − 4 + 1


@pytest.mark.parametrize("name, path", [("rf-calculator", RF_PAGE), ("shape-visualizer", SHAPES_PAGE),
                                        ("conv-arithmetic", ARITH_PAGE), ("kernel-explorer", EXPLORER_PAGE)])
def test_typed_html_is_never_markup(browser, site_url, name, path):
    visit = Visit(browser, site_url + path)
    try:
        page = visit.page
        root = page.locator(f'[data-instrument="{name}"][data-mounted="yes"]')
        root.wait_for()
        inputs = root.locator('input[type="text"]:not([disabled])')
        assert inputs.count() > 0
        for index in range(inputs.count()):
            inputs.nth(index).fill(XSS)
        page.wait_for_timeout(300)
        assert page.evaluate("window.__xss") is None
        assert root.locator('img[src="x"]').count() == 0
        assert root.locator('input[aria-invalid="true"]').count() == inputs.count() > 0
        errors = root.locator(".instrument-error, .instrument-message").all_text_contents()
        assert any("number" in text for text in errors), errors
    finally:
        visit.close()


def test_shape_visualizer_keyboard_only(shapes_page):
    page = shapes_page.page
    page.locator('[data-instrument="shape-visualizer"] input').first.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("128")
    for _ in range(2):
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.name") == "first channels"
    page.keyboard.press("Control+A")
    page.keyboard.type("32")
    assert _stage_rows(page) == _expected_stages(128, 3, 32, 4, 1, 3, 2)


# ---- the convolution arithmetic animator (chapter 2) ----

@pytest.fixture
def arith(browser, site_url):
    yield from _mounted(browser, site_url, ARITH_PAGE, "conv-arithmetic")


def _set_arith(page, i, k, p, s, d, transposed, output_padding):
    root = page.locator('[data-instrument="conv-arithmetic"] .instrument-live')
    box = root.locator('input[type="checkbox"]')
    if box.is_checked() != transposed:
        box.click()
    for name, value in (("input size", i), ("kernel", k), ("padding", p), ("stride", s), ("dilation", d)):
        root.locator(f'input[data-name="{name}"]').fill(str(value))
    if transposed:
        root.locator('input[data-name="output padding"]').fill(str(output_padding))
    return root


ARITH_SETTINGS = [  # input size, kernel, padding, stride, dilation, transposed, output padding
    (4, 3, 0, 1, 1, False, 0), (5, 3, 1, 2, 1, False, 0), (6, 3, 1, 2, 1, False, 0), (7, 3, 0, 1, 2, False, 0),
    (5, 4, 2, 3, 2, False, 0), (8, 2, 0, 3, 1, False, 0), (2, 3, 0, 2, 1, True, 0), (3, 3, 1, 2, 1, True, 1),
    (3, 4, 2, 3, 2, True, 2),
]


@pytest.mark.parametrize("setting", ARITH_SETTINGS, ids=[str(s) for s in ARITH_SETTINGS])
def test_arithmetic_animator_agrees_with_cnnbook(arith, setting):
    from cnnbook.arithmetic import Arithmetic

    i, k, p, s, d, transposed, op = setting
    expected = Arithmetic(i, k, stride=s, padding=p, dilation=d, transposed=transposed, output_padding=op)
    root = _set_arith(arith.page, *setting)
    assert int(root.get_attribute("data-output-size")) == expected.output_size
    assert int(root.get_attribute("data-canvas-size")) == expected.canvas_size
    assert int(root.get_attribute("data-unused")) == expected.unused
    assert root.locator("[data-formula]").text_content() == expected.formula()
    message = root.locator(".instrument-message").text_content()
    assert ("stride does not fit" in message) == (expected.unused > 0)
    windows = [(r, c) for r in expected.positions for c in expected.positions]
    for number, window in enumerate(windows[:12]):
        assert root.get_attribute("data-window") == f"{window[0]},{window[1]}", f"step {number + 1}"
        root.get_by_role("button", name="Step ▶").click()
    arith.check_clean(arith.page.url.split(ARITH_PAGE)[0])


@pytest.mark.parametrize("setting", [(2, 3, 0, 1, 1, False, 0), (3, 3, 3, 1, 1, True, 0), (3, 3, 1, 2, 1, True, 2)])
def test_arithmetic_animator_refuses_what_cnnbook_refuses(arith, setting):
    from cnnbook.arithmetic import Arithmetic

    i, k, p, s, d, transposed, op = setting
    with pytest.raises(ValueError):
        Arithmetic(i, k, stride=s, padding=p, dilation=d, transposed=transposed, output_padding=op)
    root = _set_arith(arith.page, *setting)
    assert root.get_attribute("data-output-size") == ""
    assert root.locator(".instrument-message").text_content().strip()
    assert root.get_by_role("button", name="Step ▶").is_disabled()


def test_arithmetic_animator_plays_and_works_from_the_keyboard(arith):
    page = arith.page
    root = page.locator('[data-instrument="conv-arithmetic"] .instrument-live')
    root.get_by_role("button", name="Play").click()
    page.wait_for_timeout(1800)
    root.get_by_role("button", name="Pause").click()
    assert int(root.get_attribute("data-step")) >= 3
    root.get_by_role("button", name="Reset").focus()
    page.keyboard.press("Enter")
    assert root.get_attribute("data-step") == "1"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")  # Reset ← Play ← Step ▶ ← Step back: now on "Step ▶"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Step ▶"
    page.keyboard.press("Space")
    assert root.get_attribute("data-step") == "2"


def test_arithmetic_animator_steps_fast_and_reads_well_at_its_largest_setting(arith):
    """i = 16, k = 7, s = 4, d = 4, transposed: a 97-cell canvas. A step changes the window and one output cell,
    not the whole drawing (it took about 216 ms when each step redrew 19,156 rectangles), and the labels stay
    legible however far the drawing is scaled down."""
    page = arith.page
    root = _set_arith(page, 16, 7, 0, 4, 4, True, 0)
    assert int(root.get_attribute("data-canvas-size")) > 90
    per_step = page.evaluate("""() => {
        const next = [...document.querySelectorAll('[data-instrument="conv-arithmetic"] button')]
            .find(b => b.textContent === 'Step ▶');
        const start = performance.now();
        for (let t = 0; t < 20; t++) next.click();
        return (performance.now() - start) / 20;
    }""")
    assert per_step <= 50, f"{per_step:.1f} ms a step"
    assert root.get_attribute("data-step") == "21"
    label = page.evaluate("""() => {
        const drawing = document.querySelector('[data-instrument="conv-arithmetic"] svg');
        const scale = drawing.getBoundingClientRect().width / drawing.viewBox.baseVal.width;
        return Math.min(...[...drawing.querySelectorAll('text')].map(t => Number(t.getAttribute('font-size')) * scale));
    }""")
    assert label >= 10, f"labels shown at {label:.1f} px"


def test_arithmetic_animator_draws_in_the_figures_colours(arith):
    from cnnbook.arithmetic import COLOURS

    fills = arith.page.evaluate("""() => [...document.querySelectorAll('[data-instrument="conv-arithmetic"] svg rect')]
        .map(r => r.getAttribute('fill'))""")
    for key in ("input", "window", "output"):
        assert COLOURS[key] in fills, key  # the static figures' palette, on the same white panel
    assert fills[0] == "#ffffff"


def test_a_disabled_field_keeps_no_error(arith):
    root = _set_arith(arith.page, 3, 3, 1, 2, 1, True, 1)
    field = root.locator('input[data-name="output padding"]')
    field.fill("x")
    error = root.locator(f'#{field.get_attribute("aria-describedby")}')
    assert error.text_content().strip()
    root.locator('input[type="checkbox"]').click()  # direct convolution: output padding takes no part
    assert field.is_disabled() and error.text_content() == "" and field.get_attribute("aria-invalid") == "false"


def _luminance(rgb):
    channels = [c / 255 for c in rgb]
    return sum(w * (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
               for w, c in zip((0.2126, 0.7152, 0.0722), channels))


def _rgb(page, css_colour):
    """A CSS colour as the browser resolves it, as (r, g, b)."""
    return tuple(page.evaluate("""(c) => { const e = document.createElement('i'); e.style.color = c;
        document.body.append(e); const v = getComputedStyle(e).color; e.remove();
        return v.match(/\\d+/g).slice(0, 3).map(Number); }""", css_colour))


def test_drawing_colour_contrasts_with_both_schemes(shapes_page):
    """The shape visualizer's maps (drawn in the colour the receptive-field calculator shares) have at least
    WCAG's 3:1 for graphics against the page, in the light and in the dark scheme."""
    page = shapes_page.page
    for scheme in ("default", "slate"):
        page.evaluate(f"document.body.setAttribute('data-md-color-scheme', '{scheme}')")
        page.wait_for_timeout(200)  # the drawing is redrawn in the new scheme's colours
        stroke = page.evaluate("""() => document.querySelector('[data-instrument="shape-visualizer"] svg rect')
            .getAttribute('stroke')""")
        paper = page.evaluate("getComputedStyle(document.body).getPropertyValue('--md-default-bg-color').trim()")
        hi, lo = sorted((_luminance(_rgb(page, stroke)), _luminance(_rgb(page, paper))), reverse=True)
        assert (hi + 0.05) / (lo + 0.05) >= 3, (scheme, stroke, paper)


# ---- the kernel explorer (chapter 1) ----

@pytest.fixture
def explorer(browser, site_url):
    yield from _mounted(browser, site_url, EXPLORER_PAGE, "kernel-explorer")


def _grid_values(page, label):
    return page.evaluate(f"""() => [...document.querySelector('[data-instrument="kernel-explorer"] [aria-label^="{label}"]')
        .querySelectorAll('[role="gridcell"]')].map(c => Number(c.dataset.value))""")


def _feature_map(x, w):
    import numpy as np

    from cnnbook import functional

    return functional.conv2d(np.asarray(x, dtype=float)[None, None], np.asarray(w, dtype=float)[None, None])[0, 0]


@pytest.mark.parametrize("kernel", ["sobel x", "gaussian blur", "sharpen", "edge", "identity"])
def test_explorer_feature_maps_agree_with_cnnbook(explorer, kernel):
    import numpy as np

    from cnnbook import kernels
    from cnnbook.instruments import explorer_inputs

    root = explorer.page.locator('[data-instrument="kernel-explorer"]')
    for label, x in explorer_inputs().items():
        root.locator("select").nth(0).select_option(label)
        root.locator("select").nth(1).select_option(kernel)
        got = np.array(_grid_values(explorer.page, "Feature map")).reshape(10, 10)
        np.testing.assert_allclose(got, _feature_map(x, kernels.kernel(kernel)), rtol=0, atol=1e-12)
    explorer.check_clean(explorer.page.url.split(EXPLORER_PAGE)[0])


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_explorer_colours_values_as_the_figures_do(browser, site_url, scheme):
    """The live explorer colours its kernel and feature map with the figures' own colour map and limits
    (cnnbook.figures.common.DIVERGING; the static figure ch01.kernel_explorer), in both schemes, within the rounding of
    interpolating 33 stops; and writes each number in black or white, whichever reads on its cell."""
    import numpy as np
    from matplotlib import colormaps

    from cnnbook import kernels
    from cnnbook.figures.common import DIVERGING
    from cnnbook.instruments import EXPLORER_KERNEL_LIMIT, EXPLORER_MAP_HEADROOM, explorer_inputs

    def rgb(css):
        return np.array([float(v) for v in re.findall(r"[\d.]+", css)[:3]])

    def expected(t):
        return 255 * np.array(colormaps[DIVERGING]((np.clip(t, -1, 1) + 1) / 2)[:3])

    for visit in _mounted(browser, site_url, EXPLORER_PAGE, "kernel-explorer", scheme=scheme):
        root = visit.page.locator('[data-instrument="kernel-explorer"]')
        x, w = next(iter(explorer_inputs().values())), kernels.kernel("sobel x")
        y = _feature_map(x, w)
        cells = visit.page.evaluate("""() => [...document.querySelectorAll(
            '[data-instrument="kernel-explorer"] [aria-label^="Feature map"] [role="gridcell"]')]
            .map(c => [getComputedStyle(c).backgroundColor, getComputedStyle(c).color])""")
        for (background, colour), v in zip(cells, y.ravel()):
            fill = rgb(background)
            assert np.abs(fill - expected(v / (np.abs(y).max() * EXPLORER_MAP_HEADROOM))).max() <= 3, (v, background)
            assert colour in ("rgb(0, 0, 0)", "rgb(255, 255, 255)")
        for (m, l), v in np.ndenumerate(w):
            background = root.locator(f'input[data-name="w{m}{l}"]').evaluate("e => getComputedStyle(e).backgroundColor")
            assert np.abs(rgb(background) - expected(v / EXPLORER_KERNEL_LIMIT)).max() <= 3, (v, background)
        from axe_playwright_python.sync_playwright import Axe

        violations = Axe().run(visit.page, context={"include": [['[data-instrument="kernel-explorer"]']]}).response
        assert [v["id"] for v in violations["violations"] if v["impact"] in ("serious", "critical")] == []


def test_explorer_typed_kernel_drawn_pixels_and_the_sum(explorer):
    import numpy as np

    page = explorer.page
    root = page.locator('[data-instrument="kernel-explorer"]')
    root.locator("select").nth(0).select_option("blank (draw your own)")
    w = np.array([[0.5, -1, 0], [2, 0.25, 0], [0, 0, -3]])
    for (m, l), value in np.ndenumerate(w):
        root.locator(f'input[data-name="w{m}{l}"]').fill(f"{value:g}")
    x = np.zeros((12, 12))
    for i, j in [(0, 0), (2, 3), (5, 5), (6, 5), (11, 11)]:
        root.locator(f'[aria-label^="Input image"] [data-row="{i}"][data-col="{j}"]').click()
        x[i, j] = 1.0
    got = np.array(_grid_values(page, "Feature map")).reshape(10, 10)
    np.testing.assert_allclose(got, _feature_map(x, w), rtol=0, atol=1e-12)
    root.locator('[aria-label^="Feature map"] [data-row="4"][data-col="4"]').hover()
    text = root.locator(".explorer-sum").text_content()
    assert text.startswith("output (4, 4) = ") and text.endswith(f"= {_feature_map(x, w)[4, 4]:g}".replace("-", "−"))
    assert "100 positions" in root.locator(".instrument-summary").text_content()


def test_explorer_writes_the_sum_with_minus_signs_and_keeps_it_when_a_pixel_changes(explorer):
    """The sum reads "1·0 − 2·1", never "+ -2·1"; toggling a pixel updates the sum being read instead of jumping
    back to output (0, 0)."""
    root = explorer.page.locator('[data-instrument="kernel-explorer"]')
    root.locator("select").nth(0).select_option("blank (draw your own)")
    root.locator("select").nth(1).select_option("sobel x")
    root.locator('[aria-label^="Feature map"] [data-row="3"][data-col="5"]').hover()
    root.locator('[aria-label^="Input image"] [data-row="4"][data-col="7"]').click()  # under output (3, 5)'s window
    sum_ = root.locator(".explorer-sum")
    assert sum_.get_attribute("data-cell") == "3,5"
    text = sum_.text_content()
    assert "+ -" not in text and "+ −" not in text and " − " in text, text
    assert text.endswith("= 2"), text  # sobel x's weight 2 at the right of the middle row times the pixel 1


@pytest.mark.parametrize("typed, accepted", [("0x10", False), ("1e2", False), ("101", False), ("abc", False),
                                             ("−0.5", True), (".25", True), ("-3", True)])
def test_explorer_accepts_only_decimal_weights(explorer, typed, accepted):
    root = explorer.page.locator('[data-instrument="kernel-explorer"]')
    field = root.locator('input[data-name="w11"]')
    field.fill(typed)
    assert field.get_attribute("aria-invalid") == ("false" if accepted else "true")
    message = root.locator(".instrument-message").text_content()
    assert ("not a decimal number" in message) != accepted, message


def test_explorer_preset_clears_the_message_of_the_weights_it_replaced(explorer):
    root = explorer.page.locator('[data-instrument="kernel-explorer"]')
    root.locator('input[data-name="w00"]').fill("abc")
    assert "1 weight is not" in root.locator(".instrument-message").text_content()
    root.locator("select").nth(1).select_option("sharpen")
    assert root.locator(".instrument-message").text_content() == ""
    assert root.locator('input[aria-invalid="true"]').count() == 0


def test_explorer_keyboard_only(explorer):
    import numpy as np

    page = explorer.page
    root = page.locator('[data-instrument="kernel-explorer"]')
    root.locator("select").nth(0).select_option("blank (draw your own)")
    root.locator('[aria-label^="Input image"] [role="gridcell"][tabindex="0"]').focus()
    for key in ("ArrowRight", "ArrowRight", "ArrowDown", "Enter", "ArrowDown", "Space"):
        page.keyboard.press(key)
    x = np.zeros((12, 12))
    x[1, 2] = x[2, 2] = 1.0
    got = np.array(_grid_values(page, "Input image")).reshape(12, 12)
    np.testing.assert_array_equal(got, x)
    page.keyboard.press("Tab")  # on to the kernel's first weight
    assert page.evaluate("document.activeElement.dataset.name") == "w00"
    output = root.locator('[aria-label^="Feature map"] [role="gridcell"][tabindex="0"]')
    output.focus()
    page.keyboard.press("ArrowDown")
    assert root.locator(".explorer-sum").get_attribute("data-cell") == "1,0"


def test_instruments_mount_after_instant_navigation(browser, site_url):
    """Material swaps the page content without a reload and emits on ``document$``: new instruments must mount.

    The test server's port differs from ``site_url``, so Material would reload instead; the swap is done the
    way Material does it, by replacing the content and emitting the document.
    """
    visit = Visit(browser, site_url + EXPLORER_PAGE)
    try:
        page = visit.page
        page.wait_for_selector('[data-instrument="kernel-explorer"][data-mounted="yes"]')
        page.evaluate("""async (url) => {
            const html = await (await fetch(url)).text();
            const next = new DOMParser().parseFromString(html, "text/html");
            document.querySelector(".md-content").replaceWith(next.querySelector(".md-content"));
            window.__samePage = true;
            document$.next(document);
        }""", site_url + ARITH_PAGE)
        page.wait_for_selector('[data-instrument="conv-arithmetic"][data-mounted="yes"]', timeout=10_000)
        assert page.evaluate("window.__samePage") is True
        assert page.locator('[data-instrument="conv-arithmetic"] .instrument-live').count() == 1
        visit.check_clean(site_url)
    finally:
        visit.close()


def test_drawings_follow_the_colour_scheme(rf):
    """Switching between light and dark redraws the drawing in the new scheme's colours."""
    page = rf.page
    fills = """() => [...document.querySelectorAll('[data-instrument="rf-calculator"] svg rect')]
        .map(r => r.getAttribute('fill')).join()"""
    before = page.evaluate(fills)
    scheme = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
    page.evaluate(f"document.body.setAttribute('data-md-color-scheme', '{'default' if scheme == 'slate' else 'slate'}')")
    page.wait_for_timeout(200)
    assert page.evaluate(fills) != before
