"""Exercises: defined once, rendered in the book, checked from Python or the command line.

Each chapter module registers :class:`Exercise` objects. The same definition

* renders into the chapter page (prompt, hint, collapsible solution) through
  :func:`to_markdown`;
* answers ``cnnbook check 1.2 73856`` on the command line and
  ``cnnbook.exercises.check("1.2", 73856)`` in Python.

Kinds of answer: ``number``, ``bool`` (true/false), ``choice`` (a letter),
``shape`` (a tuple of ints) and ``code`` (a Python file, or a function, that
defines the requested function; it is run against the reference on random
inputs and the first mismatch is reported).
"""

from __future__ import annotations

import inspect
import math
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cnnbook._registry import load_modules
from cnnbook.formatting import format_value

__all__ = ["EXERCISES", "AnswerFormatError", "Exercise", "Result", "anchor", "check", "chapter_exercises",
           "code_block", "get", "register", "tex", "to_markdown"]

KINDS = ("number", "bool", "choice", "shape", "code")
EXERCISES = {}

FORMS = {
    "number": "a number, e.g. 28 or 1,216 or 0.25",
    "bool": "true or false",
    "choice": "one of the letters {letters}",
    "shape": "a shape such as (2, 7, 9, 9) or 2x7x9x9",
    "code": "the path of a .py file that defines {function}",
}


class AnswerFormatError(ValueError):
    """The answer is not of the form the exercise expects."""


@dataclass(frozen=True)
class Result:
    """The verdict on one answer."""

    exercise: str
    correct: bool
    message: str

    def __bool__(self):
        return self.correct

    def __str__(self):
        return f"Exercise {self.exercise}: {'correct' if self.correct else 'not yet'}. {self.message}"


@dataclass(frozen=True)
class Exercise:
    """One exercise.

    Attributes
    ----------
    id : str
        ``"chapter.number"``, e.g. ``"1.3"``.
    kind : str
        One of ``number``, ``bool``, ``choice``, ``shape``, ``code``.
    title : str
        A few words naming the exercise.
    prompt, hint, solution : str
        Markdown.
    answer
        The right answer (``number``, ``bool``, ``choice`` letter, ``shape`` tuple).
    choices : dict
        ``{letter: Markdown}`` for ``choice``.
    rel_tol : float
        Relative tolerance for ``number``.
    function : str
        For ``code``: the name of the function the learner writes.
    signature : str
        For ``code``: its signature, shown in the prompt.
    reference : callable
        For ``code``: the correct function.
    cases : callable
        For ``code``: ``cases(rng)`` yields tuples of arguments.
    wrong : tuple
        Typical wrong answers (values, or functions for ``code``); the tests
        prove each one fails.
    """

    id: str
    kind: str
    title: str
    prompt: str
    hint: str
    solution: str
    answer: object = None
    choices: dict = field(default_factory=dict)
    rel_tol: float = 1e-6
    function: str = ""
    signature: str = ""
    reference: object = None
    cases: object = None
    wrong: tuple = ()

    @property
    def chapter(self):
        return self.id.split(".")[0]

    def expected_form(self):
        return FORMS[self.kind].format(letters=", ".join(self.choices), function=self.signature or self.function)


def register(exercise):
    """Add ``exercise`` to :data:`EXERCISES` after checking that it is well formed."""
    if not re.fullmatch(r"\d+\.\d+", exercise.id):
        raise ValueError(f"register: exercise id must look like '1.3'; got {exercise.id!r}")
    if exercise.kind not in KINDS:
        raise ValueError(f"register: exercise {exercise.id} kind must be one of {KINDS}; got {exercise.kind!r}")
    if exercise.id in EXERCISES:
        raise ValueError(f"register: exercise {exercise.id} is defined twice")
    if exercise.kind == "code" and not (exercise.function and exercise.reference and exercise.cases):
        raise ValueError(f"register: code exercise {exercise.id} needs function, reference and cases")
    if exercise.kind == "choice" and exercise.answer not in exercise.choices:
        raise ValueError(f"register: exercise {exercise.id}'s answer {exercise.answer!r} is not among its choices")
    EXERCISES[exercise.id] = exercise
    return exercise


def _load():
    load_modules(__name__)  # every chNN.py (and other public module) here registers its items


def _sort_key(exercise_id):
    return tuple(int(part) for part in exercise_id.split("."))


def chapter_exercises(chapter=None):
    """Exercises of one chapter (``"1"`` or ``1``), or all, in order.

    Examples
    --------
    >>> len(chapter_exercises(1)) >= 8
    True
    """
    _load()
    chosen = [e for e in EXERCISES.values() if chapter is None or e.chapter == str(chapter)]
    if chapter is not None and not chosen:
        chapters = sorted({e.chapter for e in EXERCISES.values()}, key=int)
        raise ValueError(f"no exercises for chapter {chapter!r}; chapters with exercises: {', '.join(chapters)}")
    return sorted(chosen, key=lambda e: _sort_key(e.id))


