"""Helpers for the tests of one assignment folder: its grading module, its cases, its
notebook's solutions executed in a real kernel, and gradient checks.

The grading module is loaded by file path under the name the framework gives it
(``assignment_<name>_grading``), the way the grader imports it on the trusted side.
"""

from __future__ import annotations

import importlib.util
import pickle
import re
import sys
import tempfile
import tomllib
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
from nbclient import NotebookClient

ASSIGNMENTS = Path(__file__).resolve().parents[2] / "assignments"
# The grading tolerance of the assignments' assignment.toml.
ATOL, RTOL = 1e-5, 1e-4


def _framework_types() -> None:
    """Make ``grader.assignment`` importable while the framework's own lives on the
    ``packages`` branch: Case and Mistake exactly as CONTRACTS.md A writes them. Once the
    branches are merged the framework's module is found first and this does nothing."""
    try:
        import grader.assignment  # noqa: F401
    except ImportError:

        @dataclass(frozen=True)
        class Case:
            label: str
            args: tuple

        @dataclass(frozen=True)
        class Mistake:
            code: str
            message: str
            variants: Mapping[str, Callable]

        stand_in = types.ModuleType("grader.assignment")
        stand_in.Case, stand_in.Mistake = Case, Mistake
        sys.modules["grader.assignment"] = stand_in


def load_grading(name: str) -> types.ModuleType:
    """``assignments/<name>/grading.py``, imported as the framework imports it."""
    _framework_types()
    module_name = f"assignment_{name}_grading"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, ASSIGNMENTS / name / "grading.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def config(name: str) -> dict:
    """The folder's assignment.toml."""
    return tomllib.loads((ASSIGNMENTS / name / "assignment.toml").read_text())


def case_settings(name: str, count: int = 4, public: bool = False) -> dict:
    """The ``[cases]`` table of the folder's assignment.toml plus count and public, as the
    framework hands it to make_cases."""
    return {**config(name).get("cases", {}), "count": count, "public": public}


def function_names(name: str) -> list[str]:
    return [f["name"] for f in config(name)["functions"]]


def cases_for(name: str, function: str, seed: int, count: int = 4) -> list:
    grading = load_grading(name)
    rng = np.random.default_rng([seed, *function.encode()])
    return grading.make_cases(function, rng, case_settings(name, count))


# --- comparing outputs -----------------------------------------------------------------------


def as_parts(value) -> dict:
    """An output as {part: array}: one part per array of a tuple, per key of a dict."""
    if isinstance(value, dict):
        return {key: np.asarray(v) for key, v in value.items()}
    if isinstance(value, tuple):
        return {k: np.asarray(v) for k, v in enumerate(value)}
    return {"": np.asarray(value)}


def close(got, expected, atol: float = ATOL, rtol: float = RTOL) -> bool:
    """Every part present, of the same shape, and within the grading tolerance."""
    got, expected = as_parts(got), as_parts(expected)
    if got.keys() != expected.keys():
        return False
    return all(
        got[k].shape == expected[k].shape
        and np.issubdtype(got[k].dtype, np.number)
        and bool(np.all(np.abs(got[k] - expected[k]) <= atol + rtol * np.abs(expected[k])))
        for k in expected
    )


def as_float32(arg):
    """An argument as a student holding float32 arrays would pass it."""
    if isinstance(arg, dict):
        return {key: np.asarray(value, dtype=np.float32) for key, value in arg.items()}
    if isinstance(arg, np.ndarray):
        return arg.astype(np.float32)
    return arg


# --- the source notebook's solutions ---------------------------------------------------------

# The last cell of the run: call the functions the notebook defined, save what they return (or
# the name of the exception a call raised).
_CALLER = """
import pickle as _pickle
def _call(_function, _args):
    try:
        return globals()[_function](*_args)
    except Exception as _error:
        return type(_error).__name__
with open({calls!r}, "rb") as _file:
    _calls = _pickle.load(_file)
with open({results!r}, "wb") as _file:
    _pickle.dump([_call(_function, _args) for _function, _args in _calls], _file)
"""


def run_notebook(path: Path, calls: list[tuple[str, tuple]], functions_only: bool = False):
    """Execute the code cells of the notebook at ``path`` (the instructor's own or a sample
    built from it: trusted code) in a real Jupyter kernel, then each ``(function, args)`` of
    ``calls``. ``functions_only``: only the cells up to the last one defining a function of
    ``calls`` (not the experiments after them). Returns (the values, or the exception's class
    name, in order; the executed notebook)."""
    source = nbformat.read(path, as_version=4)
    if path.name == "source.ipynb":  # an instructor's source: its [variants] filled class-wide
        from grader.assignment import load_config
        from grader.assignment.source import source_on

        source = source_on(load_config(path.parent), None)
    code_cells = [cell for cell in source.cells if cell.cell_type == "code"]
    if functions_only:
        called = {function for function, _ in calls}
        last = max(k for k, c in enumerate(code_cells) if _defined(c.source) & called)
        code_cells = code_cells[: last + 1]
    with tempfile.TemporaryDirectory() as tmp:
        calls_path, results_path = Path(tmp, "calls.pkl"), Path(tmp, "results.pkl")
        calls_path.write_bytes(pickle.dumps(calls))
        nb = nbformat.v4.new_notebook(metadata=source.metadata)
        nb.cells = code_cells
        caller = _CALLER.format(calls=str(calls_path), results=str(results_path))
        nb.cells.append(nbformat.v4.new_code_cell(caller))
        client = NotebookClient(
            nb,
            timeout=300,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": tmp}},
        )
        client.execute()
        return pickle.loads(results_path.read_bytes()), nb


