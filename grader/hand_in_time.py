"""When a hand-in came, as one value every reader takes as it is: a time (ISO 8601 with its
offset, as the mail or the LMS wrote it), or unknown, with the LMS's verdict where it gave one
(Canvas's download says LATE and no time). Placing (which version is newer), the deadlines
(late, within the grace period), ``grader final`` and the feedback page read this value; none
of them asks which of the two it is.

A student folder's manifest keeps it as a slot's ``"at"`` (``null`` when unknown) and
``"late_verdict"`` (only where there is one), as earlier versions wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class HandInTime:
    """``at``: the time as recorded ('' where the source gives none); ``late_verdict``: the
    source's own word that it came late, where it gives no time ('' if none)."""

    at: str = ""
    late_verdict: str = ""

    @classmethod
    def of_record(cls, entry: Mapping[str, Any]) -> HandInTime:
        """The time a manifest's slot (or any record with ``at`` and ``late_verdict``) keeps."""
        at, verdict = entry.get("at"), entry.get("late_verdict")
        return cls(str(at) if at else "", str(verdict) if verdict and not at else "")

    def record(self) -> dict[str, Any]:
        """As a manifest's slot keeps it: ``at`` (None when unknown), and the verdict if any."""
        verdict = {"late_verdict": self.late_verdict} if self.late_verdict else {}
        return {"at": self.at or None} | verdict

    def moment(self) -> datetime | None:
        """The time itself; None when unknown or not readable as a time."""
        try:
            return datetime.fromisoformat(self.at) if self.at else None
        except ValueError:
            return None

    def order(self) -> tuple[bool, datetime]:
        """For sorting hand-ins oldest first: an unknown time (an LMS's current hand-in) after
        every known one; a time without an offset taken as UTC."""
        moment = self.moment()
        if moment is None:
            return True, datetime.min.replace(tzinfo=UTC)
        return False, moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def gives_way_to(self, newer: HandInTime) -> bool:
        """Whether what was handed in at this time gives way to what came at ``newer``: by
        time where both are known, else always (an LMS's current hand-in is the newer one)."""
        held, at = self.moment(), newer.moment()
        return held is None or at is None or held <= at

    def standing(self, deadline: datetime | None, grace: timedelta) -> str:
        """Against ``deadline`` and its grace period: ``"late"``, ``"grace"`` (within the
        grace period) or ``""`` (on time, or nothing to measure). An unknown time is late where
        the LMS said so: how late is not known."""
        moment = self.moment()
        if moment is None:
            return "late" if self.late_verdict else ""
        if deadline is None or moment <= deadline:
            return ""
        return "grace" if moment <= deadline + grace else "late"


UNKNOWN = HandInTime()