def get(exercise_id):
    """The exercise with this id.

    Examples
    --------
    >>> get("1.2").kind
    'number'
    >>> get("9.99")
    Traceback (most recent call last):
    ...
    ValueError: unknown exercise '9.99'; known exercises: 1.1, ...
    """
    _load()
    exercise_id = str(exercise_id).strip()
    if exercise_id not in EXERCISES:
        known = ", ".join(sorted(EXERCISES, key=_sort_key))
        raise ValueError(f"unknown exercise {exercise_id!r}; known exercises: {known}")
    return EXERCISES[exercise_id]


# --- reading answers ---------------------------------------------------------------------------


def _parse_number(raw):
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, (int, float, np.integer, np.floating)):
        return float(raw)
    text = str(raw).strip().replace(",", "").replace("_", "")
    if "/" in text:
        num, den = text.split("/", 1)
        return float(num) / float(den)
    return float(text)


def _parse_bool(raw):
    if isinstance(raw, (bool, np.bool_)):
        return bool(raw)
    text = str(raw).strip().lower()
    if text in ("true", "t", "yes", "y"):
        return True
    if text in ("false", "f", "no", "n"):
        return False
    raise ValueError


def _parse_shape(raw):
    if isinstance(raw, (tuple, list)):
        parts = list(raw)
    else:
        text = str(raw).strip().strip("()[]")
        parts = [p for p in re.split(r"\s*[,x×*]\s*|\s+", text) if p]
    values = []
    for p in parts:
        if isinstance(p, bool):
            raise ValueError
        if isinstance(p, (int, np.integer)):
            values.append(int(p))
        elif isinstance(p, str) and re.fullmatch(r"\d+", p):
            values.append(int(p))
        else:
            raise ValueError
    if not values:
        raise ValueError
    return tuple(values)


def _parse(exercise, raw):
    try:
        if exercise.kind == "number":
            value = _parse_number(raw)
            if not math.isfinite(value):
                raise ValueError
            return value
        if exercise.kind == "bool":
            return _parse_bool(raw)
        if exercise.kind == "choice":
            letter = str(raw).strip().lower().strip("()")
            if letter not in exercise.choices:
                raise ValueError
            return letter
        if exercise.kind == "shape":
            return _parse_shape(raw)
    except (ValueError, TypeError, ZeroDivisionError):
        raise AnswerFormatError(
            f"Exercise {exercise.id} expects {exercise.expected_form()}; got {raw!r}"
        ) from None
    raise AssertionError(exercise.kind)


# --- code answers ------------------------------------------------------------------------------


def _describe(args):
    parts = []
    for a in args:
        parts.append(f"array of shape {tuple(a.shape)}" if hasattr(a, "shape") else repr(a))
    return ", ".join(parts)


def _compare(expected, got):
    """None if ``got`` matches ``expected``, else a sentence saying how it differs.

    A tuple ``expected`` (a function that returns several arrays) is compared item by item.
    """
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"expected a tuple of {len(expected)} arrays, got {type(got).__name__}"
        for position, (e, g) in enumerate(zip(expected, got), start=1):
            problem = _compare(e, g)
            if problem:
                return f"in item {position} of the returned tuple, {problem}"
        return None
    expected = np.asarray(expected)
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return f"expected an array of numbers, got {type(got).__name__}"
    if got.shape != expected.shape:
        return f"expected shape {expected.shape}, got shape {got.shape}"
    close = np.isclose(got, expected, rtol=1e-6, atol=1e-8)
    if close.all():
        return None
    index = tuple(int(i) for i in np.argwhere(~close)[0])
    return f"at index {index} expected {expected[index]:.6g}, got {got[index]:.6g}"


def _check_code(exercise, answer, n_cases=25, seed=0, time_limit=None):
    """Run the learner's function on random cases in a child process (:mod:`cnnbook.exercises._isolated`) and
    compare what it returns, here, with the reference's results."""
    from cnnbook.exercises import _isolated

    if not callable(answer):
        path = Path(str(answer))
        if path.suffix != ".py" or not path.is_file():
            raise AnswerFormatError(f"Exercise {exercise.id} expects {exercise.expected_form()}; {str(answer)!r} "
                                    "is not an existing .py file")
    limit = _isolated.TIME_LIMIT if time_limit is None else _positive_seconds(time_limit)
    cases = list(exercise.cases(np.random.default_rng(seed), n_cases))
    expected = [exercise.reference(*args) for args in cases]
    results = _isolated.run_cases(answer, exercise.function, exercise.signature, cases, limit)
    try:
        for number, (args, want, got) in enumerate(zip(cases, expected, results), start=1):
            problem = _compare(want, got)
            if problem:
                return Result(exercise.id, False, f"case {number} ({_describe(args)}): {problem}.")
    except _isolated.LoadError as exc:
        raise AnswerFormatError(f"Exercise {exercise.id}: {exc}") from None
    except _isolated.Verdict as exc:
        return Result(exercise.id, False, f"{exc}.")
    finally:
        results.close()
    return Result(exercise.id, True, f"{exercise.function} matches the reference on {n_cases} random cases.")


