"""Every lab notebook runs top to bottom, quickly, on the CPU."""

from __future__ import annotations

import time
from pathlib import Path

import jupytext
import pytest
from nbclient import NotebookClient

LABS = sorted((Path(__file__).resolve().parent.parent / "docs" / "labs").glob("*.py"))
#: Seconds a lab may take on 2 cores of the reference machine; scaled like the cold build's budget on a slower one.
BUDGET = 30


@pytest.fixture(scope="module")
def budget():
    import reproducible  # scripts/, on sys.path through tests.conftest

    return BUDGET * reproducible.machine_slowdown()


@pytest.mark.parametrize("lab", LABS, ids=[p.stem for p in LABS])
def test_lab_runs_within_30_seconds(lab, tmp_path, monkeypatch, budget):
    monkeypatch.setenv("CNNBOOK_BACKEND", "numpy")
    notebook = jupytext.read(lab)
    for cell in notebook.cells:  # run everything a learner would, including cells the build skips
        tags = cell.metadata.get("tags", [])
        if "skip-execution" in tags:
            tags.remove("skip-execution")
    start = time.perf_counter()
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
                   ).execute()
    seconds = time.perf_counter() - start
    print(f"\n{lab.name}: {seconds:.1f} s")
    assert seconds <= budget, f"{lab.name} took {seconds:.1f} s (budget {BUDGET} s on 2 cores, {budget:.0f} s here)"
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert outputs and not [o for o in outputs if o.get("output_type") == "error"]


def test_build_merges_a_cells_printing_into_one_output():
    """Kernels split printing into messages by timing; the build must not show that split (two builds differ)."""
    import nbformat
    from mkdocs_jupyter.preprocessors import SubCell

    from bookbuild import notebooks

    notebooks.coalesce_streams_after_execution()
    cell = nbformat.v4.new_code_cell("print(1); time.sleep(1); print(2)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n"),
                    nbformat.v4.new_output("stream", name="stdout", text="2\n")]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    merged, _ = SubCell(start=0, end=None).preprocess(notebook, {})
    assert [o.text for o in merged.cells[0].outputs] == ["1\n2\n"]
