"""The gradebook: one SQLite file per course (``<out>/gradebook.sqlite``) and one per graded
assignment, every result committed as soon as it is known.

Modules: ``database`` (opening the file as every part that shares it does: busy timeout, WAL),
``schema`` (the file's schema version: an earlier grader's brought forward once, a newer one's
refused),
``results`` (the automatic gradings: rows, history, ``--resume``), ``course_book`` (the
course's tables: project checks, rubric marks with their history, the feedback mail sent),
``audit`` (every change of a mark or a score, with who, when and why), ``book_reading`` (reading
a table another command may not have made yet).
"""
