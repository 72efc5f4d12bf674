"""Every limit and default of the grader, each with its unit and why, in one place.

Each job has a frozen dataclass of its limits and one instance of it (``RUN``, ``WIRE``, ...);
a module reads ``limits.WIRE.max_depth``, never a number of its own. Values that follow from
others are derived here, so that changing one keeps the rest consistent. Per-assignment settings
(``assignment.toml``'s ``[grading]`` timeouts and memory) override :class:`RunLimits` for one
run; the command line's defaults are the values here.

The groups are declared by job in this package's modules (:mod:`~grader.limits.run`,
:mod:`~grader.limits.sandbox`, :mod:`~grader.limits.intake`, :mod:`~grader.limits.documents`,
:mod:`~grader.limits.course`, with :mod:`~grader.limits.units` for sizes) and all read from
here: ``from grader.limits import WIRE``.

The sandbox's side (:mod:`grader.engine.gradersandbox`) imports only the standard library from
a read-only copy, so it cannot import this package: its values are written, by
``python -m grader.engine.walls.sandbox_limits`` in a checkout, to
``grader/engine/gradersandbox/limits.py``, and ``tests/test_limits.py`` fails when that copy is
not what :mod:`grader.engine.walls.sandbox_limits` generates from here.

Units are in the names: ``_s`` seconds, ``_bytes`` bytes, ``_chars`` characters, ``_pt``
typographic points; a bare count counts what its comment says.
"""

from __future__ import annotations

import sys

from grader.limits.course import (
    COURSE,
    DATABASE,
    LTI,
    SIMILARITY,
    WEB,
    WRITTEN,
    CourseDefaults,
    DatabaseTimes,
    LtiLimits,
    SimilarityLimits,
    WebLimits,
    WrittenLimits,
    regrade_timeout_s,
)
from grader.limits.documents import (
    PDF,
    REPORT,
    SUBMISSION_PDF,
    PdfLimits,
    ReportRules,
    SubmissionPdfLimits,
)
from grader.limits.intake import (
    FETCH,
    GRADING,
    INTAKE,
    JSON_INPUT,
    MAILBOX,
    SENDER_CHECKS,
    GradingLimits,
    IntakeLimits,
    JsonInputLimits,
    LinkFetching,
    MailboxDefaults,
    SenderChecks,
)
from grader.limits.run import (
    ENGINE,
    PLATFORMS,
    REPLIES,
    RUN,
    EngineTimes,
    PlatformLimits,
    ReplyLimits,
    RunLimits,
    RunSettings,
)
from grader.limits.sandbox import (
    FORBIDDEN,
    PREPARATION,
    SANDBOX,
    SHOWN,
    WIRE,
    ForbiddenLimits,
    PreparationFigures,
    SandboxLimits,
    ShownFiles,
    WireLimits,
)
from grader.limits.units import GiB, KiB, MiB

__all__ = [
    "COURSE",
    "DATABASE",
    "ENGINE",
    "FETCH",
    "FORBIDDEN",
    "GRADING",
    "GROUPS",
    "INTAKE",
    "JSON_INPUT",
    "LTI",
    "MAILBOX",
    "PDF",
    "PLATFORMS",
    "PREPARATION",
    "REPLIES",
    "REPORT",
    "RUN",
    "SANDBOX",
    "SENDER_CHECKS",
    "SHOWN",
    "SIMILARITY",
    "SIZE_PATHS",
    "SUBMISSION_PDF",
    "WEB",
    "WIRE",
    "WRITTEN",
    "CourseDefaults",
    "DatabaseTimes",
    "EngineTimes",
    "ForbiddenLimits",
    "GiB",
    "GradingLimits",
    "IntakeLimits",
    "JsonInputLimits",
    "KiB",
    "LinkFetching",
    "LtiLimits",
    "MailboxDefaults",
    "MiB",
    "PdfLimits",
    "PlatformLimits",
    "PreparationFigures",
    "ReplyLimits",
    "ReportRules",
    "RunLimits",
    "RunSettings",
    "SandboxLimits",
    "SenderChecks",
    "ShownFiles",
    "SimilarityLimits",
    "SubmissionPdfLimits",
    "WebLimits",
    "WireLimits",
    "WrittenLimits",
    "main",
    "regrade_timeout_s",
    "size_limit",
]

# Every group, by name: listed by main, shown in the docs' reference, and read by
# grader.engine.walls.sandbox_limits for the sandbox's copy.
GROUPS: dict[str, object] = {
    "RUN": RUN,
    "ENGINE": ENGINE,
    "PLATFORMS": PLATFORMS,
    "REPLIES": REPLIES,
    "WIRE": WIRE,
    "SANDBOX": SANDBOX,
    "FORBIDDEN": FORBIDDEN,
    "SHOWN": SHOWN,
    "PREPARATION": PREPARATION,
    "JSON_INPUT": JSON_INPUT,
    "GRADING": GRADING,
    "INTAKE": INTAKE,
    "FETCH": FETCH,
    "MAILBOX": MAILBOX,
    "SENDER_CHECKS": SENDER_CHECKS,
    "DATABASE": DATABASE,
    "PDF": PDF,
    "REPORT": REPORT,
    "SUBMISSION_PDF": SUBMISSION_PDF,
    "WEB": WEB,
    "SIMILARITY": SIMILARITY,
    "COURSE": COURSE,
    "LTI": LTI,
    "WRITTEN": WRITTEN,
}

# The size limits a hand-in meets on its way to the kernel, layer after layer ("GROUP.field"):
# each lets through at least what the one before it did, so that whatever a layer accepts no
# later layer refuses with a reason of its own (tests/test_limits.py walks every path).
SIZE_PATHS: dict[str, tuple[str, ...]] = {
    # a notebook fetched behind a link, read by the intake, each of its cells one runner order
    "a notebook's cell": ("FETCH.max_bytes", "INTAKE.max_notebook_bytes", "SANDBOX.order_bytes"),
    # a submission's files unpacked together, then written into the run's scratch folder
    "a submission's files": ("INTAKE.max_total_bytes", "RUN.disk_bytes"),
}


def size_limit(name: str) -> int:
    """The value of ``"GROUP.field"``, as :data:`SIZE_PATHS` names it."""
    group, field = name.split(".")
    value = getattr(GROUPS[group], field)
    assert isinstance(value, int)
    return value


def main(argv: list[str] | None = None) -> int:
    """Print every limit (``python -m grader.limits``)."""
    if "--write-sandbox-copy" in (sys.argv[1:] if argv is None else argv):
        print(
            "the sandbox's copy of the limits is written by the engine: "
            "run `python -m grader.engine.walls.sandbox_limits` (in a checkout)",
            file=sys.stderr,
        )
        return 2
    for name, group in GROUPS.items():
        for field, value in vars(group).items():
            print(f"{name}.{field} = {value!r}")
    return 0
