"""The outputs: ``pairs.csv`` and one self-contained HTML page (no scripts, no external files).

Everything that comes from a student (names, file names, code, text, images) is escaped or
re-encoded: code and text through ``html.escape``, figures as PNG thumbnails re-drawn by Pillow
and embedded as data URIs.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path

from grader.outputs import csvfile
from grader.similarity import images
from grader.similarity.calibration import MIN_VALUES, Z_FLAG
from grader.similarity.compare import ANSWER_WEIGHT, PUBLIC_SHARE, WHOLE_SHARE
from grader.similarity.evidence import Evidence, Findings, Match

_CONTEXT = 3  # lines of code shown around a highlighted passage
_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1280px;padding:1em 2em;
color:#1b1b1b} h1{font-size:1.6em;margin-bottom:.2em}
h2{margin-top:1.6em;border-bottom:2px solid #ddd}
table{border-collapse:collapse;margin:.5em 0} td,th{border:1px solid #ccc;padding:.25em .6em;
text-align:left;vertical-align:top} th{background:#f3f3f3}
.pair{border:1px solid #bbb;border-radius:6px;padding:.4em 1em 1em;margin:1.2em 0}
.pair h3{margin:.4em 0}
.chip{display:inline-block;border-radius:3px;padding:0 .5em;margin-right:.4em;font-size:.85em;
color:#fff;background:#666} .chip.code{background:#8a2be2} .chip.text{background:#c0392b}
.chip.file{background:#1f6f8b} .chip.figure{background:#2e7d32}
.side{display:grid;grid-template-columns:1fr 1fr;gap:.8em;margin:.6em 0}
.side>div{min-width:0;border:1px solid #ddd;border-radius:4px;overflow:auto;max-height:28em}
.where{background:#f3f3f3;font-size:.85em;padding:.2em .5em;border-bottom:1px solid #ddd;
overflow-wrap:anywhere}
pre{margin:0;padding:.3em .5em;font:12.5px/1.4 ui-monospace,monospace;white-space:pre-wrap;
overflow-wrap:anywhere}
.prose{padding:.3em .6em;margin:0} mark{background:#ffe066} .ln{color:#666;user-select:none}
.gap{color:#666} .note{color:#555} img{max-width:100%;border:1px solid #ddd}
.scroll{overflow-x:auto;max-width:100%} :focus-visible{outline:3px solid #1f6f8b;outline-offset:2px}
@media (max-width:40em){body{padding:.5em .8em}.side{grid-template-columns:minmax(0,1fr)}}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _boxed(label: str, rows: str) -> str:
    """A table in a box of its own that scrolls sideways on a narrow screen; the keyboard
    reaches it, and a screen reader names it by ``label``."""
    return (
        f'<div class="scroll" tabindex="0" role="region" aria-label="{label}">'
        f"<table>{rows}</table></div>"
    )


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


def _code_html(text: str, spans: Sequence[tuple[int, int]]) -> str:
    lines = text.splitlines() or [""]
    marked = {n for start, end in spans for n in range(start, end + 1)}
    shown = {n for m in marked for n in range(m - _CONTEXT, m + _CONTEXT + 1)}
    out, previous = [], 0
    for number, line in enumerate(lines, 1):
        if number not in shown:
            continue
        if previous and number != previous + 1:
            out.append('<span class="gap">   …</span>')
        body = _e(line) or " "
        if number in marked:
            body = f"<mark>{body}</mark>"
        out.append(f'<span class="ln">{number:>3} </span>{body}')
        previous = number
    return "<pre>" + "\n".join(out) + "</pre>"


def _prose_html(text: str, spans: Sequence[tuple[int, int]]) -> str:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, cursor = [], 0
    for start, end in merged:
        out.append(_e(text[cursor:start]) + "<mark>" + _e(text[start:end]) + "</mark>")
        cursor = end
    return '<p class="prose">' + "".join(out) + _e(text[cursor:]) + "</p>"


def _match_html(kind: str, match: Match) -> str:
    render = _code_html if kind == "code" else _prose_html
    sides = [
        f'<div tabindex="0" role="region" aria-label="{_e(part.where)}">'
        f'<div class="where">{_e(part.where)}</div>{render(part.text, spans)}</div>'
        for part, spans in ((match.left, match.left_spans), (match.right, match.right_spans))
    ]
    return '<div class="side">' + "".join(sides) + "</div>"


def _figure_html(evidence: Evidence) -> str:
    out = []
    for left, right, bits in evidence.figures:
        cells = [
            f'<div tabindex="0" role="region" aria-label="figure of {_e(f.where)}">'
            f'<div class="where">{_e(f.where)} ({bits} bits apart)</div>'
            f'<img alt="the figure in {_e(f.where)}, {bits} bits apart from the other" '
            f'src="data:image/png;base64,'
            f'{base64.b64encode(images.thumbnail(f.data)).decode()}"></div>'
            for f in (left, right)
        ]
        out.append('<div class="side">' + "".join(cells) + "</div>")
    return "".join(out)


def _pair_html(number: int, a: str, b: str, evidence: list[Evidence]) -> str:
    chips = "".join(
        f'<span class="chip {_e(e.kind)}">{_e(e.kind)} {e.score:.2f}</span>' for e in evidence
    )
    body = [
        f'<div class="pair" id="pair-{number}"><h3>{number}. {_e(a)} ↔ {_e(b)}</h3>{chips}<ul>',
        *(f"<li>{_e(e.detail)}</li>" for e in evidence),
        "</ul>",
    ]
    for e in evidence:
        body.extend(_match_html(e.kind, m) for m in e.matches)
        if e.figures:
            body.append(_figure_html(e))
    body.append("</div>")
    return "\n".join(body)


def _how_html(findings: Findings) -> str:
    rows = "".join(
        f"<tr><td>{_e(c.kind)}</td><td>{c.pairs} {_e(c.basis)}</td><td>{c.median:.3f}</td>"
        f"<td>{c.spread:.3f}</td><td>{c.p99:.3f}</td><td>{c.floor:g}</td>"
        f"<td><b>{c.threshold:.3f}</b></td></tr>"
        for c in findings.calibrations
    )
    head = (
        "<tr><th>measure</th><th>measured on</th><th>median</th><th>robust spread</th>"
        "<th>99th percentile</th><th>floor</th><th>flagged from</th></tr>"
    )
    return f"""<h2>How pairs are flagged</h2>
