"""``python -m grader``: the ``grader`` command, for where its script is not on PATH (a
virtualenv not activated, ``python3 -m grader --version`` to ask an install what it is)."""

import sys

from grader.cli import main

if __name__ == "__main__":  # imported (every module of an install checked), it runs nothing
    sys.exit(main())
