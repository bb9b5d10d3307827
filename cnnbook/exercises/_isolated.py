"""Learner code runs in a child process, never in the checker's own.

The child (forked, so that a function defined in a notebook can run there as it is) loads the answer, calls
it on each case and sends back what it returned; the parent computed the expected values itself and compares.
Whatever the learner's code does, it happens in the child: ``sys.exit``, ``SystemExit`` and
``KeyboardInterrupt`` become a verdict, an endless loop is stopped after a time limit, an answer too large is
refused, and a change to ``cnnbook``'s modules or to NumPy does not reach the checker.
"""

from __future__ import annotations

import importlib.util
import io
import multiprocessing
import os
import pickle
import uuid
from pathlib import Path

import numpy as np

#: Seconds the learner's code may take per case (and to load its file), unless the caller says otherwise.
TIME_LIMIT = 5.0
#: Largest pickled result a case may send back, in bytes.
MAX_RESULT = 64 * 2**20


class LoadError(Exception):
    """The answer could not be loaded (the message says why): a malformed answer, not a wrong one."""


class Verdict(Exception):
    """The answer's code misbehaved on a case (the message says how): a wrong answer."""


def _load(answer, function, signature):
    if callable(answer):
        return answer
    path = Path(str(answer))
    spec = importlib.util.spec_from_file_location(f"cnnbook_answer_{uuid.uuid4().hex}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # the learner's file: report, never crash
        where = f" (line {exc.lineno})" if isinstance(exc, SyntaxError) else ""
        raise LoadError(f"running {path} failed{where}: {type(exc).__name__}: {exc}") from None
    func = getattr(module, function, None)
    if not callable(func):
        raise LoadError(f"{path} must define a function {signature}")
    return func


def _child(conn, answer, function, signature, cases):
    """In the child: load, then run every case, sending ``(kind, payload)`` messages to the parent."""
    try:
        try:
            func = _load(answer, function, signature)
        except LoadError as exc:
            conn.send(("load error", str(exc)))
            return
        conn.send(("loaded", None))
        for args in cases:
            try:
                got = func(*[a.copy() if hasattr(a, "copy") else a for a in args])
            except BaseException as exc:  # SystemExit and KeyboardInterrupt included: a verdict, not an exit
                conn.send(("raised", f"{type(exc).__name__}: {exc}"))
                continue
            try:
                data = pickle.dumps(("result", _encode(got)))
            except Exception as exc:
                conn.send(("raised", f"it returned something that cannot be compared ({type(exc).__name__})"))
                continue
            if len(data) > MAX_RESULT:
                conn.send(("raised", f"it returned {len(data) / 2**20:.0f} MB, more than the "
                                     f"{MAX_RESULT // 2**20} MB a case may return"))
                continue
            conn.send_bytes(data)
    finally:
        conn.close()
        os._exit(0)  # no cleanup handlers of the parent's run in the child


def run_cases(answer, function, signature, cases, time_limit=TIME_LIMIT):
    """Yield what the learner's ``function`` returns on each case, computed in a child process.

    Raises :class:`LoadError` if the answer cannot be loaded, :class:`Verdict` (with the case number) if the code
    raises, exits, hangs past ``time_limit`` seconds or returns too much on a case.
    """
    if "fork" not in multiprocessing.get_all_start_methods():  # Windows: no fork; run here, as before
        func = _load(answer, function, signature)
        for number, args in enumerate(cases, start=1):
            try:
                yield func(*[a.copy() if hasattr(a, "copy") else a for a in args])
            except Exception as exc:
                raise Verdict(f"case {number}: your function raised {type(exc).__name__}: {exc}") from None
        return
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(child, answer, function, signature, list(cases)), daemon=True)
    process.start()
    child.close()
    try:
        message = _receive(parent, process, time_limit, "loading your code")
        if message[0] == "load error":
            raise LoadError(message[1])
        for number in range(1, len(cases) + 1):
            message = _receive(parent, process, time_limit, f"case {number}")
            if message[0] == "raised":
                raise Verdict(f"case {number}: your function raised {message[1]}")
            yield message[1]
    finally:
        parent.close()
        if process.is_alive():
            process.kill()
        process.join()


def _receive(conn, process, time_limit, what):
    if not conn.poll(time_limit):
        process.kill()
        raise Verdict(f"{what}: your code ran for more than {time_limit:g} s and was stopped (an endless loop? "
                      f"the limit is settable: check(..., time_limit=...), cnnbook check --time-limit)")
    try:
        data = conn.recv_bytes()
    except EOFError:
        process.join()
        raise Verdict(f"{what}: your code ended the process (exit code {process.exitcode}) instead of returning")
    try:
        kind, payload = _Plain(io.BytesIO(data)).load()
    except Exception as exc:
        raise Verdict(f"{what}: the checker could not read what your code's process sent ({exc})") from None
    return (kind, _decode(payload)) if kind == "result" else (kind, payload)


def _encode(value):
    """What a case's result becomes to cross the pipe: float64 arrays (as shape and bytes) in tuples."""
    if isinstance(value, (tuple, list)):  # kept a sequence: the checker compares a returned tuple item by item
        return ("tuple", [_encode(item) for item in value])
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return ("other", type(value).__name__)
    return ("array", list(array.shape), array.tobytes())


def _decode(encoded):
    kind = encoded[0]
    if kind == "array":
        return np.frombuffer(encoded[2], dtype=np.float64).reshape(encoded[1])
    if kind == "tuple":
        return tuple(_decode(item) for item in encoded[1])
    return type(str(encoded[1]), (), {})()  # compares as "expected an array of numbers, got <its type>"


class _Plain(pickle.Unpickler):
    """Reads only plain data (tuples, lists, strings, bytes, numbers): a message can make the checker run no code."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"a message from the learner's process named {module}.{name}; refused")
