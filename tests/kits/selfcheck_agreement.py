"""Every known mistake of every shipped assignment, each in a notebook of its own, checked by
the released self-check (in a real kernel, the grader not importable) and graded by
`grader grade`: what each tool says of each function, to compare.

A mistake's notebook is the release filled with the solutions, in which the function the
mistake lives in (its home: the one of its variants none of whose parts has the mistake too) is
the catalogue's own variant, carried into the notebook by value (cloudpickle), so the
notebook's composites call it as they would call a student's. Used by
tests/scoring/test_selfcheck_agreement.py.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cloudpickle
import nbformat
from diagnosis_corpus import ASSIGNMENTS, Entry, filled
from jupyter_client.client import KernelClient
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

import reference_lstm
from grader.assignment import load_assignment, load_config
from grader.assignment.releasing import release
from grader.scoring.diagnose import mistake_homes

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("lstm_gates", "rnn_gradients", "lstm_backward")
FENCE = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]
# Colab has no grader: the kernel's run starts by making it (and the reference) unimportable.
NO_GRADER = (
    "import sys\n"
    "for _name in ('grader', 'reference_lstm'):\n"
    "    sys.modules[_name] = None  # import raises ImportError, as where nothing is installed\n"
)
# A notebook shares its kernel with the ones run before it: it starts with none of their names
# (nor one of the reset's own). What survives the reset is frozen (gc.freeze): the reset's full
# garbage collection, a third of a notebook's time with torch loaded, then scans only what the
# notebook before made.
FRESH = "get_ipython().run_line_magic('reset', '-f')\n__import__('gc').freeze()\n"
# The kernels keep no history database: the reset starts a new session in it, and every cell
# writes to it (a commit each); the self-check reads none of it.
KERNEL_ARGUMENTS = ["--HistoryManager.enabled=False"]
_LINE = re.compile(r"^(\w+): (PASS|FAIL|ERROR|NOT \w+|NOT READY)(.*)$")
_HINT = re.compile(r"^Hint \[([\w-]+)\]: (.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Planted:
    """One catalogued mistake of one assignment, planted in its home functions."""

    assignment: str
    index: int
    code: str
    homes: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.index:02d}-{self.code}"


def planted_notebook(released: nbformat.NotebookNode, planted: Planted, variants) -> object:
    """The release filled with the solutions, ``planted``'s variants bound after the cells
    that define its home functions."""
    notebook = filled(released, Entry(planted.name, assignment=planted.assignment))
    cells = []
    for cell in notebook.cells:
        cells.append(cell)
        for home in planted.homes:
            if cell.cell_type == "code" and re.search(rf"^def {home}\(", cell.source, re.M):
                blob = base64.b64encode(cloudpickle.dumps(variants[home])).decode("ascii")
                cells.append(
                    nbformat.v4.new_code_cell(
                        f"import base64, cloudpickle\n{home} = cloudpickle.loads("
                        f"base64.b64decode('{blob}'))",
                        id=f"planted-{home.replace('_', '-')}",
                    )
                )
    notebook.cells = cells
    return notebook


def build(work: Path) -> dict[str, list[Planted]]:
    """Write every assignment's planted notebooks under ``work/<assignment>/``."""
    for module in (reference_lstm,):
        cloudpickle.register_pickle_by_value(module)
    plan: dict[str, list[Planted]] = {}
    for name in SHIPPED:
        assignment = load_assignment(ASSIGNMENTS / name)
        cloudpickle.register_pickle_by_value(assignment.grading)
        released = nbformat.read(release(ASSIGNMENTS / name, work / "release"), as_version=4)
        folder = work / name
        folder.mkdir(parents=True, exist_ok=True)
        plan[name] = []
        for index, mistake in enumerate(assignment.mistakes):
            planted = Planted(
                name, index, mistake.code, tuple(mistake_homes(mistake.variants, assignment.parts))
            )
            notebook = planted_notebook(released, planted, mistake.variants)
            nbformat.write(notebook, folder / f"{planted.name}.ipynb")
            plan[name].append(planted)
    return plan


