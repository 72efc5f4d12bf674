"""The six section headings of a report, and the other names an instructor accepts for each.

Shared by the source checks (a Markdown or notebook report) and the PDF check (any tool's PDF).
A heading is compared by its letters only, so numbering ("2.", "III", "Section 4:"), case, "&"
for "and" and a heading split over two extracted lines do not matter.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence

SECTIONS: tuple[str, ...] = (
    "Introduction",
    "Problem Statement",
    "Results and Discussion",
    "Data Visualization",
    "Conclusion and Future Direction",
    "References",
)
INTRODUCTION, PROBLEM, RESULTS, DATA_VISUALIZATION, CONCLUSION, REFERENCES = SECTIONS

# The names each section may go by, as they are listed in the README (plurals are also taken).
SYNONYMS: Mapping[str, tuple[str, ...]] = {
    INTRODUCTION: ("Introduction",),
    PROBLEM: ("Problem Statement",),
    RESULTS: ("Results and Discussion", "Results & Discussion"),
    DATA_VISUALIZATION: (
        "Data Visualization",
        "Data Visualisation",
        "Data Visualization & Explanation",
        "Data Visualization and Explanation",
        "Data Visualization & Explain",
    ),
    CONCLUSION: (
        "Conclusion and Future Direction",
        "Conclusion and Future Work",
        "Conclusion and Future Scope",
    ),
    REFERENCES: ("References", "Bibliography", "Works Cited"),
}

# Each heading reduced to its letters ("2. Results & Discussion" -> "resultsanddiscussion").
_SECTION_KEYS: Mapping[str, re.Pattern[str]] = {
    INTRODUCTION: re.compile(r"introduction"),
    PROBLEM: re.compile(r"problemstatement"),
    RESULTS: re.compile(r"results?anddiscussions?"),
    DATA_VISUALIZATION: re.compile(r"datavisuali[sz]ations?(?:and(?:explanations?|explain))?"),
    CONCLUSION: re.compile(
        r"conclusions?andfuture(?:directions?|works?|scopes?)",
    ),
    REFERENCES: re.compile(r"references?|bibliography|workscited"),
}
_NUMBERING = re.compile(r"^\s*(?:section\s+)?(?:\d+(?:\.\d+)*|[ivxlc]+|[a-h])(?:[.):]\s*|\s+)")


def heading_key(text: str) -> str:
    """The letters of a heading, lower case, without its numbering; '&' read as 'and'."""
    text = unicodedata.normalize("NFKC", text).lower().replace("&", " and ")
    return re.sub(r"[^a-z]", "", _NUMBERING.sub("", text, count=1))


def section_of(heading: str) -> str | None:
    """The section a heading names, by any of its accepted names; else None."""
    key = heading_key(heading)
    return next((name for name, pattern in _SECTION_KEYS.items() if pattern.fullmatch(key)), None)


def accepted_names(name: str) -> str:
    """'References' (or Bibliography, Works Cited): the names a section may go by, for messages."""
    others = [other for other in SYNONYMS[name][1:] if "&" not in other]
    return f"'{name}'" + (f" (or {', '.join(others)})" if others else "")


def order_text() -> str:
    return ", ".join(SECTIONS)


def out_of_order(found: Sequence[str]) -> list[str]:
    """The sections of ``found`` (each once, in document order) outside its longest ordered run."""
    rank = [SECTIONS.index(name) for name in found]
    best: list[list[int]] = []
    for i, r in enumerate(rank):
        longest = max((best[j] for j in range(i) if rank[j] < r), key=len, default=[])
        best.append([*longest, i])
    longest_run: list[int] = max(best, key=len, default=[])
    keep = set(longest_run)
    return [name for i, name in enumerate(found) if i not in keep]


def closest(name: str, headings: Sequence[str]) -> str | None:
    """The heading among ``headings`` that looks most like section ``name``, if one is close,
    or else starts with the same word ("Conclusions and Outlook" for the Conclusion), or else
    shares a word with one of its names ("Experimental Results" for Results and Discussion)."""
    keys = {heading_key(heading): heading for heading in headings}
    match = difflib.get_close_matches(heading_key(name), list(keys), n=1, cutoff=0.7)
    if match:
        return keys[match[0]]
    stem = heading_key(name.split()[0])[:6]
    started = next((heading for key, heading in keys.items() if key.startswith(stem)), None)
    if started:
        return started
    own = {word for synonym in SYNONYMS[name] for word in _words(synonym)}
    shared = [  # a heading-like line: short, no sentence (a PDF's lines are all passed)
        (len(own & _words(heading)), heading)
        for heading in headings
        if len(heading.split()) <= _HEADING_WORDS and not heading.rstrip().endswith(".")
    ]
    best = max(shared, key=lambda pair: pair[0], default=(0, None))
    return best[1] if best[0] else None


_HEADING_WORDS = 6  # a line of more words is body text, not a heading to suggest
# Words that say nothing of which section a heading is: "Data and Methods" is no Data
# Visualization, "Future Work" alone no Conclusion.
_PLAIN_WORDS = {"and", "the", "of", "a", "an", "data", "future", "work", "section"}


def _words(heading: str) -> set[str]:
    """A heading's telling words, lower case, a plural's final s dropped."""
    words = re.findall(r"[a-z]+", unicodedata.normalize("NFKC", heading).lower())
    return {word.removesuffix("s") for word in words if word not in _PLAIN_WORDS}
