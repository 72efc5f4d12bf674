"""Layouts from roomy to tight (body text never under REPORT.min_body_pt), and what typesetting one
layout gives."""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.limits import REPORT


@dataclass(frozen=True)
class Layout:
    body_size: float  # pt
    leading: float  # line height / font size
    spacing: float  # space around blocks, in units of the body size
    figure_height: float  # largest figure height, as a fraction of the text height
    margin: float  # cm

    def describe(self) -> str:
        return f"{self.body_size:g} pt text"


_ROOMY = Layout(body_size=10.5, leading=1.3, spacing=0.6, figure_height=0.34, margin=2.2)
_TIGHT = Layout(
    body_size=REPORT.min_body_pt, leading=1.15, spacing=0.22, figure_height=0.2, margin=1.5
)
_STEPS = 8


def _blend(t: float) -> Layout:
    def mix(a: float, b: float) -> float:
        return a + (b - a) * t

    return Layout(
        body_size=round(mix(_ROOMY.body_size, _TIGHT.body_size) * 4) / 4,
        leading=mix(_ROOMY.leading, _TIGHT.leading),
        spacing=mix(_ROOMY.spacing, _TIGHT.spacing),
        figure_height=mix(_ROOMY.figure_height, _TIGHT.figure_height),
        margin=mix(_ROOMY.margin, _TIGHT.margin),
    )


LAYOUTS: tuple[Layout, ...] = tuple(_blend(k / (_STEPS - 1)) for k in range(_STEPS))


@dataclass(frozen=True)
class Typeset:
    pdf: bytes = field(repr=False)
    pages: int
    layout: Layout
    overflow: float  # pt of content past the last allowed page (0 when it fits)
    words_per_pt: float  # body words per pt of text height, to turn overflow into words
