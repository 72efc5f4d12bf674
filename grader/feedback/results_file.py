"""``results.json`` as the grader reads it back (the dashboard, the mails, the watch's replies):
its layout beyond Gradescope's own keys is numbered (``extra_data.schema``), and one a newer
grader wrote is refused in one line, never read as this one's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader.gradebook import schema

# The layout of results.json beyond Gradescope's own keys (``extra_data``: its "schema"); 0:
# the grader's files before it said.
RESULTS_SCHEMA = 1


def read_results_json(path: Path) -> dict[str, Any]:
    """A ``results.json`` the grader wrote; UserError for one a newer grader wrote. OSError,
    ValueError: none there, or not a JSON object."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a results.json")
    schema.check_record(path, data.get("extra_data"), RESULTS_SCHEMA)
    return data
