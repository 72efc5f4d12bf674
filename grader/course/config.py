"""``course.toml``: the roster, the graded components and their weights, the late
policy. Read once per command; every mistake in it is a UserError naming the key."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from grader.course.extensions import Extensions, read_extensions
from grader.course.keys import COURSE_TOML
from grader.course.late import LatePolicy
from grader.errors import UserError
from grader.inputs.toml_input import Table, read
from grader.limits import COURSE
from grader.outputs.scores import DEFAULT_DECIMALS
from grader.roster import Roster, load_roster

KINDS = ("auto", "project")
COURSE_FILE = "course.toml"
# The decimals a score may be shown with to a person ([course] decimals): 12.7 or 12.73, never
# the float computed (12.7272...); DEFAULT_DECIMALS when the course says nothing.
DECIMALS_CHOICES = (1, 2)


@dataclass(frozen=True)
class Component:
    id: str
    title: str
    kind: str  # "auto" or "project"
    weight: float
    deadline: datetime | None
    lms_points: float = 100.0  # the points possible of its column in Canvas or Moodle
    blind: bool | None = None  # marked blind; None: as the course says
    # The markers who may mark it and decide its regrade requests (None: every marker; the
    # instructor always; grader.web.roles.may_mark).
    markers: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Course:
    path: Path
    title: str
    roster_path: Path
    projects_dir: Path  # the projects' folder (rubric, projects.toml)
    assignments_dir: Path  # the folder holding one folder per auto-graded component
    scale: float
    late: LatePolicy
    components: tuple[Component, ...]
    # Days after a feedback mail within which a reply to it is a regrade request
    # ([regrade] window_days).
    regrade_window_days: float = COURSE.regrade_window_days
    blind: bool = False  # markers of written answers see pseudonyms (grader.marking.blind)
    extensions: Extensions = Extensions(None)  # some students' own deadlines (extensions.py)
    # The receiving server whose Authentication-Results are trusted ([mail]; '': none).
    trusted_authserv_id: str = ""
    decimals: int = DEFAULT_DECIMALS  # a score shown to a person: 1 (12.7) or 2 (12.73)

    @property
    def total_weight(self) -> float:
        return sum(c.weight for c in self.components)

    def roster(self) -> Roster:
        return load_roster(self.roster_path)

    def assignment_folder(self, component_id: str) -> Path:
        """The folder of an auto-graded component: ``assignment.toml``, ``grading.py``, ..."""
        return self.assignments_dir / component_id

    @property
    def lti_dir(self) -> Path:
        """The course's LTI registration: the tool's key and the LMS's details (``grader lti``)."""
        return self.path.parent / "lti"

    def component(self, component_id: str) -> Component | None:
        return next((c for c in self.components if c.id == component_id), None)

    def deadline_for(self, component: Component, student: str) -> datetime | None:
        """The student's deadline for the component: their extension's, else the course's."""
        extension = self.extensions.of(student, component.id)
        return extension.deadline if extension else component.deadline

    @property
    def projects(self) -> tuple[Component, ...]:
        return tuple(c for c in self.components if c.kind == "project")


