"""Every exercise: its solution passes its checker, typical wrong answers fail, bad forms are explained."""

from __future__ import annotations

import importlib
import subprocess
import sys

import numpy as np
import pytest

from cnnbook import exercises
from cnnbook.exercises import AnswerFormatError, ch01, check, solution_source

ALL = exercises.chapter_exercises()
IDS = [e.id for e in ALL]


def _write_function(tmp_path, func, name):
    path = tmp_path / f"{name}.py"
    path.write_text("import numpy as np\n\n" + solution_source(func).replace(f"def {func.__name__}(",
                                                                             f"def {name}(", 1))
    return path


@pytest.mark.parametrize("exercise", ALL, ids=IDS)
def test_solution_passes(exercise, tmp_path):
    if exercise.kind == "code":
        module = importlib.import_module(f"cnnbook.exercises.ch{int(exercise.chapter):02d}")
        solution = getattr(module, exercise.function)  # the function shown in the solution
        path = _write_function(tmp_path, solution, exercise.function)
        result = check(exercise.id, str(path))
    else:
        result = check(exercise.id, exercise.answer)
    assert result.correct, result.message


@pytest.mark.parametrize("exercise", ALL, ids=IDS)
def test_typical_wrong_answers_fail(exercise):
    assert exercise.wrong, f"exercise {exercise.id} lists no typical wrong answers"
    for wrong in exercise.wrong:
        result = check(exercise.id, wrong)
        assert not result.correct, f"{exercise.id}: {wrong!r} was accepted"
        if exercise.kind == "code":
            assert result.message.startswith("case "), result.message


@pytest.mark.parametrize("chapter", sorted({e.chapter for e in ALL}, key=int))
def test_every_chapter_has_eight_exercises_two_in_code(chapter):
    chosen = exercises.chapter_exercises(chapter)
    assert len(chosen) >= 8
    assert sum(e.kind == "code" for e in chosen) >= 2


def test_chapter_one_uses_every_kind():
    kinds = {e.kind for e in exercises.chapter_exercises(1)}
    assert kinds == {"number", "bool", "choice", "shape", "code"}


@pytest.mark.parametrize("exercise_id, answer, expected", [
    ("1.2", "73,856", True), ("1.2", " 73856 ", True), ("1.2", 73856.0, True),
    ("1.4", "FALSE", True), ("1.4", "no", True), ("1.6", "(B)", True),
    ("1.7", "16x3x5x5", True), ("1.7", "(16, 3, 5, 5)", True), ("1.7", [16, 3, 5, 5], True),
])
def test_answer_forms(exercise_id, answer, expected):
    assert check(exercise_id, answer).correct is expected


@pytest.mark.parametrize("exercise_id, answer, message", [
    ("1.2", "many", "expects a number"),
    ("1.2", "nan", "expects a number"),
    ("1.4", "maybe", "expects true or false"),
    ("1.6", "e", "expects one of the letters a, b, c, d"),
    ("1.7", "sixteen", "expects a shape such as"),
    ("1.9", "missing.py", "is not an existing .py file"),
])
def test_malformed_answers_say_what_is_expected(exercise_id, answer, message):
    with pytest.raises(AnswerFormatError, match=message):
        check(exercise_id, answer)


def test_broken_learner_files_are_reported(tmp_path):
    syntax = tmp_path / "syntax.py"
    syntax.write_text("def correlate2d(image, kernel):\n    return (\n")
    with pytest.raises(AnswerFormatError, match=r"failed \(line \d+\): SyntaxError"):
        check("1.9", str(syntax))
    missing = tmp_path / "other.py"
    missing.write_text("def something_else():\n    pass\n")
    with pytest.raises(AnswerFormatError, match=r"must define a function correlate2d\(image, kernel\)"):
        check("1.9", str(missing))
    raising = tmp_path / "raising.py"
    raising.write_text("def correlate2d(image, kernel):\n    raise IndexError('oops')\n")
    result = check("1.9", str(raising))
    assert not result.correct and "raised IndexError: oops" in result.message


def test_unknown_exercise():
    with pytest.raises(ValueError, match="unknown exercise '3.14'; known exercises: 1.1"):
        check("3.14", 1)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "cnnbook.cli", *args], capture_output=True, text=True,
                          timeout=120)


def test_cli_check_exit_codes_and_no_tracebacks(tmp_path):
    right = _cli("check", "1.2", "73856")
    assert right.returncode == 0 and "correct" in right.stdout
    wrong = _cli("check", "1.2", "73728")
    assert wrong.returncode == 1 and "not yet" in wrong.stdout
    for args, message in [(("check", "1.2", "lots"), "expects a number"),
                          (("check", "99.1", "1"), "unknown exercise"),
                          (("check", "1.9", "nope.py"), "not an existing .py file"),
                          (("exercises", "42"), "no exercises for chapter '42'")]:
        bad = _cli(*args)
        assert bad.returncode == 2, bad
        assert message in bad.stderr and "Traceback" not in bad.stderr + bad.stdout


