"""The mistakes nobody catalogued (tests/kits/uncatalogued_corpus.py), each self-checked in a
plain kernel and graded by `grader grade`, as a table: mistake, the self-check's words, the
grader's words, whether they are the same, whether the cause is named, false hints.

    .venv/bin/python benchmarks/uncatalogued_table.py            # this checkout's code
    OTHER/.venv/bin/python benchmarks/uncatalogued_table.py      # another checkout's (before)

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
    args = parser.parse_args()
    import grader

    code = Path(grader.__file__).resolve().parent.parent
    sys.path.insert(0, str(KITS))
    from uncatalogued_corpus import run, table

    with tempfile.TemporaryDirectory(prefix="uncatalogued-") as scratch:
        work = Path(args.keep or scratch)
        rows = run(work, code)
    print(f"code: {code}")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