def load_course(path: Path) -> Course:
    path = Path(path)
    top = Table(path, "", read(path, "course file"))
    top.only(COURSE_TOML.names)
    head = top.table("course")
    head.only(COURSE_TOML.table("course").names)
    late = top.table("late")
    late.only(COURSE_TOML.table("late").names)
    policy = LatePolicy(
        grace=timedelta(hours=late.number("grace_hours", 0)),
        penalty_per_day=late.number("penalty_per_day"),
        max_penalty=late.number("max_penalty", 100),
        no_credit_after_days=late.positive("no_credit_after_days")
        if late.has("no_credit_after_days")
        else None,
    )
    if policy.max_penalty > 100:
        raise late.error(f"'late.max_penalty' is {policy.max_penalty:g}: at most 100 (percent)")
    regrade = top.table("regrade") if top.has("regrade") else Table(path, "regrade", {})
    regrade.only(COURSE_TOML.table("regrade").names)
    mail = top.table("mail") if top.has("mail") else Table(path, "mail", {})
    mail.only(COURSE_TOML.table("mail").names)
    components: list[Component] = []
    for table in top.tables("component"):
        table.only(COURSE_TOML.table("component").names)
        kind = table.text("kind")
        if kind not in KINDS:
            raise table.error(f"'{table.where}.kind' is {kind!r}; use one of {', '.join(KINDS)}")
        component = Component(
            table.text("id"),
            # as the LMS holds it: typed in a browser, composed (a macOS editor may save the
            # umlaut of "Wörter" as o + U+0308, which no importer matches to "Wörter")
            unicodedata.normalize("NFC", table.text("title")),
            kind,
            table.positive("weight"),
            table.when("deadline"),
            table.positive("lms_points", 100),
            table.flag("blind"),
            tuple(table.strings("markers")) if table.has("markers") else None,
        )
        if any(c.id == component.id for c in components):
            raise table.error(f"component '{component.id}' is listed twice")
        twin = next((c for c in components if c.title == component.title), None)
        if twin is not None:
            raise table.error(
                f"components '{twin.id}' and '{component.id}' have the same title "
                f"{component.title!r}: the LMS files would give both to one column; "
                "give each its own title"
            )
        components.append(component)
    roster_path = (path.parent / head.text("roster")).resolve()
    if not roster_path.is_file():
        raise UserError(f"{path}: 'course.roster' names {roster_path}, which does not exist")
    extensions = path.parent / head.text("extensions", "extensions.csv")
    if head.has("extensions") and not extensions.is_file():
        raise UserError(f"{path}: 'course.extensions' names {extensions}, which does not exist")
    deadlines = {c.id: c.deadline for c in components}
    students = [p.id for p in load_roster(roster_path).students] if extensions.is_file() else []
    return Course(
        path=path,
        title=head.text("title"),
        roster_path=roster_path,
        projects_dir=(path.parent / head.text("projects", "projects")).resolve(),
        assignments_dir=(
            path.parent / head.text("assignments", _assignments_default(path))
        ).resolve(),
        scale=head.positive("scale", 100),
        late=policy,
        components=tuple(components),
        regrade_window_days=regrade.positive("window_days", COURSE.regrade_window_days),
        blind=bool(head.flag("blind")),
        extensions=read_extensions(extensions, deadlines, students),
        trusted_authserv_id=(
            mail.text("trusted_authserv_id") if mail.has("trusted_authserv_id") else ""
        ),
        decimals=_decimals(head),
    )


def _decimals(head: Table) -> int:
    """``[course] decimals``: 1 or 2; anything else is refused in one line."""
    value = head.data.get("decimals", DEFAULT_DECIMALS)
    if isinstance(value, bool) or value not in DECIMALS_CHOICES:
        raise head.error(
            f"'course.decimals' is {value!r}: give 1 (scores shown as 12.7) or 2 (12.73)"
        )
    return int(value)


def listing_course(assignment_dir: Path, component_id: str) -> Course | None:
    """The course that lists the assignment folder ``assignment_dir`` as its component
    ``component_id`` (its ``course.toml`` beside the assignment folders, or one level above
    them, as ``grader init`` lays them out); None where there is none, or its file does not
    read (the grading of an assignment on its own knows no course)."""
    folder = Path(assignment_dir).resolve()
    for candidate in (folder.parent / COURSE_FILE, folder.parent.parent / COURSE_FILE):
        if not candidate.is_file():
            continue
        try:
            course = load_course(candidate)
        except (UserError, OSError):  # a course file that does not read says nothing here
            continue
        component = course.component(component_id)
        if component is not None and course.assignment_folder(component.id).resolve() == folder:
            return course
    return None


def _assignments_default(path: Path) -> str:
    """Where the assignment folders lie when ``course.assignments`` is not given: a course made by
    ``grader init`` keeps them in ``assignments/`` beside ``course.toml``; the shipped course's
    ``course.toml`` lies among them."""
    return "assignments" if (path.parent / "assignments").is_dir() else "."


def find_course(given: str | Path | None = None, *, say: Callable[[str], None] = print) -> Path:
    """The course file: ``given`` (``course.toml`` or the folder holding it); else
    ``course.toml`` here or in the nearest folder above (inside a course made by
    ``grader init``); else the only course among this folder's own folders (run from the folder
    that holds the course, as its README's commands are), which is said, since it is a guess."""
    if given is not None:
        path = Path(given)
        if path.is_dir():
            path = path / COURSE_FILE
        if not path.is_file():
            raise UserError(
                f"--course {given}: no such course file; name a course.toml, or the course "
                "folder `grader init` made"
            )
        return path
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / COURSE_FILE).is_file():
            return folder / COURSE_FILE
    below = sorted(here.glob(f"*/{COURSE_FILE}"))
    if len(below) == 1:
        say(f"Using the course {below[0]} (the only one here; --course names another).")
        return below[0]
    found = f" ({', '.join(str(p) for p in below)})" if below else ""
    raise UserError(
        f"no {COURSE_FILE} in {here} or any folder above it, and "
        f"{'more than one' if below else 'none'} in its own folders{found}: name the course "
        f"with --course DIR/{COURSE_FILE} (`grader init DIR` makes one)"
    )
