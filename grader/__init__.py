"""Grading and submission framework for an LSTM course.

One module per pipeline stage: ``assign`` (release a student notebook), ``execute`` (run a
notebook in a sandbox and probe its functions), ``score`` (compare with the reference),
``gradebook`` (SQLite), ``report`` (two-page PDF), ``bundle`` (hand-in), the ``intake``
package (``grader collect``), ``export`` (grades and feedback). ``cli`` is the thin command
line on top.
"""

__version__ = "0.1.0"
