"""The course roster: who the students and staff are, and how to recognise them.

:mod:`grader.roster.people` reads ``roster.csv`` (or an LMS's export) into a :class:`Roster`;
:mod:`grader.roster.table` finds the columns of a table as instructors get it, told by their
headers; :mod:`grader.roster.domains` writes an address's domain beyond ASCII as IDNA A-labels.
"""

from grader.roster.people import (
    COLUMNS,
    Person,
    Roster,
    id_from_address,
    is_roster_id,
    load_roster,
)

__all__ = ["COLUMNS", "Person", "Roster", "id_from_address", "is_roster_id", "load_roster"]
