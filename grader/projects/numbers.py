"""The report's numbers against the notebook's outputs: each measurement the report states in
Results and Discussion and in its tables, looked for in the outputs Colab saved and in the
sandbox's run, rounded as people round (19.43 is "19.4"; 0.1943 may be "19.4%"). Where the
rerun prints the same line with a value beyond the course's tolerance, both are given."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from grader.projects.cells import Notebook

RESULTS = "Results and Discussion"
_NUMBER = re.compile(r"(?<![\w.])[-−]?\d+(?:,\d{3})*(?:\.\d+)?(?:[eE][-+]?\d+)?(?:\s?%)?")
_STATED = re.compile(r"(?<![\w.\[])(\d+(?:\.\d+)?\s?%|\d+(?:,\d{3})*\.\d+)(?![\w\]])")
# A whole number is a result only where a metric names it in the same clause ("an RMSE of 60",
# "accuracy: 77", "MAE was 25,000"), never a count ("32 units", "200 epochs") or a year.
_WHOLE = re.compile(r"(?<![\w.,\[-])(\d{1,3}(?:,\d{3})+|\d+)(?![\w\]%]|[.,]\d|\s?%)")
_METRIC_BEFORE = re.compile(
    r"\b(?:RMSE|MAE|MSE|MAPE|SMAPE|R2|R²|accuracy|loss|error|F1|score|precision|recall)\b"
    r"[^.;\d\n(]{0,25}$",
    re.I,
)
_COUNTED = re.compile(
    r"\s*(?:-\s*)?(?:epochs?|units?|layers?|steps?|days?|weeks?|months?|years?|samples?|"
    r"windows?|neurons?|hidden|batch(?:es)?|features?|rows?|columns?|parameters?|params|"
    r"times|runs?|folds?|cells?)\b",
    re.I,
)
_HEDGED = re.compile(r"(?:about|around|roughly|approximately|nearly|almost|~|≈)\s*$", re.I)
_TABLE_ROW = re.compile(r"\|.*\d|\d\s{2,}\S|\S\s{2,}\d")
_FOUND_EACH = 3  # places listed per source: enough to find it, not every epoch's line


@dataclass(frozen=True)
class Stated:
    text: str
    value: float
    decimals: int
    percent: bool


def stated_numbers(sections: dict[str, str]) -> list[Stated]:
    """The measurements stated in Results and Discussion and in table rows anywhere: numbers
    with a fraction or a percent sign (counts such as "32 units" or years are not results);
    a number hedged with "about" is the writer's own rounding and is left out."""
    lines = sections.get(RESULTS, "").splitlines()
    lines += [
        line
        for name, text in sections.items()
        if name not in (RESULTS, "References")
        for line in text.splitlines()
        if _TABLE_ROW.search(line)
    ]
    found: dict[str, Stated] = {}
    for line in lines:
        for match in _STATED.finditer(line):
            if _HEDGED.search(line[: match.start()]):
                continue
            text = match.group(1).replace(" ", "")
            number = text.rstrip("%").replace(",", "")
            decimals = len(number.partition(".")[2])
            found.setdefault(text, Stated(text, float(number), decimals, text.endswith("%")))
    for line in sections.get(RESULTS, "").splitlines():
        for match in _WHOLE.finditer(line):
            text = match.group(1)
            value = float(text.replace(",", ""))
            before, after = line[: match.start()], line[match.end() :]
            if not _METRIC_BEFORE.search(before) or _COUNTED.match(after) or _HEDGED.search(before):
                continue
            if 1900 <= value <= 2100 and "," not in text:
                continue  # a year
            found.setdefault(text, Stated(text, value, 0, False))
    return list(found.values())


def agrees(stated: Stated, printed: float) -> bool:
    """``printed`` shown as ``stated``: rounded to its decimals, or as a percentage."""
    tolerance = 0.5 * 10**-stated.decimals + 1e-9
    candidates = [printed, printed * 100] if stated.percent else [printed]
    return any(abs(c - stated.value) <= tolerance for c in candidates)


