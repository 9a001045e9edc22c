"""Asking: run one question, or all of them, on a set-up. Importing this module registers every
question (one name each in the import below; ORDER is the order ``ask all`` runs them)."""

from __future__ import annotations

import time

from engine.answers import (  # noqa: F401 - importing registers them
    calculator,
    cost,
    gap,
    invariance,
    nonlinearity,
    position,
    receptive,
    sharp,
    shortcut,
    stride,
)
from engine.answers.base import QUESTIONS, Answer, Question, Setup, setup_record
from engine.errors import PoolScopeError

ORDER = ("nonlinearity", "cost", "stride", "sharp", "calculator", "shortcut", "gap",
         "invariance", "receptive", "position")


def questions() -> dict[str, type[Question]]:
    """Every registered question, in the order ``ask all`` runs them."""
    known = [n for n in ORDER if n in QUESTIONS] + [n for n in QUESTIONS if n not in ORDER]
    return {n: QUESTIONS[n] for n in known}


def ask(name: str, setup: Setup | None = None) -> Answer:
    """Run question ``name`` on ``setup``; a one-line PoolScopeError if it is unknown or
    cannot be run there."""
    cls = QUESTIONS.get(name)
    if cls is None:
        raise PoolScopeError(f"unknown question {name!r} (known: {', '.join(questions())})")
    setup = setup or Setup()
    t0 = time.perf_counter()
    a = cls().run(setup)
    return Answer(a.question, a.title, a.verdict, a.numbers, a.tables, a.figures,
                  {**setup_record(setup), **a.setup}, a.cites, time.perf_counter() - t0)


def ask_all(setup: Setup | None = None, out=None) -> tuple[list[Answer], dict[str, str]]:
    """Every question on ``setup``: the answers, and question -> why it was skipped."""
    answers, skipped = [], {}
    for name in questions():
        try:
            answers.append(ask(name, setup))
        except PoolScopeError as e:
            skipped[name] = str(e)
        if out is not None:
            out(name, answers[-1] if answers and answers[-1].question == name else None,
                skipped.get(name))
    return answers, skipped


def ask_into(queue, name: str, setup: Setup | None = None) -> None:
    """Answer ``name`` and put ``("answer", Answer)`` or ``("error", one line)`` on ``queue``:
    the body of the window's on-demand jobs, run in a process of their own so that they can
    be stopped at once and never hold the display up."""
    import os

    if hasattr(os, "nice"):
        os.nice(2)   # the display's process comes first on a busy machine
    try:
        queue.put(("answer", ask(name, setup)))
    except PoolScopeError as e:
        queue.put(("error", str(e)))
    except Exception as e:  # noqa: BLE001 - the job must always answer, in one line
        queue.put(("error", f"{name}: {type(e).__name__}: {e}".splitlines()[0]))
