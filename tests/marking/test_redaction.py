"""Blind redaction inside tokens: names and ids joined by ``_``, ``-``, ``.``, digits, in
camelCase, written without their accents or in another case; and what must stay."""

from __future__ import annotations

import pytest

from grader.marking.blind import REDACTED, redactor
from grader.roster import Person

PEOPLE = [
    Person("s1234567", "Chitra Rao", ("chitra.rao@example.edu",), ""),
    Person("ME21B099", "Zoë Ångström", ("zoe.a@example.edu",), ""),
]
redact = redactor(PEOPLE)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("chitra_gradients.png", f"{REDACTED}_gradients.png"),
        ("Report_Chitra_Rao", f"Report_{REDACTED}_{REDACTED}"),
        ("s1234567_final.ipynb", f"{REDACTED}_final.ipynb"),
        ("final-S1234567-v2", f"final-{REDACTED}-v2"),
        ("plotChitraRao.png", f"plot{REDACTED}.png"),
        ("chitrarao2024", f"{REDACTED}2024"),
        ("rao.chitra.fig", f"{REDACTED}.{REDACTED}.fig"),
        ("signed: Zoe Angstrom", f"signed: {REDACTED}"),
        ("ZOË-ANGSTRÖM", f"{REDACTED}-{REDACTED}"),
        ("zoe_angstrom_me21b099", f"{REDACTED}_{REDACTED}_{REDACTED}"),
        ("mail chitra.rao@example.edu", f"mail {REDACTED}"),
    ],
)
def test_names_and_ids_inside_tokens_are_redacted(text: str, shown: str) -> None:
    assert redact(text) == shown


@pytest.mark.parametrize(
    "text", ["Raoul's gradients", "the zoetrope", "Ang, 2019", "s12345678 is not an id here"]
)
def test_other_words_are_left_alone(text: str) -> None:
    kept = redact(text)
    assert kept.split()[0] == text.split()[0]  # a longer word is not a name