def test_cli_checks_a_code_file(tmp_path):
    path = _write_function(tmp_path, ch01.correlate2d, "correlate2d")
    result = _cli("check", "1.9", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    listing = _cli("exercises", "1")
    assert listing.returncode == 0 and "Exercise 1.10 (code)" in listing.stdout


def test_markdown_has_hint_and_collapsible_solution():
    md = exercises.to_markdown(1)
    for e in exercises.chapter_exercises(1):
        block = md.split(f'"Exercise {e.id} ·')[1].split('!!! question')[0]
        assert '??? tip "Hint"' in block and '??? success "Solution"' in block
        assert f"cnnbook check {e.id}" in block
    # the solution shows the very function the tests run through the checker
    for line in solution_source(ch01.conv_matrix).splitlines():
        assert line.strip() in md


def test_exercise_prose_has_no_doubled_backslashes():
    """TeX in the exercises is written as it reads, in raw strings: ``r"$\\lfloor n/s \\rfloor$"``, not ``"\\\\lfloor"``."""
    import io
    import re
    import tokenize

    from cnnbook.cache import PACKAGE_DIR

    for path in sorted((PACKAGE_DIR / "exercises").glob("*.py")):
        for token in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
            prefix = re.match(r"[a-zA-Z]*", token.string).group(0).lower() if token.type == tokenize.STRING else ""
            if token.type == tokenize.STRING and "r" not in prefix and "\\\\" in token.string:
                raise AssertionError(f"{path.name}:{token.start[0]}: a doubled backslash; write the string raw (r\"...\")")


SOLUTION = "import numpy as np\n\ndef correlate2d(image, kernel):\n" \
           "    from cnnbook.reference import correlate2d as right\n    return right(image, kernel)\n"
HOSTILE = {  # learner files that once fooled or hung the checker, and what the verdict must say
    "exits at import": ("import sys\nsys.exit(0)\n", 2, "SystemExit"),
    "loops at import": ("while True:\n    pass\n", 1, "more than 1 s"),
    "exits in the function": ("import sys\n\ndef correlate2d(image, kernel):\n    sys.exit(0)\n", 1, "SystemExit"),
    "raises SystemExit": ("def correlate2d(image, kernel):\n    raise SystemExit(0)\n", 1, "SystemExit"),
    "ends the process": ("import os\n\ndef correlate2d(image, kernel):\n    os._exit(0)\n", 1,
                         "ended the process (exit code 0)"),
    "interrupts": ("def correlate2d(image, kernel):\n    raise KeyboardInterrupt\n", 1, "KeyboardInterrupt"),
    "loops": ("def correlate2d(image, kernel):\n    while True:\n        pass\n", 1, "more than 1 s"),
    "returns too much": ("import numpy as np\n\ndef correlate2d(image, kernel):\n"
                         "    return np.zeros(10_000_000)\n", 1, "MB, more than the 64 MB"),
    "tampers with the reference": ("import numpy as np\nimport cnnbook.reference as r\nimport cnnbook.exercises as e\n"
                                   "r.correlate2d = lambda image, kernel: np.zeros(1)\n"
                                   "e._compare = lambda expected, got: None\n\n"
                                   "def correlate2d(image, kernel):\n    return np.zeros(1)\n", 1, "expected shape"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_learner_code_cannot_fool_or_hang_the_checker(name, tmp_path):
    source, status, message = HOSTILE[name]
    path = tmp_path / "answer.py"
    path.write_text(source)
    if status == 2:
        with pytest.raises(AnswerFormatError, match=message):
            check("1.9", str(path), time_limit=1)
    else:
        result = check("1.9", str(path), time_limit=1)
        assert not result.correct and message in result.message, result.message
    cli = _cli("check", "1.9", str(path), "--time-limit", "1")
    assert cli.returncode == status and message in cli.stdout + cli.stderr, cli
    assert "Traceback" not in cli.stdout + cli.stderr
    path.write_text(SOLUTION)  # and the checker still works, in this process
    assert check("1.9", str(path)).correct


def test_a_notebook_function_is_checked_in_a_child_process_too():
    import os

    def correlate2d(image, kernel):
        os._exit(3)

    result = check("1.9", correlate2d, time_limit=2)
    assert not result.correct and "exit code 3" in result.message
    assert check("1.9", ch01.correlate2d).correct


def test_time_limit_must_be_positive():
    with pytest.raises(ValueError, match="time_limit must be a positive number of seconds; got 0"):
        check("1.9", ch01.correlate2d, time_limit=0)


def test_batch_norm_exercises_are_cnnbooks_batch_norm():
    """Exercises 7.10 and 7.11 say their functions equal cnnbook.functional's batch normalization in training mode."""
    from cnnbook import functional as F
    from cnnbook.exercises import ch07

    rng = np.random.default_rng(0)
    for grad_out, x, gamma, eps in ch07._bn_grad_cases(rng, 10):
        beta = rng.standard_normal(gamma.shape)
        np.testing.assert_allclose(ch07.batch_norm_forward(x, gamma, beta, eps),
                                   F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps), atol=1e-12)
        for mine, theirs in zip(ch07.batch_norm_backward(grad_out, x, gamma, eps),
                                F.batch_norm_backward(grad_out, x, None, None, gamma, beta, training=True, eps=eps)):
            np.testing.assert_allclose(mine, theirs, atol=1e-12)
