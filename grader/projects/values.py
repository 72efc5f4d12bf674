"""What the data-flow analysis knows of a value, and the events it records as the notebook's
cells are walked: a scaler fitted, a split made, a model trained, a metric computed, a line
printed. A value carries where its data came from and which part of a split it is, never its
variable's name: the pitfalls are read from these, not from names."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Where:
    """A place in the notebook: ``cell`` 1-based among all cells, ``line`` 1-based in it."""

    cell: int
    line: int


@dataclass(frozen=True)
class Thing:
    """An object the analysis follows: a scaler, an encoder, a callback, a user function..."""

    kind: str  # "scaler", "encoder", "callback", "estimator", "function", "class"
    name: str  # the library's class name, or the function's
    where: Where
    node: Any = field(default=None, compare=False, hash=False)  # a function's ast node


@dataclass(frozen=True)
class Value:
    """A may-analysis value: each field says what the value may be or carry."""

    origins: frozenset[str] = frozenset()  # the data read or made it derives from
    parts: frozenset[str] = frozenset()  # "train", "val", "test": the split's parts it is
    scale: frozenset[str] = frozenset()  # "scaled" (by a scaler), "real" (scaled back)
    windowed: bool = False  # overlapping windows cut from one series
    shuffled: bool = False  # reordered at random
    metric: bool = False  # the result of an error or accuracy computation
    const: Any = None  # a Python constant, when it is one
    things: frozenset[Thing] = frozenset()
    items: tuple[Value, ...] | None = None  # a tuple's or list's elements, when known

    def join(self, other: Value) -> Value:
        """What a value may be when it may be either one (its data only: no constant)."""
        return Value(
            self.origins | other.origins,
            self.parts | other.parts,
            self.scale | other.scale,
            self.windowed or other.windowed,
            self.shuffled or other.shuffled,
            self.metric or other.metric,
            None,
            self.things | other.things,
        )

    def data(self) -> Value:
        """The value's data facts, without the objects, elements or constant it holds."""
        return replace(self, const=None, things=frozenset(), items=None)

    def things_of(self, kind: str) -> list[Thing]:
        return sorted((t for t in self.things if t.kind == kind), key=lambda t: t.name)


NOTHING = Value()


def join_all(values: list[Value]) -> Value:
    joined = NOTHING
    for value in values:
        joined = joined.join(value)
    return joined


@dataclass(frozen=True)
class Fit:
    """A scaler or encoder fitted on ``value``."""

    where: Where
    thing: Thing
    value: Value


@dataclass(frozen=True)
class Split:
    """A split of ``value`` into parts, by ``train_test_split`` or by slices."""

    where: Where
    value: Value
    how: str  # "train_test_split", "slices", "mask" (``x[d < cut]``) or "permutation"
    shuffle: bool | None  # True where the split shuffles; None when unknown


@dataclass(frozen=True)
class Training:
    """A model trained (``fit``) or a search run, with what it was given."""

    where: Where
    train: Value
    validation: Value | None
    callbacks: tuple[str, ...]
    epochs: Any
    selects: bool  # a search that chooses a model on its validation data


@dataclass(frozen=True)
class Choice:
    """A model kept or training stopped on a comparison of ``value`` (a loop's best-so-far)."""

    where: Where
    value: Value


@dataclass(frozen=True)
class Metric:
    where: Where
    kind: str  # the function, or "computed" for a mean of differences
    error: bool  # an error in the data's units (MSE, RMSE, MAE), not a ratio
    value: Value


@dataclass(frozen=True)
class Shown:
    """A print (or a cell's last expression): what it shows and the text around it."""

    where: Where
    top_cell: int  # the cell whose output it lands in (a helper prints into its caller's)
    value: Value
    fragments: tuple[str, ...]


@dataclass(frozen=True)
class Baseline:
    where: Where
    how: str


@dataclass(frozen=True)
class Read:
    where: Where
    path: str | None


@dataclass(frozen=True)
class Seed:
    where: Where


Event = Fit | Split | Training | Choice | Metric | Shown | Baseline | Read | Seed