def _defined(code: str) -> set[str]:
    return set(re.findall(r"^def (\w+)\(", code, re.MULTILINE))


# --- checks every assignment folder passes ---------------------------------------------------


def numerical_gradient(scalar: Callable[[], float], array: np.ndarray, eps: float = 1e-6):
    """d scalar() / d array by central differences, changing ``array`` in place and back."""
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + eps
        up = scalar()
        array[index] = saved - eps
        down = scalar()
        array[index] = saved
        grad[index] = (up - down) / (2 * eps)
    return grad


def indistinguishable_cases(name: str, seed: int = 0) -> dict[tuple[str, str], list[str]]:
    """For each (mistake code, function) of the folder: the labels of the cases on which the
    mistake's variant is within the grading tolerance of the reference (its hint cannot fire
    there, and the student loses nothing there)."""
    grading = load_grading(name)
    found = {}
    for function in grading.REFERENCE:
        cases = cases_for(name, function, seed)
        expected = [grading.REFERENCE[function](*case.args) for case in cases]
        for mistake in grading.MISTAKES:
            if function in mistake.variants:
                found[mistake.code, function] = [
                    case.label
                    for case, want in zip(cases, expected, strict=True)
                    if close(mistake.variants[function](*case.args), want)
                ]
    return found


def confusable_mistakes(name: str, seed: int = 0) -> list[tuple[str, str, str]]:
    """(function, code, code) for two mistakes whose variants agree on every case of the
    function: one hint could never be told from the other."""
    grading = load_grading(name)
    confused = []
    for function in grading.REFERENCE:
        cases = cases_for(name, function, seed)
        users = [m for m in grading.MISTAKES if function in m.variants]
        outputs = {m.code: [m.variants[function](*c.args) for c in cases] for m in users}
        for k, first in enumerate(users):
            for second in users[k + 1 :]:
                pairs = zip(outputs[first.code], outputs[second.code], strict=True)
                if all(close(a, b) for a, b in pairs):
                    confused.append((function, first.code, second.code))
    return confused


def readme_hint_codes(name: str) -> set[str]:
    """The codes in the first column of the README's hint-code table."""
    text = (ASSIGNMENTS / name / "README.md").read_text()
    table = text.split("## Hint codes", 1)[1]
    return set(re.findall(r"^\| `([^`]+)` \|", table, re.MULTILINE))


# --- checks every assignment folder passes, called by each folder's test module ----------------


def check_cases_reproducible(name: str, function: str) -> None:
    """The same seed gives the same cases; another seed other inputs."""
    first, again = cases_for(name, function, 7), cases_for(name, function, 7)
    other = cases_for(name, function, 8)
    assert [c.label for c in first] == [c.label for c in again]
    for a, b, c in zip(first, again, other, strict=True):
        assert all(np.array_equal(u, v) for u, v in zip(arrays(a), arrays(b), strict=True))
        assert not np.allclose(a.args[0], c.args[0])


def arrays(case) -> list[np.ndarray]:
    """Every array of a case's arguments, dicts' values included, in a fixed order."""
    found = []
    for arg in case.args:
        found += [np.asarray(arg[k]) for k in sorted(arg)] if isinstance(arg, dict) else [arg]
    return found


def check_mistakes_listed(name: str) -> None:
    """Unique codes, all in the README's table, each variant for a graded function, and each
    message formats with the function's name (no other braces)."""
    grading = load_grading(name)
    codes = [m.code for m in grading.MISTAKES]
    assert len(codes) == len(set(codes))
    assert readme_hint_codes(name) == set(codes)
    for mistake in grading.MISTAKES:
        assert mistake.variants and set(mistake.variants) <= set(grading.REFERENCE)
        assert mistake.message.format(function="f").startswith("f ")


