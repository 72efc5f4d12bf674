"""What the run-time watch for forbidden shortcuts adds to a probe call, measured in the same run.

    .venv/bin/python benchmarks/forbidden_watch.py [--rounds N]

Runs the shipped full-marks sample once in the sandbox with the assignment's ``[forbidden]
calls`` watched and once without, alternately, N times each; in each run, every graded
function's hidden cases are called in probe sessions (a fresh process each, as graded calls
are). Prints milliseconds per probe call and per session, with and without, and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from grader.assignment import load_assignment
from grader.engine import NoHooks, RunLimits, run_submission

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = ROOT / "assignments" / "lstm_gates"
SAMPLE = ROOT / "examples" / "lstm_gates" / "asha.ipynb"
SESSIONS = 5  # sessions per function in each run


def one_run(cases: dict, watched: tuple[str, ...]) -> tuple[list[float], list[float]]:
    """Seconds of each probe call and of each whole session (fork, calls, end) of one run."""
    calls: list[float] = []
    sessions: list[float] = []

    class Explore(NoHooks):
        def on_probes_complete(self, probes, open_session):
            time_sessions(open_session)

    def time_sessions(open_session):
        for _ in range(SESSIONS):
            for name, function_cases in cases.items():
                opened = time.perf_counter()
                with open_session() as session:
                    for case in function_cases:
                        started = time.perf_counter()
                        outcome = session.call(name, case.args)
                        calls.append(time.perf_counter() - started)
                        if outcome.error is not None or outcome.forbidden_seen:
                            raise SystemExit(f"{name}: {outcome.error or outcome.forbidden_seen}")
                sessions.append(time.perf_counter() - opened)

    result = run_submission(SAMPLE, [], RunLimits(), hooks=Explore(), forbidden_calls=watched)
    if result.status != "completed":
        raise SystemExit(f"the sample did not run: {result.reason}")
    return calls, sessions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="runs of each kind (default 3)")
    args = parser.parse_args(argv)
    assignment = load_assignment(ASSIGNMENT)
    cases = assignment.hidden_cases(1)
    watched = tuple(assignment.config.forbidden_calls)
    times: dict[bool, tuple[list[float], list[float]]] = {False: ([], []), True: ([], [])}
    one_run(cases, watched)  # warm-up: the warm process, the page cache
    for _ in range(args.rounds):
        for watching in (False, True):
            calls, sessions = one_run(cases, watched if watching else ())
            times[watching][0].extend(calls)
            times[watching][1].extend(sessions)
    call = {w: statistics.median(times[w][0]) * 1e3 for w in times}
    session = {w: statistics.median(times[w][1]) * 1e3 for w in times}
    count = len(times[True][0])
    print(f"watched names: {', '.join(watched)}; {count} probe calls of each kind (medians)")
    print(f"per probe call:  without {call[False]:.3f} ms, with {call[True]:.3f} ms")
    print(f"per session:     without {session[False]:.2f} ms, with {session[True]:.2f} ms")
    print(f"ratio with / without: call {call[True] / call[False]:.3f}, ", end="")
    print(f"session {session[True] / session[False]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
