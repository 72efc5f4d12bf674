"""What the sandbox's processes cost with nothing of the grading inside, for
grade_throughput.py: a lower bound of grading within these walls.

    python benchmarks/walls_floor.py CELLS.json PROBES

CELLS.json: a list of notebooks, each the list of its code cells' sources. The warm process is
made as the grader makes it (numpy, torch, the runner's shell; then settled: frozen for the
collector, its heap on huge pages) and forked as each submission forks it: an init, which forks
the runner, which forks PROBES probe processes one after another (one per graded function),
each ending at once. Once with nothing inside, once with the runner exec'ing the notebook's
cells first (as the floor does: no IPython, no kernel). No namespaces, no seccomp filters, no
channel, no hidden cases, no scoring, no files. Prints JSON: CPU seconds per submission of the
whole tree (every process waited for, so counted), for each.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys

os.environ["OMP_NUM_THREADS"] = "1"  # as the sandbox runs torch

from grader.engine.gradersandbox import zygote  # noqa: E402


def _cpu() -> float:
    spent = os.times()
    return spent.user + spent.system + spent.children_user + spent.children_system


def _exec_cells(sources: list[str]) -> None:
    namespace: dict = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for source in sources:
            exec(compile(source, "<cell>", "exec"), namespace)


def _submission(cells: list[str] | None, probes: int) -> None:
    """One submission's processes: init, runner (the cells, if given), its probes."""
    init = os.fork()
    if init == 0:
        runner = os.fork()
        if runner == 0:
            if cells is not None:
                _exec_cells(cells)
            for _ in range(probes):
                probe = os.fork()
                if probe == 0:
                    os._exit(0)
                os.waitpid(probe, 0)
            os._exit(0)
        os.waitpid(runner, 0)
        os._exit(0)
    os.waitpid(init, 0)


def per_submission(notebooks: list[list[str]], probes: int, with_cells: bool) -> float:
    """CPU seconds per submission of the process tree, over every notebook."""
    started = _cpu()
    for cells in notebooks:
        _submission(cells if with_cells else None, probes)
    return (_cpu() - started) / len(notebooks)


def main(argv: list[str]) -> int:
    notebooks = json.loads(open(argv[0], encoding="utf-8").read())
    probes = int(argv[1])
    zygote.warm()
    _exec_cells(notebooks[0])  # torch's first calls, before the clock, as the floor does
    zygote.settle()
    zygote.use_huge_pages()  # as a class's run does from its first few forks on
    result = {
        "walls": per_submission(notebooks, probes, with_cells=False),
        "walls_and_cells": per_submission(notebooks, probes, with_cells=True),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
