"""Run the numerical-core benchmark: ``python benchmarks/run.py [--repeat N] [--device gpu]``.

The same as ``cnnbook bench``; results go to ``benchmarks/results/``. Install
PyTorch's CPU build for the comparison: ``pip install -e '.[bench]'`` (torch==2.13.0).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnnbook.bench import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["--out", str(Path(__file__).resolve().parent / "results")]))