<p>Code is compared after normalisation (names replaced by one placeholder, literals by their
kind, comments, docstrings and layout dropped, each cell alone so order does not matter) and
winnowing, as MOSS does; text (notebook markdown and report PDFs) by shingles of three content
words. Known material never counts: the released notebook and every public source given with
<code>--against</code>. A passage that more than 5% of the class (at least 8 students) wrote
alike is common and left out; one held by d&nbsp;&gt;&nbsp;3 students counts 2/(d−1); one found
only in the cells that fill in a released stub (or in helpers they call) counts
{ANSWER_WEIGHT:g}, since independent correct answers to short, constrained questions resemble
each other.</p>
<p>Three measures, each calibrated on this class. <b>Share</b>: the part of the smaller
hand-in's own code (or text) that the pair shares; measured on random pairs of students, which
are almost all independent. <b>Amount</b>: how much rare material they share; measured on each
student's closest classmate, i.e. how much independent students who write alike share.
<b>Share of the larger</b>: the part of the larger hand-in's own work that the pair shares, also
measured on closest classmates. A pair is flagged when its share and amount are both above
their thresholds, or when its share of the larger is above its threshold (at least
{WHOLE_SHARE:.0%}: the two are mostly each other both ways, a whole copy) and they share at
least a dozen rare fingerprints beyond the filled-in stubs, whatever their weight: in a large
class the closest of thousands of classmates shares a lot and each shared piece weighs little,
so a whole copy built of common pieces can stay under the amount's threshold. Each threshold is
max(floor, median + {Z_FLAG:g} × robust spread), the robust spread being 1.4826 × the median
absolute deviation (the standard deviation, were the values normal; outliers such as copies
barely move it); a share threshold is never above 1. With fewer than {MIN_VALUES} students
the floor alone decides. Identical files held by a few students and near-identical figures
(perceptual hash) are flagged as they are. A hand-in is reported against a public source when
{PUBLIC_SHARE:.0%} or more of its own code or text is in it.</p>
{_boxed("thresholds", head + rows)}"""


def write_page(
    path: Path, findings: Findings, ranked, groups: Sequence[Sequence[str]], students: int
) -> None:
    public = sum(1 for _, b, _ in ranked if b.startswith("public:"))
    anchors: dict[str, int] = {}  # a hand-in -> the number of its first pair
    for number, (a, b, _) in enumerate(ranked, 1):
        anchors.setdefault(a, number)
        anchors.setdefault(b, number)
    group_rows = "".join(
        f"<tr><td>{n}</td><td>{len(g)}</td><td>"
        + ", ".join(f'<a href="#pair-{anchors[s]}">{_e(s)}</a>' for s in g)
        + "</td></tr>"
        for n, g in enumerate(groups, 1)
    )
    summary_rows = "".join(
        f'<tr><td><a href="#pair-{n}">{n}</a></td><td>{_e(a)}</td><td>{_e(b)}</td>'
        f"<td>{_e(', '.join(sorted({e.kind for e in ev})))}</td>"
        f"<td>{max(e.score for e in ev):.2f}</td></tr>"
        for n, (a, b, ev) in enumerate(ranked, 1)
    )
    near_rows = "".join(
        f"<tr><td>{_e(a)}</td><td>{_e(b)}</td><td>{_e(e.kind)}</td><td>{e.closeness:.0%}</td>"
        f"<td>{_e(e.detail)}</td></tr>"
        for a, b, e in sorted(findings.near_misses, key=lambda x: -x[2].closeness)
    )
    notes = "".join(f"<li>{_e(n)}</li>" for n in findings.notes)
    variant_rows = "".join(
        f"<tr><td>{_e(student)}</td><td>{_e(verdict)}</td></tr>"
        for student, verdict in findings.variants
    )
    pairs = "\n".join(_pair_html(n, a, b, ev) for n, (a, b, ev) in enumerate(ranked, 1))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Similarity across submissions</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{_CSS}</style></head><body><main>
<h1>Similarity across submissions</h1>
<p>{students} students compared; <b>{len(ranked) - public}</b> pairs of students flagged in
<b>{len(groups)}</b> group(s); <b>{public}</b> hand-in(s) reported against public sources.
A flag is a reason to look, not a verdict: read the passages below.</p>
<h2>Groups</h2>
{
        _boxed("groups", f"<tr><th>#</th><th>size</th><th>students</th></tr>{group_rows}")
        if groups
        else "<p>No group.</p>"
    }
<h2>Ranked pairs</h2>
{
        _boxed(
            "ranked pairs",
            f"<tr><th>#</th><th>A</th><th>B</th><th>shared</th><th>score</th></tr>{summary_rows}",
        )
        if ranked
        else "<p>No pair is flagged.</p>"
    }
{
        (
            "<h2>Per-student variants</h2><p>Hand-ins whose notebook is not the student's own"
            " per-student release (another student's is also a flagged pair above):</p>"
            + _boxed(
                "per-student variants",
                f"<tr><th>handed in by</th><th>notebook</th></tr>{variant_rows}",
            )
        )
        if variant_rows
        else ""
    }
{_how_html(findings)}
<h2>Closest pairs not flagged</h2>
{
        _boxed(
            "closest pairs not flagged",
            "<tr><th>A</th><th>B</th><th>kind</th><th>of the way to a flag</th>"
            f"<th>why</th></tr>{near_rows}",
        )
        if near_rows
        else "<p>None.</p>"
    }
{f'<h2>Notes</h2><ul class="note">{notes}</ul>' if notes else ""}
<h2>Pairs, side by side</h2>
{pairs}
</main></body></html>
"""
    path.write_text(page, encoding="utf-8")
