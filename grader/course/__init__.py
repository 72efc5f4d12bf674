"""The course: the folder ``grader init`` makes, and what every later command reads of it.

Modules: ``new_course`` (``grader init``: a ready course folder), ``config`` (``course.toml``:
the roster, the graded components and their weights, deadlines, the late policy), ``keys`` (the
keys ``course.toml``, ``projects.toml`` and ``rubric.toml`` may hold), ``extensions`` (extended
deadlines), ``late`` (what the late policy keeps of a late hand-in), ``rubric`` (the projects and
their rubric), ``owner_key`` (the course's secret key: blind pseudonyms, variants), ``options``
and ``commands`` (the flags every course command takes, and what the course commands share),
``setup_command`` and ``projects_runtime`` (``grader setup``: the sandbox prepared, the
projects' runtime built).

Nothing here names an assignment: the projects' rubric lives in ``assignments/projects/`` and
the course's parts, weights and late policy in ``assignments/course.toml``.
"""