def _positive_seconds(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or not math.isfinite(value):
        raise ValueError(f"check: time_limit must be a positive number of seconds; got {value!r}")
    return float(value)


def check(exercise_id, answer, time_limit=None):
    """Check an answer to an exercise.

    Parameters
    ----------
    exercise_id : str
        Such as ``"1.2"``.
    answer
        A number, ``True``/``False``, a letter, a shape, or (code exercises) the
        path of a ``.py`` file or a function. Strings are parsed the way the
        command line passes them.
    time_limit : float, optional
        Code exercises: seconds your code may take to load and per case (default 5). Your code runs in a
        child process: if it exits, raises ``SystemExit`` or ``KeyboardInterrupt``, runs past the limit or
        returns more than 64 MB, that is a wrong answer, and the checker itself carries on.

    Returns
    -------
    Result
        Truthy when correct, with a message.

    Raises
    ------
    ValueError
        Unknown exercise id.
    AnswerFormatError
        The answer is not of the expected form (the message says which form).

    Examples
    --------
    >>> check("1.2", "73,856").correct
    True
    >>> check("1.2", 73728).correct
    False
    >>> check("1.2", "lots")
    Traceback (most recent call last):
    ...
    cnnbook.exercises.AnswerFormatError: Exercise 1.2 expects a number, e.g. 28 or 1,216 or 0.25; got 'lots'
    """
    exercise = get(exercise_id)
    if exercise.kind == "code":
        return _check_code(exercise, answer, time_limit=time_limit)
    value = _parse(exercise, answer)
    if exercise.kind == "number":
        correct = math.isclose(value, float(exercise.answer), rel_tol=exercise.rel_tol, abs_tol=1e-12)
    else:
        correct = value == exercise.answer
    if correct:
        return Result(exercise.id, True, "Well done.")
    return Result(exercise.id, False, "Try the hint, or open the solution in the book.")


# --- rendering ---------------------------------------------------------------------------------


def _indent(text, spaces=4):
    return textwrap.indent(textwrap.dedent(text).strip(), " " * spaces)


def solution_source(func):
    """The source of a solution function, for the page."""
    return textwrap.dedent(inspect.getsource(func)).strip()


def tex(value):
    """A number formatted for TeX: thousands separated by ``{,}`` (no extra space).

    Examples
    --------
    >>> tex(73856)
    '73{,}856'
    """
    return format_value(value).replace(",", "{,}")


def code_block(func):
    """A solution function as a runnable Markdown code block."""
    return f"```python\nimport numpy as np\n\n\n{solution_source(func)}\n```"


def anchor(exercise_id):
    """The id of the exercise's place on its chapter page, for links to it.

    >>> anchor("3.2")
    'exercise-3-2'
    """
    return f"exercise-{get(exercise_id).id.replace('.', '-')}"


def to_markdown(chapter):
    """The exercises of ``chapter`` as Markdown for the book page (Material admonitions).

    Examples
    --------
    >>> md = to_markdown(1)
    >>> md.count('!!! question "Exercise 1.') == len(chapter_exercises(1))
    True
    """
    blocks = []
    for e in chapter_exercises(chapter):
        body = [textwrap.dedent(e.prompt).strip()]
        if e.kind == "choice":
            body.append("\n".join(f"- **({k})** {v}" for k, v in e.choices.items()))
        if e.kind == "code":
            body.append(f"Write `{e.signature}` in a file, then check it with "
                        f"`cnnbook check {e.id} your_file.py`.")
        else:
            body.append(f"Answer with {e.expected_form()}: `cnnbook check {e.id} ANSWER`.")
        body.append(f'??? tip "Hint"\n{_indent(e.hint)}')
        body.append(f'??? success "Solution"\n{_indent(e.solution)}')
        inner = "\n\n".join(body)
        blocks.append(f'<div id="{anchor(e.id)}" class="exercise-anchor"></div>\n\n'
                      f'!!! question "Exercise {e.id} · {e.title}"\n\n{_indent(inner)}\n')
    return "\n".join(blocks)
