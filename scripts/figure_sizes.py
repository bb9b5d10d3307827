"""Which figures a reader can read at the column's width: each figure's width and smallest text, drawn now.

    python scripts/figure_sizes.py [NAME_OR_PREFIX ...] [--preview DIR]

With no names, every registered figure; a prefix such as ``ch05.`` takes a chapter's. Each line says the figure's
width in CSS pixels, its smallest text in points and whether it passes ``cnnbook.figures.check_legible`` (the
check every build makes). ``--preview DIR`` also writes each figure as a PNG at the size a desktop page shows it
(96 pixels to the inch for an SVG), to look at while redrawing one. Exit status 1 if any figure fails.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="figure names or prefixes (default: all)")
    parser.add_argument("--preview", type=Path, help="directory for PNG previews at the displayed size")
    args = parser.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cnnbook import figures

    every = figures.names()
    chosen = [n for n in every if not args.names or any(n == a or n.startswith(a) for a in args.names)]
    if not chosen:
        parser.error(f"no figure matches {args.names}; see cnnbook.figures.names()")
    if args.preview:
        args.preview.mkdir(parents=True, exist_ok=True)
    failed = 0
    for name in chosen:
        spec = figures.spec(name)
        fig = spec.func()
        if isinstance(fig, str):  # an SVG drawn directly: the build's own check reads it
            try:
                figures._draw(spec)
                verdict, smallest = "ok", "-"
            except ValueError as exc:
                verdict, smallest = f"FAIL {exc}", "-"
            width, height = figures.pixel_size(fig.encode(), "svg")
        else:
            texts = figures.drawn_texts(fig)
            smallest = f"{min(size for _, size in texts):g} pt" if texts else "-"
            buffer = io.BytesIO()
            with matplotlib.rc_context(figures.STYLE):
                fig.savefig(buffer, format=spec.format, bbox_inches="tight")
                data = buffer.getvalue()
                width, height = figures.pixel_size(data, spec.format)
                try:
                    figures.check_legible(name, data, spec.format, texts)
                    verdict = "ok"
                except ValueError as exc:
                    verdict = f"FAIL {exc}"
                if args.preview:
                    fig.savefig(args.preview / f"{name}.png", format="png", dpi=96 if spec.format == "svg" else 100,
                                bbox_inches="tight")
            plt.close(fig)
        failed += verdict != "ok"
        print(f"{name:38s} {width:5.0f} x {height:4.0f} px  smallest {smallest:7s} {verdict}", flush=True)
    print(f"{len(chosen) - failed} of {len(chosen)} figures legible at the {figures.COLUMN_PX} px column")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
