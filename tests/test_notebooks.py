"""The adapter to mkdocs-jupyter's private functions, and the code a lab's cache entry is keyed on."""

from __future__ import annotations

import re

import pytest

from bookbuild import notebooks
from cnnbook import cache
from tests.conftest import ROOT

LABS = sorted((ROOT / "docs" / "labs").glob("*.py"))


def test_the_adapter_fits_the_installed_mkdocs_jupyter():
    notebooks.check()


@pytest.mark.parametrize("module, attribute", [(m, a) for m, a, _ in notebooks.PRIVATE if "." not in a])
def test_a_changed_private_function_is_named(monkeypatch, module, attribute):
    import importlib

    monkeypatch.setattr(notebooks, "_CHECKED", [])  # checked once per process: check again
    monkeypatch.delattr(importlib.import_module(module), attribute)
    with pytest.raises(RuntimeError, match=rf"mkdocs-jupyter changed: {re.escape(module)}\.{re.escape(attribute)} is gone"):
        notebooks.check()


def test_a_changed_signature_is_named(monkeypatch):
    from mkdocs_jupyter import plugin

    monkeypatch.setattr(notebooks, "_CHECKED", [])
    monkeypatch.setattr(plugin, "_get_cache_path", lambda cache_dir, key, extra: None)
    with pytest.raises(RuntimeError, match="_get_cache_path takes"):
        notebooks.check()


def test_each_lab_checks_only_its_own_chapters_exercises():
    """A lab's cache key counts only its own chapter's exercise module (cache.script_key); that is right only if
    the lab checks no other chapter's answers."""
    for lab in LABS:
        chapter = int(notebooks.lab_chapter(lab)[2:])
        checked = {int(n) for n in re.findall(r'check\(\s*"(\d+)\.\d+"', lab.read_text())}
        assert checked == {chapter}, f"{lab.name} checks exercises of chapters {sorted(checked)}"


def test_a_lab_is_keyed_on_the_code_it_imports():
    key = cache.script_key(LABS[0], notebooks.lab_chapter(LABS[0]))
    assert key == cache.script_key(LABS[0], notebooks.lab_chapter(LABS[0]))
    deps = cache._closure([(None, "cnnbook.exercises")], "ch07")
    assert "cnnbook.exercises.ch07" in deps and "cnnbook.exercises.ch06" not in deps


class _Plugin:
    def __init__(self, cache_dir):
        from mkdocs_jupyter.plugin import Plugin

        self.config = {key: option.default for key, option in Plugin.config_scheme}
        self.config["cache_dir"] = str(cache_dir)
        self._used_cache_paths = set()


def test_a_damaged_lab_entry_is_deleted_not_read(tmp_path):
    notebooks.key_labs_by_code()
    plugin = _Plugin(tmp_path)
    good, bad = (notebooks.cache_path(plugin.config, lab) for lab in LABS[:2])
    good.write_text('{"content": "<p>lab</p>", "toc_tokens": [], "title": "Lab"}')
    bad.write_text('{"content": "<p>la')  # a build killed while the plugin wrote it
    assert notebooks.keep_entries(plugin, LABS[:2]) == [LABS[1]]
    assert good.is_file() and not bad.exists()
    assert plugin._used_cache_paths == {good, bad}


def test_the_plugin_evicts_no_earlier_version_of_a_lab(tmp_path):
    """The plugin deletes every entry a build did not use: an edit to a lab's code, reverted, would run the lab again.
    Every entry counts as used; the build bounds the cache itself (cnnbook.cache.prune)."""
    from mkdocs_jupyter.plugin import Plugin

    notebooks.key_labs_by_code()
    plugin = _Plugin(tmp_path)
    earlier = tmp_path / f"{'0' * 64}.json"  # the entry of the lab's code before an edit
    earlier.write_text('{"content": "<p>lab</p>", "toc_tokens": [], "title": "Lab"}')
    notebooks.keep_entries(plugin, LABS[:1])
    Plugin.on_post_build(plugin, {})
    assert earlier.is_file()