def self_check_lines(path: Path, kernel: KernelManager, client: KernelClient) -> dict[str, str]:
    """What the final ``check()`` of the notebook at ``path`` prints, by function, run in
    ``kernel`` (through its ``client``) where the grader is not importable. The kernel is shared
    by many notebooks (a kernel's start and its torch import cost seconds each): every name the
    notebook before defined is removed first (``%reset -f``), as in a kernel of its own."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(FRESH + NO_GRADER, id="no-grader"))
    runner = NotebookClient(notebook, km=kernel, timeout=120, allow_errors=True)
    # nbclient makes a client of its own for a kernel it was given, and leaves its channels
    # open: a heartbeat thread and five sockets per notebook, which went on waking the test
    # process (a seventh of a core for 70 notebooks) for the rest of its run.
    runner.kc = client
    runner.execute()
    last = next(c for c in notebook.cells if c.get("id") == "grader-check-all")
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    failed = [o for o in errors if o.output_type == "error"]
    if failed:
        raise AssertionError(f"{path.name}: a cell raised {failed[0].ename}: {failed[0].evalue}")
    text = "".join(o.get("text", "") for o in last.outputs)
    return {m.group(1): line for line in text.splitlines() if (m := _LINE.match(line))}


def self_checks(paths: list[Path]) -> list[dict[str, str]]:
    """Each notebook's self-check lines (:func:`self_check_lines`), in two kernels, each
    running half of them."""

    def run_half(half: list[Path]) -> list[dict[str, str]]:
        kernel = KernelManager(kernel_name="python3")
        kernel.start_kernel(extra_arguments=KERNEL_ARGUMENTS)
        client = kernel.client()
        try:
            client.start_channels()
            client.wait_for_ready(timeout=120)
            return [self_check_lines(path, kernel, client) for path in half]
        finally:
            client.stop_channels()
            kernel.shutdown_kernel(now=True)

    halves = [paths[0::2], paths[1::2]]
    with ThreadPoolExecutor(max_workers=2) as pool:
        found = list(pool.map(run_half, halves))
    lines = {
        path: said
        for half, saids in zip(halves, found, strict=True)
        for path, said in zip(half, saids, strict=True)
    }
    return [lines[path] for path in paths]


def checked(plan: dict[str, list[Planted]], work: Path) -> dict[tuple[str, str], dict]:
    """Every planted notebook's self-check lines, by (assignment, name)."""
    keys = [(p.assignment, p.name) for planted in plan.values() for p in planted]
    found = self_checks([work / a / f"{name}.ipynb" for a, name in keys])
    return dict(zip(keys, found, strict=True))


def graded(plan: dict[str, list[Planted]], work: Path) -> Path:
    """Grade every planted notebook, one `grader grade` run per assignment, behind the fence,
    on one grader: `make test` keeps both cores busy, and a second grader's start and its wait
    for the trial notebook cost CPU (the three runs: 51 to 54 s of CPU on two graders, 44 s on
    one)."""
    out = work / "graded"
    for name in plan:
        paths = sorted(str(p) for p in (work / name).glob("*.ipynb"))
        command = [sys.executable, "-m", "grader.cli", "grade", "--assignment"]
        command += [str(ASSIGNMENTS / name), "--out", str(out / name), "--seed", "7"]
        command += ["--workers", "1", *paths]
        done = subprocess.run(
            [*FENCE, *command], capture_output=True, text=True, cwd=ROOT, check=False
        )
        if done.returncode != 0:
            raise AssertionError(f"grader grade failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return out


def graders_words(results: Path) -> dict[str, tuple[bool, list[tuple[str, str]]]]:
    """By graded function (``results`` is ``<assignment>/<name>/results.json``; the numeric
    answers, which the self-check does not check, left out): (full marks, [(hint code, text)]
    in the order results.json gives them)."""
    tests = json.loads(results.read_text())["tests"]
    functions = {f.name for f in load_config(ASSIGNMENTS / results.parts[-3]).functions}
    return {
        t["name"]: (t["score"] >= t["max_score"], _HINT.findall(t["output"]))
        for t in tests
        if t["name"] in functions
    }


def disagreements(line: str, graded: tuple[bool, list[tuple[str, str]]], function: str) -> str:
    """What differs between the self-check's line and the grader's result of one function;
    empty when they say the same."""
    full, hints = graded
    passed = line.startswith(f"{function}: PASS")
    if passed != full:
        return f"self-check {'passes' if passed else 'fails'}, grader {'full' if full else 'lost'}"
    if passed:
        return ""
    said = line.split(" Hint: ", 1)[1] if " Hint: " in line else None
    if not hints:
        return f"the grader gives no hint, the self-check says {said!r}"
    if said != hints[0][1]:
        return f"self-check {said!r} / grader [{hints[0][0]}] {hints[0][1]!r}"
    return ""
