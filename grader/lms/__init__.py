"""Final grades, and where they go: the LMS.

Modules: ``final`` (every student's final grade: automatic scores and rubric marks weighted,
extensions and the late policy applied, the standing so far), ``lateness`` (each component
charged by when its graded version was handed in, against the student's deadline), ``exports``
(the final grades as CSV: plain, Canvas's gradebook import, Moodle's grade import), ``lti``
(LTI 1.3: the grades pushed to the LMS, the roster read from it). ``grader final`` is
:mod:`grader.mail.final_command`: it also says whose grades changed since their last mail.
"""
