"""Marking by people: what a marker gives besides the automatic scores, and the record of it.

Modules: ``marks`` (rubric marks: validated writes, the spreadsheet's export and import),
``pages`` (a project's checks beside its rubric, a project's marks for the student),
``findings`` (the findings of the projects' checks of substance as HTML, whole or beside a
criterion: the marker's view of them),
``answer_cells`` and ``written_answers`` (a student's answer to each written question, found
whatever they did to its cell), ``written_marks`` (the marks of written answers), ``blind`` and
``redaction`` (blind marking: pseudonyms, names taken out of what a marker sees), ``overrides``
(a score changed by hand over the automatic one), ``marks_command`` (``grader marks``),
``written_command`` (``grader written``), ``audit_command`` (``grader audit``: every change of a
mark or score).
"""
