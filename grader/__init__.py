"""Grading and submission framework for a course of auto-graded notebooks and projects.

The packages, in the order a term meets them (each one's ``__init__`` says what its modules do):

- ``course``: ``grader init``, ``course.toml`` (roster, components, weights, deadlines,
  extensions, the late policy), the projects' rubric, ``grader setup``;
- ``assignment``: assignment folders, the authoring API, ``grader assign``; ``variants``: every
  student's own numbers;
- ``scoring``: comparison with the reference, partial credit, diagnosis, the self-check;
- ``bundle``: a student's hand-in; ``intake``: mail and zips into one folder per student
  (``grader collect``); ``watch``: the mailbox answered while the deadline is open;
  ``platforms``: ``grader autograder``, the assignment graded inside Gradescope's or
  PrairieLearn's container;
- ``grading``: ``grader grade``, each notebook run behind the ``engine``'s walls, the
  ``forbidden``-shortcut scan, the ``feedback`` a student receives;
- ``report``: the two-page project report, and any report PDF checked; ``pdf``: the fonts, the
  submission PDF, reading a PDF;
- ``marking``: rubric marks, written answers and their marks, blind marking, overrides, the
  audit; ``web``: ``grader serve``, the dashboard and marking in the browser;
- ``lms``: final grades (``grader final``), CSV exports for Canvas and Moodle, LTI 1.3;
- ``mail``: feedback mail composed and sent (``grader mail``);
- ``regrades``: regrade requests read from replies, kept, decided;
- ``similarity``: copied work found.

Beneath them: ``gradebook`` (the SQLite file and its tables), ``roster`` (who the students and
staff are), ``inputs`` (JSON and TOML anyone may have written, the keys course files may hold,
the package's own files), ``limits`` (every resource limit and default). At the top: ``cli``
(the table of commands, the one place errors become exit codes), ``entry`` (how every entry
point ends), ``errors`` (:class:`~grader.errors.UserError`), ``disk_full`` (a full file system
said in one line), ``scratch`` (the scratch folders a killed run leaves, removed by the next),
``hand_in_time`` (when a hand-in came: a time, or unknown with the LMS's verdict),
``outputs`` (what the grader writes for people to open: the one CSV writer, whose cells a
spreadsheet never runs; what a student wrote, quoted cut short), ``batch`` (work over many
items: counts and the time left on a long step, pure work spread over processes), ``logs``
(what a command reports as it works: levels, ``-v``/``-q``, ``--log-file``), ``templating``
(the one Jinja2 environment every HTML page and mail is rendered through, autoescaped),
``demo`` (``make demo``: the whole pipeline on the shipped examples); ``colab_stub`` stands in
for ``google.colab`` in the sandbox.
The framework knows no assignment: everything specific to one lives in assignments/<name>/.
"""

import functools


def __getattr__(name: str) -> str:
    """``grader.__version__``, looked up on first use: finding the installed distribution among
    a venv's packages costs every process that imports ``grader`` 50 ms, most of which (a
    ``grader --help``, a module imported alone) never ask for it."""
    if name == "__version__":
        return _version()
    raise AttributeError(f"module 'grader' has no attribute {name!r}")


@functools.cache
def _version() -> str:
    from importlib import metadata

    try:  # the build's own version, made from the repository's history when it was built
        return metadata.version("lstm-course-grader")  # (setup.py)
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"
