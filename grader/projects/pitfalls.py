"""The classic mistakes of sequence-model projects, each read from the data flow's events
(never from a variable's name) and said in one sentence a marker can paste into a comment."""

from __future__ import annotations

import re
from typing import Any

from grader.projects.numbers import RESULTS, Stated, agrees
from grader.projects.values import (
    Baseline,
    Choice,
    Fit,
    Metric,
    Shown,
    Split,
    Training,
    Where,
)

_ERROR_WORDS = re.compile(
    r"\b(?:RMSE|MAE|MSE|root mean squared|mean squared|mean absolute)\b", re.I
)
_SCALED_WORDS = re.compile(r"scaled|normali[sz]ed|\[0,\s*1\]|min-?max|standardi[sz]ed", re.I)
_TRAINING_LOG = re.compile(r"(?<![\w])(val_)?([a-z_]+):\s*([-\d.eE+]+)")


def find_pitfalls(
    events: list[Any],
    model: dict[str, Any],
    numbers: list[dict[str, Any]],
    sections: dict[str, str] | None,
    complete: bool,
) -> list[dict[str, Any]]:
    """Every pitfall the events show. ``complete``: every code cell could be analysed (a
    missing baseline is only claimed then)."""
    found: dict[tuple[str, int, int], dict[str, Any]] = {}

    def flag(kind: str, where: Where, why: str) -> None:
        found.setdefault(
            (kind, where.cell, where.line),
            {"kind": kind, "cell": where.cell, "line": where.line, "why": why},
        )

    splits = [e for e in events if isinstance(e, Split)]
    for fit in (e for e in events if isinstance(e, Fit)):
        if fit.value.parts or not fit.value.origins:
            continue
        cut = next((s for s in splits if s.value.origins & fit.value.origins), None)
        if cut is not None:
            flag(
                "scaler-fit-before-split",
                fit.where,
                f"The {fit.thing.name} is fitted on the whole data, and the test part is cut "
                f"from that same data (cell {cut.where.cell}, line {cut.where.line}), so what it "
                "learned (minimum, maximum, mean or vocabulary) includes the test set: fit it "
                "on the training part only.",
            )
    for split in splits:
        if split.shuffle and split.value.windowed:
            how = {
                "train_test_split": "train_test_split shuffles by default",
                "permutation": "a random permutation of the indices draws each part",
            }.get(split.how, "the windows were shuffled before this cut")
            flag(
                "shuffled-time-split",
                split.where,
                f"The windows of one time series are split at random ({how}), so test windows "
                "overlap training windows and the model is tested on values it was trained on: "
                "split by time (earlier for training, later for testing).",
            )
    for training in (e for e in events if isinstance(e, Training)):
        validation = training.validation
        if validation is None or not _test_only(validation.parts):
            continue
        if training.callbacks or training.selects:
            used = ", ".join(training.callbacks) or "the search"
            flag(
                "test-as-validation",
                training.where,
                f"The test set is the validation data here and {used} acts on it, so the test "
                "set chose the model: its score is no longer a fair estimate; hold out a "
                "separate validation part.",
            )
    for choice in (e for e in events if isinstance(e, Choice) and _test_only(e.value.parts)):
        flag(
            "test-as-validation",
            choice.where,
            "The model kept (or the point training stops) is chosen by its loss on the test "
            "set, so the test set chose the model: hold out a separate validation part.",
        )
    _scaled_metrics(events, numbers, sections, flag)
    trained = model.get("recurrent") or any(isinstance(e, Training) for e in events)
    if trained and complete and not any(isinstance(e, Baseline) for e in events):
        first = next((e.where for e in events if isinstance(e, Training)), None)
        layer = (model.get("recurrent") or [{}])[0]
        where = first or Where(layer.get("cell", 0), layer.get("line", 0))
        flag(
            "no-baseline",
            where,
            "No simple baseline (persistence, seasonal naive, mean, majority class, a linear or "
            "bag-of-words model) is computed anywhere in the notebook, so there is nothing to "
            "judge the model's results against.",
        )
    _training_metric(events, numbers, flag)
    return sorted(found.values(), key=lambda p: (p["cell"], p["line"], p["kind"]))


