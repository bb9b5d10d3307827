"""Run the lab notebooks two at a time, before mkdocs-jupyter would run them one after another.

Each lab executes in its own Jupyter kernel, a single-threaded Python process, so on a machine with two
cores two labs at a time take little more than the time of one. The results go where mkdocs-jupyter
looks first, its cache (keyed by the lab and the ``cnnbook`` code it imports: :mod:`bookbuild.notebooks`),
in exactly the form it writes itself; the plugin then finds every lab there and executes nothing.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

#: The plugin options that shape a notebook's HTML, passed to ``mkdocs_jupyter.convert.nb2html`` as it does.
OPTIONS = ("kernel_name", "theme", "allow_errors", "show_input", "no_input", "no_prompt", "remove_tag_config",
           "highlight_extra_classes", "include_requirejs", "custom_mathjax_url")


def _convert(job):
    """Execute one lab and write mkdocs-jupyter's cache entry for it (runs in a worker process)."""
    source, target, options, toc_depth = job
    from mkdocs_jupyter import convert

    from bookbuild import notebooks

    notebooks.coalesce_streams_after_execution()  # the same outputs as a lab the plugin runs itself
    notebooks.key_labs_by_code()
    body = convert.nb2html(source, execute=True, **options)
    toc_tokens, title = notebooks.toc_tokens(source, toc_depth)
    entry = Path(target)
    entry.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own: another build on the same cache may be writing this entry at the same moment.
    with tempfile.NamedTemporaryFile("w", dir=entry.parent, suffix=".part", delete=False, encoding="utf-8") as partial:
        json.dump({"content": body, "toc_tokens": toc_tokens, "title": title}, partial)
    os.replace(partial.name, entry)
    return source


def execute_in_parallel(pages, plugin, workers=2):
    """Execute the lab ``pages`` (mkdocs ``File`` objects) not yet in ``plugin``'s cache, ``workers`` at a time.

    Returns the source paths executed. Does nothing (and mkdocs-jupyter runs the labs itself, as usual)
    when the plugin does not execute or cache notebooks, or when fewer than two labs need running.
    """
    from bookbuild import notebooks
    from bookbuild.workers import in_processes

    config = plugin.config
    if not (config["execute"] and config["cache"]) or config["execute_ignore"]:
        return []
    jobs = []
    for page in pages:
        target = notebooks.cache_path(config, page.abs_src_path)
        if not target.exists():
            options = {key: config[key] for key in OPTIONS}
            jobs.append((page.abs_src_path, str(target), options, config["toc_depth"]))
    if len(jobs) < 2 or workers < 2:
        return []
    jobs.sort(key=lambda job: -Path(job[0]).stat().st_size)  # the longest labs first
    in_processes(_convert, jobs, min(workers, len(jobs)), lambda job: f"lab {Path(job[0]).name}")
    return [job[0] for job in jobs]
