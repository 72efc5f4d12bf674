"""Run a student's notebook in the sandbox and call its functions: the engine's public API.

The engine itself is :mod:`grader.engine`; this module keeps the names callers import
(``run_submission``, ``Limits``, ``ProbeCall``, ``ProbeOutcome``, ``RunResult``, ...).
"""

from grader.engine import *  # noqa: F403 - the engine's public names, under their old home
from grader.engine import __all__  # noqa: F401
