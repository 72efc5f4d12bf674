"""The mistakes nobody catalogued (tests/kits/uncatalogued_corpus.py), each self-checked in a
plain kernel and graded by `grader grade`, as a table: mistake, the self-check's words, the
grader's words, whether they are the same, whether the cause is named, false hints.

    .venv/bin/python benchmarks/uncatalogued_table.py            # this checkout's code
    OTHER/.venv/bin/python benchmarks/uncatalogued_table.py      # another checkout's (before)
    .venv/bin/python benchmarks/uncatalogued_table.py --corpus wiring   # issue 66's, held apart

The grader and the release come from whatever ``grader`` the interpreter imports (an editable
install of another checkout gives that checkout's code); the corpus is this file's.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

KITS = Path(__file__).resolve().parent.parent / "tests" / "kits"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", help="build and grade in this folder (kept) instead of a temp")
    parser.add_argument(
        "--corpus",
        choices=("uncatalogued", "wiring", "both"),
        default="both",
        help="the mistakes no catalogue lists (issue 49), the wiring mistakes (issue 66), or both",
    )
    args = parser.parse_args()
    import grader

    code = Path(grader.__file__).resolve().parent.parent
    sys.path.insert(0, str(KITS))
    from uncatalogued_corpus import MISTAKES, run, table
    from wiring_corpus import WIRING

    corpora = {"uncatalogued": MISTAKES, "wiring": WIRING}
    chosen = list(corpora) if args.corpus == "both" else [args.corpus]
    print(f"code: {code}")
    for name in chosen:
        with tempfile.TemporaryDirectory(prefix=f"{name}-") as scratch:
            work = Path(args.keep or scratch) / name
            rows = run(work, code, corpora[name])
        print(f"\n{name} corpus\n")
        print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