def _printed(text: str) -> list[tuple[float, str]]:
    """The numbers of an output, each with its line."""
    found = []
    for line in text.splitlines():
        for match in _NUMBER.finditer(line):
            raw = match.group(0).replace("−", "-").replace(",", "").rstrip("% ")
            try:
                found.append((float(raw), line.strip()))
            except ValueError:
                continue
    return found


def check_numbers(
    sections: dict[str, str],
    notebook: Notebook,
    rerun: str | None,
    tolerance: float,
    seeded: bool,
) -> list[dict[str, Any]]:
    saved = [(cell.position, _printed("\n".join(cell.outputs))) for cell in notebook.code()]
    rerun_lines = _printed(rerun or "")
    saved_lines = [(p, _NUMBER.sub("#", line)) for p, printed in saved for _, line in printed]
    prints = _print_texts(notebook) if rerun else []
    checked = []
    for stated in stated_numbers(sections):
        found: list[dict[str, Any]] = []
        for position, printed in saved:
            lines = _unique(line for value, line in printed if agrees(stated, value))
            found += [{"cell": position, "source": "saved", "text": line} for line in lines]
        found = found[: _FOUND_EACH * 2]
        again = _unique(line for value, line in rerun_lines if agrees(stated, value))
        found += [
            {"cell": _placed(line, saved_lines, prints), "source": "rerun", "text": line}
            for line in again[:_FOUND_EACH]
        ]
        entry: dict[str, Any] = {"text": stated.text, "value": stated.value, "found": found}
        if rerun is not None:
            differs = _rerun_differs(stated, found, rerun_lines, tolerance)
            if differs is not None:
                entry["rerun_differs"] = {**differs, "seeded": seeded}
        checked.append(entry)
    return checked


def _rerun_differs(
    stated: Stated,
    found: list[dict[str, Any]],
    rerun_lines: list[tuple[float, str]],
    tolerance: float,
) -> dict[str, Any] | None:
    """The rerun's value on the line the saved output shows it on, when it differs by more
    than ``tolerance`` (relative): the same words, other numbers."""
    for place in (f for f in found if f["source"] == "saved"):
        line = place["text"]
        shape = _NUMBER.sub("#", line)
        index = next((i for i, (v, _) in enumerate(_printed(line)) if agrees(stated, v)), None)
        if index is None:
            continue
        for rerun_line in _unique(text for _, text in rerun_lines):
            if _NUMBER.sub("#", rerun_line) != shape:
                continue
            saved_value = _printed(line)[index][0]
            rerun_value = _printed(rerun_line)[index][0]
            if abs(rerun_value - saved_value) > tolerance * max(abs(saved_value), 1e-12):
                return {"cell": place["cell"], "saved": line, "rerun": rerun_line}
            return None
    return None


def _placed(line: str, saved: list[tuple[int, str]], prints: list[tuple[int, str]]) -> int | None:
    """The cell a line of the rerun's output comes from: the cell whose saved output has a line
    of the same words, else the one cell whose print's own text is on the line."""
    shape = _NUMBER.sub("#", line)
    cells = {position for position, saved_shape in saved if saved_shape == shape}
    if len(cells) == 1:
        return cells.pop()
    words = [(len(text), position) for position, text in prints if text in line]
    longest = max((size for size, _ in words), default=0)
    cells = {position for size, position in words if size == longest}
    return cells.pop() if len(cells) == 1 else None


def _print_texts(notebook: Notebook) -> list[tuple[int, str]]:
    """Each code cell's text that its prints show (a string's or an f-string's own words)."""
    found = []
    for cell in notebook.code():
        assert cell.tree is not None
        for node in ast.walk(cell.tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("print", "display")):  # fmt: skip
                continue
            for part in ast.walk(node):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    text = part.value.strip()
                    if len(text) >= 3 and not text.isspace():
                        found.append((cell.position, text))
    return found


def _unique(lines: Any) -> list[str]:
    return list(dict.fromkeys(lines))
