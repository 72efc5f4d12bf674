"""The forbidden-shortcut scan's time against the size of what it scans, in the same run.

    .venv/bin/python benchmarks/forbidden_scan_scale.py

Scans a helper that rebinds one local name 1,000 to 16,000 times (``x = x + 1``: 4,000 of
them took 41-79 s before issue 51), and a cell of about 1 MB of pasted data, with the shipped
lstm_gates assignment's [forbidden] lists. Prints seconds against the count and the ratio to
the smallest: a linear scan doubles with the count, a quadratic one quadruples.
"""

from __future__ import annotations

import time
from pathlib import Path

from grader import assignment
from grader.forbidden import forbidden_shortcuts

ROOT = Path(__file__).resolve().parent.parent
CONFIG = assignment.load_config(ROOT / "assignments" / "lstm_gates")
GRADED = [f.name for f in CONFIG.functions]
GATE = "def forget_gate(x_t, h_prev, W_f, b_f):\n"


def rebound(times: int) -> str:
    body = "    x = x + 1\n" * times
    return f"import numpy as np\ndef helper(x):\n{body}    return x\n{GATE}    return helper(x_t)\n"


def pasted_data(values: int) -> str:
    data = ", ".join(f"{i / 7:.6f}" for i in range(values))
    return f"import numpy as np\ndata = [{data}]\n{GATE}    return np.tanh(x_t) + data[0]\n"


def seconds(code: str) -> float:
    started = time.perf_counter()
    forbidden_shortcuts([(0, code)], GRADED, CONFIG.forbidden_imports, CONFIG.forbidden_calls)
    return time.perf_counter() - started


def main() -> int:
    seconds("import numpy as np\n")  # IPython's reader and the aliases learnt once
    print("rebindings   KB  seconds  ratio")
    first = None
    for count in (1000, 2000, 4000, 8000, 16000):
        code = rebound(count)
        took = seconds(code)
        first = first or took
        print(f"{count:10d} {len(code) // 1000:4d} {took:8.3f} {took / first:6.1f}")
    code = pasted_data(110_000)
    print(f"a cell of pasted data, {len(code) / 1e6:.1f} MB: {seconds(code):.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
