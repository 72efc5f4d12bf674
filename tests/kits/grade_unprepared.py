"""``grader grade`` for tests that run it as the tests' ordinary user, whose fresh home has no
prepared runtime: the preparation (a cache, minutes of compiling) is skipped; the sandbox works
without it. Arguments: those of ``grader``."""

from __future__ import annotations

import sys

from grader import cli
from grader.engine.runtime import preparation

preparation.ensure_prepared = lambda *args, **kwargs: None

if __name__ == "__main__":
    sys.exit(cli.main(sys.argv[1:]))
