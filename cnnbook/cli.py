"""The ``cnnbook`` command: machine info, exercises and answer checking.

::

    cnnbook info                   backend, device and library versions
    cnnbook exercises [CHAPTER]    list exercises (all, or one chapter's)
    cnnbook check ID ANSWER        check an answer; a .py file for code exercises
    cnnbook bench [OPTIONS]        time the numerical core against PyTorch and the naive loops
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import textwrap

__all__ = ["main"]


def _info(_args):
    import matplotlib
    import numpy

    from cnnbook import __version__
    from cnnbook.backend import ENV_VAR, backend_name, gpu_status

    available, reason = gpu_status()
    print(f"cnnbook     {__version__}")
    print(f"python      {platform.python_version()} ({sys.executable})")
    print(f"numpy       {numpy.__version__}")
    print(f"matplotlib  {matplotlib.__version__}")
    try:
        import cupy

        print(f"cupy        {cupy.__version__}")
    except Exception:
        print("cupy        not installed (pip install 'cnnbook[gpu]' on a machine with an NVIDIA GPU)")
    print(f"gpu         {'available' if available else 'not available'}: {reason}")
    try:
        print(f"backend     {backend_name()}  ({ENV_VAR}={os.environ.get(ENV_VAR, 'auto')})")
    except (RuntimeError, ValueError) as exc:
        print(f"backend     error: {exc}")
        return 1
    if available:
        import cupy

        props = cupy.cuda.runtime.getDeviceProperties(0)
        print(f"device      {props['name'].decode()} ({props['totalGlobalMem'] / 2**30:.0f} GiB)")
    else:
        from cnnbook.timing import machine_label

        print(f"device      CPU: {machine_label()}")
    return 0


def _exercises(args):
    from cnnbook import exercises

    try:
        chosen = exercises.chapter_exercises(args.chapter)
    except ValueError as exc:
        print(f"cnnbook exercises: {exc}", file=sys.stderr)
        return 2
    for e in chosen:
        print(f"Exercise {e.id} ({e.kind}): {e.title}")
        print(textwrap.indent(textwrap.fill(textwrap.dedent(e.prompt).strip(), 88), "    "))
        for letter, text in e.choices.items():
            print(f"      ({letter}) {text}")
        how = f"cnnbook check {e.id} your_file.py" if e.kind == "code" else f"cnnbook check {e.id} ANSWER"
        print(f"    answer: {e.expected_form()}  ->  {how}\n")
    return 0


def _check(args):
    from cnnbook import exercises

    answer = " ".join(args.answer)
    try:
        result = exercises.check(args.id, answer)
    except ValueError as exc:  # unknown id, or AnswerFormatError
        print(f"cnnbook check: {exc}", file=sys.stderr)
        return 2
    print(result)
    return 0 if result.correct else 1


def main(argv=None):
    """Entry point of the ``cnnbook`` command; returns the exit status."""
    parser = argparse.ArgumentParser(prog="cnnbook", description="The CNN book's companion command.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="show backend, device and versions").set_defaults(run=_info)
    ex = sub.add_parser("exercises", help="list the exercises of a chapter (or all)")
    ex.add_argument("chapter", nargs="?", help="chapter number, e.g. 1")
    ex.set_defaults(run=_exercises)
    ck = sub.add_parser("check", help="check an answer, e.g. 'cnnbook check 1.2 73856'")
    ck.add_argument("id", help="exercise id, e.g. 1.2")
    ck.add_argument("answer", nargs="+", help="your answer (a .py file for code exercises)")
    ck.set_defaults(run=_check)
    sub.add_parser("bench", help="benchmark against PyTorch and the naive loops (cnnbook bench --help)")
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:  # the benchmark parses its own options
        from cnnbook import bench

        return bench.main(argv[1:])
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
