"""One pass per submission: the assignment is loaded once per run, each submission's probes are
scored once, diagnosis is a value (it never changes a result), and results are frozen."""

from __future__ import annotations

import dataclasses
import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sandbox_fence import FENCE

from grader.assignment import load_assignment, load_config
from grader.assignment import package as assignment_package
from grader.assignment.releases import ReleasedOwned
from grader.engine import ProbeOutcome
from grader.feedback import export
from grader.grading.steps import Plan
from grader.limits import RunLimits
from grader.scoring import CaseResult, Diagnosis, FunctionResult, Rules, score_function
from grader.scoring.diagnose import diagnose
from grader.scoring.values import HiddenCase

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignments" / "lstm_gates"
SAMPLES = ROOT / "examples" / "lstm_gates"

# Runs `grader grade` in-process, behind the fence, counting the reads of assignment.toml and
# the scorings of each graded function (the counters wrap the real functions).
COUNTED_RUN = """
import collections, json, sys
from grader import cli
from grader.assignment import package
from grader.grading import steps

counts = collections.Counter()
read_config, score = package.load_config, steps.score_function

def counted_read(*args, **kwargs):
    counts["assignment.toml"] += 1
    return read_config(*args, **kwargs)

def counted_score(name, *args, **kwargs):
    counts[name] += 1
    return score(name, *args, **kwargs)

package.load_config, steps.score_function = counted_read, counted_score
code = cli.main(sys.argv[1:])
print("COUNTS" + json.dumps(counts), flush=True)
sys.exit(code)
"""


def test_a_run_loads_the_assignment_once_and_scores_each_function_once_per_submission(tmp_path):
    notebooks = [SAMPLES / "asha.ipynb", SAMPLES / "bhavin.ipynb"]  # full marks, lost points
    done = subprocess.run(
        [*FENCE, sys.executable, "-c", COUNTED_RUN, "grade", "--assignment", str(ASSIGNMENT)]
        + ["--out", str(tmp_path / "out"), "--seed", "3", "--workers", "1"]
        + list(map(str, notebooks)),
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("COUNTS"))
    counts = json.loads(line[len("COUNTS") :])
    functions = [f.name for f in load_config(ASSIGNMENT).functions]
    assert counts.pop("assignment.toml") == 1
    assert counts == {name: len(notebooks) for name in functions}
    bhavin = json.loads((tmp_path / "out" / "bhavin" / "results.json").read_text())
    assert bhavin["extra_data"]["hints"], "the submission that lost points has its hints"


def test_a_plan_reaches_a_worker_without_reading_the_assignment_again(monkeypatch):
    assignment = load_assignment(ASSIGNMENT)
    plan = Plan(
        assignment, RunLimits.for_assignment(assignment.config), Path("out"), ReleasedOwned({})
    )
    reads = []
    monkeypatch.setattr(assignment_package, "load_config", lambda *a: reads.append(a))
    travelled = pickle.loads(pickle.dumps(plan))
    assert reads == []
    assert travelled.config == plan.config and travelled.limits == plan.limits
    assert travelled.assignment.grading is assignment.grading  # imported once per process
    cases, again = assignment.hidden_cases(4), travelled.assignment.hidden_cases(4)
    assert all(
        np.array_equal(a.expected, b.expected)
        for name in cases
        for a, b in zip(cases[name], again[name], strict=True)
    )


def _aliasing_forget_gate() -> tuple[dict[str, FunctionResult], dict, dict]:
    """forget_gate scored wrong on one case, with the engine's note that it returned one array
    twice; every other function of lstm_gates right."""
    assignment = load_assignment(ASSIGNMENT)
    rules = Rules.of(assignment)
    cases = assignment.hidden_cases(4)
    outcomes = {name: [(c.expected, None) for c in cases[name]] for name in cases}
    wrong: HiddenCase = cases["forget_gate"][0]
    outcomes["forget_gate"][0] = (np.asarray(wrong.expected) + 1.0, None)
    results = {name: score_function(name, 10, cases[name], outcomes[name], rules) for name in cases}
    notes = {"forget_gate": [ProbeOutcome(None, None, aliased=True)]}
    return results, cases, {"outcomes": outcomes, "notes": notes, "rules": rules}


def test_diagnosis_is_a_value_and_leaves_the_results_as_scored():
    from grader.grading import probing

    results, cases, more = _aliasing_forget_gate()
    before = {name: (r.hints, dict(r.hint_messages)) for name, r in results.items()}
    known = probing.known(load_assignment(ASSIGNMENT))
    diagnosis = diagnose(
        results, cases, more["outcomes"], known, more["rules"], None, 0, more["notes"]
    )
    assert isinstance(diagnosis, Diagnosis)
    assert list(diagnosis.hints) == ["forget_gate"]  # only what lost points
    assert "aliased" in diagnosis.hints["forget_gate"]
    assert {name: (r.hints, dict(r.hint_messages)) for name, r in results.items()} == before
    given, found = diagnosis.given_to(results), diagnosis.hints["forget_gate"]
    assert list(given["forget_gate"].hints) == list(found)
    assert given["forget_gate"].hint_messages["aliased"] == found["aliased"]
    assert given["forget_gate"].score == results["forget_gate"].score  # marks never change
    assert all(given[name] is results[name] for name in results if name != "forget_gate")


def test_results_are_frozen():
    results, _, _ = _aliasing_forget_gate()
    result = results["forget_gate"]
    case: CaseResult = result.cases[0]
    graded = export.GradedSubmission("s1", "LSTM gates", 4, "graded", None, results)
    for value, field in ((result, "hints"), (case, "hints"), (graded, "functions")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, field, ())
    assert isinstance(result.hints, tuple) and isinstance(result.cases, tuple)
