"""Grading and submission framework for a course of auto-graded notebooks and projects.

One module or package per pipeline stage: ``assignment`` (read assignment folders, release a
student notebook), ``execute`` (run a notebook in a sandbox and probe its functions),
``scoring`` (compare with the reference, diagnose mistakes), ``forbidden`` (the forbidden-shortcut
scan), ``gradebook`` (SQLite), ``report`` (two-page PDF), ``bundle`` and ``intake`` (hand-in and
collection), ``export`` (grades and feedback). ``cli`` is the thin command line on top. The
framework knows no assignment: everything specific to one lives in assignments/<name>/.
"""

__version__ = "0.1.0"
