"""The course: project rubrics and checks, marks, final grades, LMS exports, feedback mail.

Nothing here names an assignment: the projects' rubric lives in ``assignments/projects/`` and
the course's parts, weights and late policy in ``assignments/course.toml``.
"""
