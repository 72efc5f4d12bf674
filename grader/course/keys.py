"""The keys of ``course.toml``, ``projects.toml`` and ``rubric.toml``: what the course readers
accept (:mod:`grader.course.config`, :mod:`grader.course.rubric`) and what the reference pages
of the documentation list."""

from __future__ import annotations

from grader.inputs.toml_keys import Key, TomlFile, TomlTable
from grader.limits import COURSE
from grader.projects.kinds import TOLD_TO_STUDENTS

_DEADLINE = (
    "a TOML date-time with its UTC offset, e.g. 2026-12-18T23:59:00+05:30; a hand-in time "
    "recorded without an offset is read in the deadline's"
)

COURSE_TOML = TomlFile(
    "course.toml",
    "The course: who is on it, what counts towards the final grade and how lateness is "
    "charged. Read by `grader final`, `marks`, `mail`, `serve`, `watch`, `roster` and `lti`; "
    "paths are relative to the file.",
    (
        TomlTable(
            "course",
            "The course itself.",
            (
                Key("title", "the course's name, in mail and on the dashboard"),
                Key(
                    "roster",
                    "the roster file (`id,name,email,role`, a Canvas or Moodle export, or `.xlsx`)",
                ),
                Key(
                    "projects",
                    "the projects' folder (`projects.toml`, `rubric.toml`)",
                    required=False,
                    default='"projects"',
                ),
                Key(
                    "assignments",
                    "the folder holding one folder per auto-graded component",
                    required=False,
                    default="assignments/ beside the file if there is one, else the file's folder",
                ),
                Key("scale", "the final grade is out of this many points", False, "100"),
                Key(
                    "decimals",
                    "decimals a score is shown with to a person (1: 12.7, 2: 12.73): feedback "
                    "pages, mail, the dashboard, grades.csv; the gradebook, results.json's "
                    "numbers and the LMS files keep scores exact",
                    required=False,
                    default="2",
                ),
                Key(
                    "blind",
                    "markers of written answers and project reports see each student as a "
                    "pseudonym, names redacted (a component's own `blind` wins)",
                    required=False,
                    default="false",
                ),
                Key(
                    "extensions",
                    "the CSV of extended deadlines (`student,component,deadline,granted_by,"
                    "reason`), relative to the file",
                    required=False,
                    default='"extensions.csv", read when it exists',
                ),
            ),
        ),
        TomlTable(
            "late",
            "The late policy: at or before the deadline is on time; within `grace_hours` no "
            "penalty (noted); later, `penalty_per_day` percent per day or part of a day, at "
            "most `max_penalty`; past `no_credit_after_days`, no credit.",
            (
                Key(
                    "grace_hours", "hours after a deadline that still count as on time", False, "0"
                ),
                Key(
                    "penalty_per_day",
                    "percent of the component's score per day or part of a day late",
                ),
                Key(
                    "max_penalty",
                    "percent at which the penalty stops growing (at most 100)",
                    False,
                    "100",
                ),
                Key(
                    "no_credit_after_days",
                    "later than this many days after the deadline, no credit",
                    False,
                    "none: always some credit",
                ),
            ),
        ),
        TomlTable(
            "component",
            "One graded component per table: an auto-graded assignment (its folder is "
            "`assignments/<id>/`) or a project marked against the rubric. The final grade is "
            "the weighted mean of the components' fractions, times `scale`.",
            (
                Key(
                    "id",
                    "the component's name: the assignment's folder, or a project id of "
                    "`projects.toml`",
                ),
                Key("title", "its name in the gradebook, the dashboard and the mail"),
                Key("kind", '"auto" (graded by `grader grade`) or "project" (marked)'),
                Key("weight", "its weight in the final grade, relative to the others"),
                Key("deadline", _DEADLINE, False, "none: never late"),
                Key(
                    "lms_points",
                    "what it is worth in Canvas or Moodle, its points possible "
                    "there; the LMS files give scores on that scale",
                    False,
                    "100",
                ),
                Key(
                    "blind",
                    "marked blind: its written answers, or for a project its report and "
                    "notebook, are shown to markers under a pseudonym, names redacted",
                    required=False,
                    default="as `[course]` says",
                ),
                Key(
                    "markers",
                    "the markers (their `grader serve --add-marker` names) who see and decide "
                    'its regrade requests, e.g. ["kiran", "meera"]; the instructor always may',
                    required=False,
                    default="every marker",
                ),
            ),
            repeated=True,
        ),
        TomlTable(
            "regrade",
            "Replies to the feedback mail taken as regrade requests.",
            (
                Key(
                    "window_days",
                    "a reply is taken as a request this many days after the feedback is sent",
                    required=False,
                    default=f"{COURSE.regrade_window_days:g}",
                ),
            ),
            required=False,
        ),
        TomlTable(
            "mail",
            "The course's mail: whose word on a sender `grader collect` and `grader watch` "
            "take (see the instructors' pages on collecting and watching).",
            (
                Key(
                    "trusted_authserv_id",
                    "the receiving mail server whose `Authentication-Results` headers are "
                    "trusted, by its authserv-id: `mx.google.com` (Gmail, Google Workspace), "
                    "`exchange-online` (Outlook, Microsoft 365: its header names none), or "
                    "the university server's own name (e.g. `mx.example.edu`). A hand-in it "
                    "says failed DMARC (or SPF and DKIM both, with no DMARC result) is not "
                    "attributed to the student its From: names; other servers' headers, and "
                    "its own below the topmost, are ignored",
                    required=False,
                    default="none: each message's DKIM signatures are checked instead",
                ),
            ),
            required=False,
        ),
    ),
)

