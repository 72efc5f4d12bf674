"""The outputs: ``pairs.csv`` and one self-contained HTML page (no scripts, no external files),
rendered from ``similarity/templates/similarity.html``.

Everything that comes from a student (names, file names, code, text, images) is text to the
template, which escapes it, or re-encoded: figures as PNG thumbnails re-drawn by Pillow and
embedded as data URIs.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path

from grader import templating
from grader.outputs import csvfile
from grader.similarity import images
from grader.similarity.calibration import MIN_VALUES, Z_FLAG
from grader.similarity.compare import ANSWER_WEIGHT, PUBLIC_SHARE, WHOLE_SHARE
from grader.similarity.evidence import Evidence, Findings, Match

_CONTEXT = 3  # lines of code shown around a highlighted passage


def rank(findings: Findings) -> list[tuple[str, str, list[Evidence]]]:
    """Flagged pairs, the ones with more kinds of evidence and higher scores first."""
    ranked = [(a, b, ev) for (a, b), ev in findings.pairs.items() if any(e.flagged for e in ev)]
    ranked.sort(key=lambda item: (-len(item[2]), -max(e.score for e in item[2]), item[0], item[1]))
    return ranked


def write_csv(path: Path, ranked: Sequence[tuple[str, str, list[Evidence]]]) -> None:
    rows = [
        [a, b, e.kind, f"{e.score:.3f}", e.detail]
        for a, b, evidence in ranked
        for e in sorted(evidence, key=lambda e: -e.score)
    ]
    csvfile.write_csv(path, ["student_a", "student_b", "shared", "score", "detail"], rows)


def _code_lines(text: str, spans: Sequence[tuple[int, int]]) -> list[dict[str, object]]:
    """The lines of code around the shared ones, each with its number and whether it is
    shared; a gap where lines are left out."""
    lines = text.splitlines() or [""]
    marked = {n for start, end in spans for n in range(start, end + 1)}
    shown = {n for m in marked for n in range(m - _CONTEXT, m + _CONTEXT + 1)}
    out: list[dict[str, object]] = []
    previous = 0
    for number, line in enumerate(lines, 1):
        if number not in shown:
            continue
        if previous and number != previous + 1:
            out.append({"gap": True})
        out.append({"number": f"{number:>3}", "text": line or " ", "marked": number in marked})
        previous = number
    return out


def _prose_pieces(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The text in pieces, each shared or not."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, cursor = [], 0
    for start, end in merged:
        out += [(text[cursor:start], False), (text[start:end], True)]
        cursor = end
    return [*out, (text[cursor:], False)]


def _match_sides(kind: str, match: Match) -> dict[str, object]:
    return {
        "sides": [
            {
                "where": part.where,
                "lines": _code_lines(part.text, spans) if kind == "code" else None,
                "pieces": None if kind == "code" else _prose_pieces(part.text, spans),
            }
            for part, spans in ((match.left, match.left_spans), (match.right, match.right_spans))
        ]
    }


def _figures(evidence: Evidence) -> dict[str, object]:
    def side(figure, bits: int) -> dict[str, object]:
        png = base64.b64encode(images.thumbnail(figure.data)).decode()
        return {"where": figure.where, "bits": bits, "png": png}

    return {
        "sides": None,
        "figures": [
            (side(left, bits), side(right, bits)) for left, right, bits in evidence.figures
        ],
    }


def _pair(a: str, b: str, evidence: list[Evidence]) -> dict[str, object]:
    shown: list[dict[str, object]] = []
    for e in evidence:
        shown.extend(_match_sides(e.kind, m) for m in e.matches)
        if e.figures:
            shown.append(_figures(e))
    return {
        "a": a,
        "b": b,
        "kinds": ", ".join(sorted({e.kind for e in evidence})),
        "score": f"{max(e.score for e in evidence):.2f}",
        "evidence": evidence,
        "shown": shown,
    }


def write_page(
    path: Path, findings: Findings, ranked, groups: Sequence[Sequence[str]], students: int
) -> None:
    public = sum(1 for _, b, _ in ranked if b.startswith("public:"))
    anchors: dict[str, int] = {}  # a hand-in -> the number of its first pair
    for number, (a, b, _) in enumerate(ranked, 1):
        anchors.setdefault(a, number)
        anchors.setdefault(b, number)
    near = [
        (a, b, e.kind, f"{e.closeness:.0%}", e.detail)
        for a, b, e in sorted(findings.near_misses, key=lambda x: -x[2].closeness)
    ]
    page = templating.render(
        "similarity.html",
        students=students,
        flagged=len(ranked) - public,
        public=public,
        groups=[[(s, anchors[s]) for s in g] for g in groups],
        pairs=[_pair(a, b, ev) for a, b, ev in ranked],
        variants=findings.variants,
        calibrations=findings.calibrations,
        near=near,
        notes=findings.notes,
        answer_weight=f"{ANSWER_WEIGHT:g}",
        whole_share=f"{WHOLE_SHARE:.0%}",
        z_flag=f"{Z_FLAG:g}",
        min_values=MIN_VALUES,
        public_share=f"{PUBLIC_SHARE:.0%}",
    )
    path.write_text(page, encoding="utf-8")
