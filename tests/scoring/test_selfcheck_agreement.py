"""The self-check and the grader say the same thing: every shipped assignment released, every
mistake of its catalogue planted in a notebook of its own (tests/kits/selfcheck_agreement.py), the
notebook run in a real kernel without the grader and graded by `grader grade`. For every
function, the self-check passes exactly where the grader gives full marks, and where it fails
its hint is, word for word, the grader's first hint for that function."""

from __future__ import annotations

import pytest
from selfcheck_agreement import build, checked, disagreements, graded, graders_words

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    work = tmp_path_factory.mktemp("agreement")
    plan = build(work)
    lines = checked(plan, work)
    out = graded(plan, work)
    return plan, lines, out


def test_every_catalogued_mistake_is_told_alike_by_the_self_check_and_the_grader(both):
    plan, lines, out = both
    differing, total = [], 0
    for assignment, planted in plan.items():
        for mistake in planted:
            total += 1
            words = graders_words(out / assignment / mistake.name / "results.json")
            said = lines[(assignment, mistake.name)]
            assert set(said) == set(words), mistake.name
            found = [
                f"{function}: {problem}"
                for function in words
                if (problem := disagreements(said[function], words[function], function))
            ]
            if found:
                differing.append(f"{assignment}/{mistake.name}: " + "; ".join(found))
    print(f"self-check and grader agree on {total - len(differing)} of {total} mistakes")
    assert differing == [], "\n".join(differing)
    assert total >= 60


def test_the_hint_names_the_function_it_is_shown_for(both):
    """A mistake shared by several functions: each line names its own function, never the
    last one the release happened to fill in."""
    plan, lines, _ = both
    for assignment, planted in plan.items():
        for mistake in planted:
            for function, line in lines[(assignment, mistake.name)].items():
                others = [
                    f
                    for f in lines[(assignment, mistake.name)]
                    if f != function and f" {f} matches" in line
                ]
                assert not others, line