def _scaled_metrics(
    events: list[Any], numbers: list[dict[str, Any]], sections: dict[str, str] | None, flag: Any
) -> None:
    """An error in scaled units where the report gives the error as if in the data's units."""
    if sections is None:
        return
    results = sections.get(RESULTS, "")
    claims = [
        s
        for s in re.split(r"(?<=[.!?])\s+|\n", results)
        if _ERROR_WORDS.search(s) and not _SCALED_WORDS.search(s)
    ]
    if not claims:
        return
    errors = [e for e in events if isinstance(e, Metric) and e.error]
    real = [m for m in errors if "real" in m.value.scale]
    reported_cells = {f["cell"] for n in numbers for f in n["found"] if f["source"] == "saved"}
    for metric in errors:
        if metric.value.scale != {"scaled"}:
            continue
        if real and metric.where.cell not in reported_cells:
            continue
        flag(
            "metric-on-scaled-values",
            metric.where,
            "This error is computed on scaled values (never turned back with "
            "inverse_transform), while the report gives the error as if in the data's own "
            "units: scale the predictions back before computing it.",
        )


def _training_metric(events: list[Any], numbers: list[dict[str, Any]], flag: Any) -> None:
    """A number of the report that a notebook printed for the training set only."""
    shown = [e for e in events if isinstance(e, Shown)]
    trainings = [e for e in events if isinstance(e, Training)]
    for number in numbers:
        saved = [f for f in number["found"] if f["source"] == "saved"]
        stated = Stated(
            number["text"], number["value"], _decimals(number["text"]), number["text"].endswith("%")
        )
        if not saved or any(_held_out(f, shown) for f in saved):
            continue
        for place in saved:
            printer = _printer(place, shown)
            if printer is not None and _train_only(printer.value.parts) and printer.value.metric:
                flag(
                    "training-metric-reported",
                    printer.where,
                    f"The report's {number['text']} is this line's result on the training "
                    "set, not on held-out data.",
                )
                break
            log = _log_key(place["text"], stated)
            fit = next((t for t in trainings if t.where.cell == place["cell"]), None)
            if log is not None and fit is not None:
                flag(
                    "training-metric-reported",
                    fit.where,
                    f"The report's {number['text']} is the training {log} of the last epoch "
                    "in this cell's training log, not a result on held-out data.",
                )
                break


def _test_only(parts: frozenset[str]) -> bool:
    """The test part and nothing else: a value that may also be training data is no proof."""
    return "test" in parts and not parts & {"train", "val"}


def _train_only(parts: frozenset[str]) -> bool:
    return "train" in parts and not parts & {"test", "val"}


def _decimals(text: str) -> int:
    return len(text.rstrip("%").partition(".")[2])


def _printer(place: dict[str, Any], shown: list[Shown]) -> Shown | None:
    """The print of ``place``'s cell whose words are on the line the number is on."""
    here = [s for s in shown if s.top_cell == place["cell"]]
    worded = [s for s in here if s.fragments and all(f in place["text"] for f in s.fragments)]
    if len(worded) == 1:
        return worded[0]
    metrics = [s for s in here if s.value.metric]
    return metrics[0] if len(metrics) == 1 and not worded else None


def _held_out(place: dict[str, Any], shown: list[Shown]) -> bool:
    printer = _printer(place, shown)
    return printer is not None and bool(printer.value.parts & {"test", "val"})


def _log_key(line: str, stated: Stated) -> str | None:
    """The metric of a Keras training log (``loss: 0.0123 - val_loss: ...``) the number is,
    when it is a training one (not ``val_``) and no validation figure on the line agrees."""
    keys = []
    for match in _TRAINING_LOG.finditer(line):
        try:
            value = float(match.group(3).rstrip("."))
        except ValueError:
            continue
        if agrees(stated, value):
            keys.append((match.group(1), match.group(2)))
    if keys and all(prefix is None for prefix, _ in keys):
        return keys[0][1]
    return None