PROJECTS_TOML = TomlFile(
    "projects.toml",
    "The course's projects (in the projects' folder): what `grader grade --assignment "
    "assignments/projects` checks, and the limits of running their notebooks.",
    (
        TomlTable(
            "projects",
            "Settings shared by every project.",
            (
                Key("title", "the projects' name in the checks pages"),
                Key("rubric", "the marking rubric's file, relative to this one"),
                Key(
                    "runtime",
                    "the Colab-like virtualenv the notebooks run in (`grader setup "
                    "--projects` builds it), relative to the folder `grader` runs in; "
                    "GRADER_PROJECTS_RUNTIME overrides it",
                ),
                Key("cell_timeout", "seconds one cell of a project notebook may run"),
                Key("notebook_timeout", "seconds the whole notebook may run"),
                Key("memory_mb", "megabytes of memory for the notebook's processes together"),
                Key(
                    "rerun_tolerance",
                    "how far (relative: 0.05 is 5%) a number the sandbox's run prints may be "
                    "from the one Colab saved before the checks show both beside the report's",
                    required=False,
                    default="0.05",
                ),
                Key(
                    "keep_from_students",
                    "the kinds of the checks of substance the watch's receipt leaves out (any "
                    f"of {', '.join(TOLD_TO_STUDENTS)}, or a pitfall's kind); name "
                    "the same in the submission template the course gives out",
                    required=False,
                    default="[]",
                ),
            ),
        ),
        TomlTable(
            "project",
            "One project per table, in the order a bundle lists them.",
            (
                Key(
                    "id",
                    "the gradebook's component name (`course.toml` uses it): lower-case "
                    "letters, digits and '-'",
                ),
                Key("title", "the project's title"),
            ),
            repeated=True,
        ),
    ),
)

RUBRIC_TOML = TomlFile(
    "rubric.toml",
    "The projects' marking rubric: criteria, their points and level descriptors. Edit it "
    "without code.",
    (
        TomlTable("rubric", "The rubric itself.", (Key("title", "the rubric's name"),)),
        TomlTable(
            "criterion",
            "One criterion per table, in marking order.",
            (
                Key("id", "a column name of the marks CSV: lower-case letters, digits and '-'"),
                Key("title", "what the marker sees"),
                Key("points", "the criterion's points (more than 0)"),
                Key(
                    "checks",
                    'automatic checks shown beside it while marking: "report", '
                    '"notebook", "dataset"',
                    False,
                    "[]",
                ),
                Key("level", "its levels, as `[[criterion.level]]` tables"),
            ),
            repeated=True,
        ),
        TomlTable(
            "criterion.level",
            "One level of the criterion above: what a mark means (a mark may be any number "
            "from 0 to the criterion's points).",
            (
                Key("points", "the level's points, from 0 to the criterion's"),
                Key("descriptor", "what work at this level looks like"),
            ),
            repeated=True,
        ),
    ),
)