def check_folder(name: str) -> None:
    """assignment.toml grades REFERENCE's functions in the notebook's order, with its numeric
    answers for 100 points; source.ipynb defines each in one cell with a solution region and
    makes no forbidden import or call."""
    from grader.forbidden import forbidden_shortcuts

    grading = load_grading(name)
    functions = config(name)["functions"]
    answers = config(name).get("answers", [])
    assert [f["name"] for f in functions] == list(grading.REFERENCE)
    assert sum(f["points"] for f in [*functions, *answers]) == 100
    source = nbformat.read(ASSIGNMENTS / name / "source.ipynb", as_version=4)
    code = "\n".join(c.source for c in source.cells if c.cell_type == "code")
    forbidden = config(name)["forbidden"]
    graded = list(grading.REFERENCE)
    assert forbidden_shortcuts(code, graded, forbidden["imports"], forbidden["calls"]) == {}
    for function in graded:
        (cell,) = [c for c in source.cells if c.source.startswith(f"def {function}(")]
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source


def check_solutions_are_reference(name: str) -> dict[str, str]:
    """The source notebook's solutions, run in a real kernel, return REFERENCE's values on the
    hidden cases of every graded function. Returns the text each cell printed, by cell id."""
    grading = load_grading(name)
    calls = [(f, case.args) for f in grading.REFERENCE for case in cases_for(name, f, 5)]
    results, executed = run_notebook(ASSIGNMENTS / name / "source.ipynb", calls)
    errors = [out for cell in executed.cells for out in cell.outputs if out.output_type == "error"]
    assert errors == []
    for (function, args), got in zip(calls, results, strict=True):
        assert close(got, grading.REFERENCE[function](*args), 1e-12, 1e-12), function
    return {
        cell.id: "".join(out.get("text", "") for out in cell.outputs)
        for cell in executed.cells
        if "id" in cell
    }


def check_composition(name: str) -> None:
    """Each composite over the reference parts is the reference; over a part with a known
    mistake it is that mistake's composite variant (the mistake shows through as declared)."""
    grading = load_grading(name)
    for function, parts in grading.PARTS.items():
        assert set(parts) <= set(grading.REFERENCE) - {function}
        compose = grading.COMPOSITION[function]
        for case in cases_for(name, function, 3):
            composed = compose(dict(grading.REFERENCE), *case.args)
            assert close(composed, grading.REFERENCE[function](*case.args), 1e-12, 1e-12)
        for mistake in grading.MISTAKES:
            wrong_parts = [part for part in parts if part in mistake.variants]
            if not wrong_parts or function not in mistake.variants:
                continue
            substituted = {**grading.REFERENCE, **{p: mistake.variants[p] for p in wrong_parts}}
            for case in cases_for(name, function, 4):
                composed = compose(substituted, *case.args)
                want = mistake.variants[function](*case.args)
                assert close(composed, want, 1e-12, 1e-12), (mistake.code, function)


def load_samples_script() -> types.ModuleType:
    path = ASSIGNMENTS.parent / "examples" / "make_assignment_samples.py"
    spec = importlib.util.spec_from_file_location("make_assignment_samples", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_samples_are_current(name: str) -> None:
    """The committed samples are what the script builds from today's source.ipynb."""
    script = load_samples_script()
    source = nbformat.read(ASSIGNMENTS / name / "source.ipynb", as_version=4)
    release = script.release_of(name, from_source=False)  # `grader assign`, as the script does
    folder = ASSIGNMENTS.parent / "examples" / name
    built = {
        student: script.filled(release, source, m, script.WRITTEN.get(name, {}).get(student))
        for student, (_, m) in script.SAMPLES[name].items()
    }
    built[script.UNTOUCHED] = release
    for student, notebook in built.items():
        committed = (folder / f"{student}.ipynb").read_text()
        assert committed.rstrip("\n") == nbformat.writes(notebook).rstrip("\n"), student


def check_samples_show_their_mistakes(name: str) -> None:
    """Each sample, run in a real kernel: the right one returns the reference; one with a
    mistake returns that mistake's variant where the mistake shows and the reference elsewhere;
    the untouched one raises NotImplementedError everywhere."""
    script = load_samples_script()
    grading = load_grading(name)
    mistakes = {m.code: m for m in grading.MISTAKES}
    calls = [(f, case.args) for f in grading.REFERENCE for case in cases_for(name, f, 9)[:2]]
    folder = ASSIGNMENTS.parent / "examples" / name
    untouched, _ = run_notebook(folder / f"{script.UNTOUCHED}.ipynb", calls, functions_only=True)
    assert untouched == ["NotImplementedError"] * len(calls)
    for student, (code, _) in script.SAMPLES[name].items():
        results, _ = run_notebook(folder / f"{student}.ipynb", calls, functions_only=True)
        variants = mistakes[code].variants if code else {}
        wrong = set()
        for (function, args), got in zip(calls, results, strict=True):
            want = variants.get(function, grading.REFERENCE[function])(*args)
            assert close(got, want, 1e-12, 1e-12), (student, function)
            if not close(got, grading.REFERENCE[function](*args)):
                wrong.add(function)
        assert wrong == set(variants), student  # the mistake shows wherever it can
