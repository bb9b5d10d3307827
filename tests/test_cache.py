"""The build cache: keyed by the whole package source, reused when unchanged, deterministic output."""

from __future__ import annotations

import shutil

import pytest

from cnnbook import cache, experiments, facts, figures


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNBOOK_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_source_hash_changes_with_any_file(tmp_path):
    copy = tmp_path / "cnnbook"
    shutil.copytree(cache.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = cache.source_hash(copy)
    assert before == cache.source_hash(cache.PACKAGE_DIR)  # content, not location, decides
    cache._HASHES.clear()
    target = copy / "figures" / "ch01.py"
    target.write_text(target.read_text().replace('"#1f77b4"', '"#9467bd"'))
    assert cache.source_hash(copy) != before
    cache._HASHES.clear()


def test_unchanged_items_are_reused_and_changed_code_recomputes(cache_dir, monkeypatch):
    first, hit = figures.render("ch01.connectivity")
    assert not hit
    again, hit = figures.render("ch01.connectivity")
    assert hit and again == first
    # A different source hash (any edit to the package) must miss the cache.
    monkeypatch.setattr(cache, "source_hash", lambda package_dir=None: "0" * 64)
    _, hit = figures.render("ch01.connectivity")
    assert not hit


def test_figures_are_deterministic(cache_dir):
    data, _ = figures.render("ch01.flip")
    assert b"<dc:date>" not in data and b"Date" not in data[:2000]
    shutil.rmtree(cache_dir)
    assert figures.render("ch01.flip")[0] == data
    png, _ = figures.render("ch01.channels")
    assert png.startswith(b"\x89PNG")
    shutil.rmtree(cache_dir)
    assert figures.render("ch01.channels")[0] == png


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
