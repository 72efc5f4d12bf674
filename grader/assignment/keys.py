"""The keys of an assignment's ``assignment.toml``: what :mod:`grader.assignment.config`
accepts and what the reference pages of the documentation list."""

from __future__ import annotations

from grader.inputs.toml_keys import Key, TomlFile, TomlTable

ASSIGNMENT_TOML = TomlFile(
    "assignment.toml",
    "One assignment (in its folder `assignments/<name>/`): what `grader assign` releases and "
    "`grader grade` scores. An unknown key is an error that names the closest known one.",
    (
        TomlTable(
            "assignment",
            "The assignment itself.",
            (
                Key(
                    "name", "letters, digits, '_' and '-': the released notebook is `<name>.ipynb`"
                ),
                Key("title", "the assignment's title, in the release and the feedback"),
                Key(
                    "source", "the instructor's notebook with the solutions, relative to the folder"
                ),
                Key(
                    "deadline",
                    "a TOML date-time with its UTC offset, e.g. 2026-12-18T23:59:00+05:30",
                    required=False,
                    default="none",
                ),
            ),
        ),
        TomlTable(
            "grading",
            "How submissions are scored and what their run may use. A value passes when "
            "|got - expected| <= atol + rtol * |expected|, element-wise.",
            (
                Key("atol", "absolute tolerance (>= 0)"),
                Key("rtol", "relative tolerance (>= 0)"),
                Key("cases_per_function", "hidden cases drawn per graded function"),
                Key(
                    "seed",
                    "\"per-submission\" (a seed per hand-in: the student's own, from the course's "
                    "secret and the roster id, so every hand-in of a student gets the same cases, "
                    "else a fresh one; recorded, and reused when the same notebook is graded "
                    "again) or an integer >= 0 for every submission; `grader grade --seed` "
                    "overrides it",
                ),
                Key("cell_timeout", "seconds one cell of a student notebook may run"),
                Key("notebook_timeout", "seconds the whole notebook may run"),
                Key("memory_mb", "megabytes of memory for the submission's processes together"),
            ),
        ),
        TomlTable(
            "functions",
            "One graded function per table, in the notebook's order; the grader calls it by "
            "its name. None for an assignment of written answers only (the source notebook's "
            "cells say which).",
            (
                Key("name", "the function's Python name"),
                Key("points", "what it is worth (more than 0)"),
            ),
            repeated=True,
            required=False,
        ),
        TomlTable(
            "answers",
            "A number (or a short list of numbers) the student computes, one table per answer: "
            "the notebook sets it as a variable, and it is checked against the source notebook's "
            "solution run on the student's own values (see the instructors' how-to on variant "
            "questions).",
            (
                Key("name", "the Python variable the student's notebook sets (and the solution)"),
                Key("points", "what it is worth (more than 0)"),
                Key(
                    "atol",
                    "absolute tolerance (>= 0) of a right answer",
                    required=False,
                    default="[grading]'s atol",
                ),
                Key(
                    "rtol",
                    "relative tolerance (>= 0) of a right answer",
                    required=False,
                    default="[grading]'s rtol",
                ),
                Key(
                    "says",
                    "what the right value means, for the feedback after the student's values, "
                    'e.g. "the gradient falls below 1e-3 after {expected} steps"',
                    required=False,
                    default='""',
                ),
                Key(
                    "partial",
                    "partial-credit rules, as [[answers.partial]] tables after the answer",
                    required=False,
                    default="[]",
                ),
            ),
            repeated=True,
            required=False,
        ),
        TomlTable(
            "answers.partial",
            "Partial credit for an answer that is not right, the first rule that matches: "
            "either a looser tolerance (right method, wrong rounding) or another value the "
            "solution computes (a known wrong path). The words may name {answered}, {expected}, "
            "{name} and the variant parameters.",
            (
                Key("credit", "the share of the answer's points it earns, between 0 and 1"),
                Key("message", "what the student reads: what is right and what is not"),
                Key("atol", "a looser absolute tolerance", required=False, default="none"),
                Key("rtol", "a looser relative tolerance", required=False, default="none"),
                Key(
                    "value",
                    "a variable the source notebook's solution sets: an answer within the "
                    "answer's tolerance of it earns the credit",
                    required=False,
                    default="none",
                ),
            ),
            repeated=True,
            required=False,
        ),
        TomlTable(
            "forbidden",
            "Shortcuts the grader reports: see the authors' page on forbidden shortcuts.",
            (
                Key(
                    "imports",
                    "modules a notebook may not import (dotted names)",
                    required=False,
                    default="[]",
                ),
                Key(
                    "calls",
                    'objects a graded function may not reach or call, e.g. "torch.nn.LSTMCell"',
                    required=False,
                    default="[]",
                ),
            ),
            required=False,
        ),
        TomlTable(
            "cases",
            "The assignment's own settings (sizes, lengths, ...), handed to `make_cases` in "
            "its `grading.py`: any keys.",
            required=False,
            free_form=True,
        ),
        TomlTable(
            "pools",
            "Questions drawn per student, k of n: each student of a per-student release "
            "(`grader assign --per-student`) gets `draw` of the pool's graded functions, drawn "
            "from the course's secret and recorded at release; the others are left out of their "
            "notebook and their grading. See the instructors' page on variants.",
            (
                Key("name", "the pool's name (letters, digits, '_')"),
                Key("draw", "how many of its functions each student gets (at least 1)"),
                Key(
                    "functions",
                    "graded functions of [[functions]], worth equal points, that no other "
                    "cell of the source notebook uses",
                ),
            ),
            repeated=True,
            required=False,
        ),
        TomlTable(
            "variants",
            "Per-student values: one table per named parameter, `[variants.NAME]`, with "
            '`kind = "int"` (`min`, `max`, optional `step`), `kind = "float"` (`min`, `max`, '
            '`digits` after the point) or `kind = "choice"` (`choices`, a list). The source '
            "notebook writes `{{NAME}}` where the value goes: see the instructors' how-to on "
            "variant questions.",
            required=False,
            free_form=True,
        ),
        TomlTable(
            "variants.NAME",
            "One parameter of [variants]: `NAME` is the Python name the source notebook "
            "writes as `{{NAME}}`. Each kind takes its own keys; one it does not take is an "
            "error.",
            (
                Key("kind", '"int", "float" or "choice"'),
                Key("min", "int and float: the range's low end (its first value)"),
                Key("max", "int and float: the range's high end (at least min)"),
                Key("step", "int: the distance between values", required=False, default="1"),
                Key("digits", "float: digits after the point each value is rounded to (0-15)"),
                Key("choices", "choice: the values, two or more, each listed once"),
            ),
            required=False,
        ),
    ),
)
