"""What a call does to the data, by the library's semantics: a scaler made, fitted and
applied; data read; ``train_test_split``; windows made; data shuffled; a model trained; a
metric computed; something printed. A call the analysis does not know passes on the data of
its arguments and of the object it is called on, so a test set stays one through
``np.array``, ``.reshape``, ``torch.tensor``, ``DataLoader`` and the model's own call."""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from grader.projects import library as lib
from grader.projects.values import (
    NOTHING,
    Baseline,
    Choice,
    Fit,
    Metric,
    Read,
    Seed,
    Shown,
    Split,
    Thing,
    Training,
    Value,
    Where,
    join_all,
)

if TYPE_CHECKING:
    from grader.projects.walker import Walker

_BASELINE_NAME = re.compile(r"baseline|naive|persistence|dummy|majority", re.IGNORECASE)
_KEEPING = frozenset({"save", "state_dict", "deepcopy", "load_state_dict", "save_weights"})
_PRINTS = frozenset({"print", "display"})


def call(flow: Walker, node: ast.Call) -> Value:
    func = node.func
    name = flow.name_of(func)
    receiver = flow.expr(func.value) if isinstance(func, ast.Attribute) else None
    callee = flow.expr(func) if isinstance(func, ast.Name) else NOTHING
    args = [flow.expr(a) for a in node.args]
    keywords = {k.arg: flow.expr(k.value) for k in node.keywords if k.arg}
    for unnamed in (k for k in node.keywords if k.arg is None):
        flow.expr(unnamed.value)
    where = flow.where(node)
    data = join_all([a.data() for a in [*args, *keywords.values()]])
    if name == "len" and isinstance(func, ast.Name):
        return NOTHING  # a count, not the data: ``np.arange(len(X))`` holds no window
    own = [t for t in callee.things if t.kind in ("function", "class")]
    if own:
        return flow.call_own(own[0], args, keywords)
    made = _made(name, where)
    if made is not None:
        if made.kind == "estimator":
            flow.record(Baseline(where, f"a {name} model"))
        return Value(things=frozenset({made}))
    if name in lib.BASELINE_CALLS or _majority(flow, func, name):
        flow.record(Baseline(where, f"{name}()"))
    if name in lib.SEEDERS or name in ("default_rng", "RandomState") and (args or keywords):
        flow.record(Seed(where))
    if receiver is not None:
        method = _method(flow, node, name, receiver, args, keywords, data)
        if method is not None:
            return method
    if name in lib.READERS and not (receiver is not None and receiver.things):
        return _read(flow, node, name, args)
    if name == "load_data" and isinstance(func, ast.Attribute):
        origin = frozenset({f"{where.cell}:{where.line}"})
        train, test = (Value(origins=origin, parts=frozenset({p})) for p in ("train", "test"))
        return Value(origins=origin, items=(Value(items=(train, train)), Value(items=(test, test))))
    if name == "train_test_split":
        return _train_test_split(flow, node, args, keywords)
    if name in lib.WINDOW_MAKERS:
        return replace(data, windowed=True)
    if name in lib.SHUFFLERS:
        shuffled = _shuffle(flow, node, name, args, receiver, keywords)
        if shuffled is not None:
            return shuffled
    if name in lib.ERROR_METRICS or name in lib.RATIO_METRICS or _computed_metric(flow, node):
        return _metric(flow, node, name, data.join(receiver.data() if receiver else NOTHING))
    if name in _PRINTS and isinstance(func, ast.Name):
        flow.record(Shown(where, flow.top_cell, data, _fragments(node)))
        return NOTHING
    return data.join(receiver.data()) if receiver is not None else data


def _majority(flow: Walker, func: ast.expr, name: str) -> bool:
    takes, counts = lib.MAJORITY
    return (
        name in takes
        and isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Call)
        and flow.name_of(func.value.func) in counts
    )


def _made(name: str, where: Where) -> Thing | None:
    for kind, names in (
        ("scaler", lib.SCALERS),
        ("encoder", lib.ENCODERS),
        ("callback", lib.STOPPING),
        ("estimator", lib.BASELINE_MODELS),
    ):
        if name in names:
            return Thing(kind, name, where)
    return None


def _method(
    flow: Walker,
    node: ast.Call,
    name: str,
    receiver: Value,
    args: list[Value],
    keywords: dict[str, Value],
    data: Value,
) -> Value | None:
    """A method call on a followed object or a list; None where it is an ordinary call."""
    where = flow.where(node)
    first = args[0].data() if args else keywords.get("X", keywords.get("x", NOTHING)).data()
    fitted = receiver.things_of("scaler") + receiver.things_of("encoder")
    if fitted:
        if name in lib.FITTING:
            flow.record(Fit(where, fitted[0], first))
            if name == "fit_transform":
                return replace(first, scale=frozenset({"scaled"}))
            return receiver
        if name in lib.TRANSFORMING:
            return replace(first, scale=frozenset({"scaled"}))
        if name == "inverse_transform":
            return replace(first, scale=frozenset({"real"}))
        return None
    if receiver.things_of("estimator"):
        return receiver if name == "fit" else None
    if name in ("fit", "fit_generator", "search") and (args or keywords):
        callbacks = keywords.get("callbacks", NOTHING).things_of("callback")
        validation = keywords.get("validation_data")
        flow.record(
            Training(
                where,
                first,
                validation.data() if validation is not None else None,
                tuple(t.name for t in callbacks),
                keywords["epochs"].const if "epochs" in keywords else None,
                name == "search",
            )
        )
        return data
    if name == "evaluate" and (args or keywords):  # Keras: the loss and metrics on its data
        return replace(data, metric=True)
    if name in ("append", "extend", "insert") and isinstance(node.func, ast.Attribute):
        target = node.func.value
        if isinstance(target, ast.Name):
            flow.env[target.id] = replace(receiver.join(data), items=None)
        return NOTHING
    return None


def _read(flow: Walker, node: ast.Call, name: str, args: list[Value]) -> Value:
    where = flow.where(node)
    path = args[0].const if args and isinstance(args[0].const, str) else None
    flow.record(Read(where, path if name in lib.FILE_READERS else None))
    return Value(origins=frozenset({f"{where.cell}:{where.line}"}))


def _train_test_split(
    flow: Walker, node: ast.Call, args: list[Value], keywords: dict[str, Value]
) -> Value:
    shuffle: bool | None = True
    if "shuffle" in keywords:
        given = keywords["shuffle"].const
        shuffle = given if isinstance(given, bool) else None
    whole = join_all([a.data() for a in args])
    flow.record(Split(flow.where(node), whole, "train_test_split", shuffle))
    items: list[Value] = []
    for array in args:
        first, second = ("train", "val") if "train" in array.parts else ("train", "test")
        if "test" in array.parts:
            first, second = "val", "test"
        for part in (first, second):
            items.append(replace(array.data(), parts=frozenset({part}), shuffled=bool(shuffle)))
    return Value(origins=whole.origins, items=tuple(items))


def _shuffle(
    flow: Walker,
    node: ast.Call,
    name: str,
    args: list[Value],
    receiver: Value | None,
    keywords: dict[str, Value],
) -> Value | None:
    if name == "permutation":
        return Value(shuffled=True)
    if name == "sample":
        whole = keywords.get("frac", NOTHING).const in (1, 1.0)
        return replace(receiver.data(), shuffled=True) if whole and receiver else None
    if len(args) == 1 and isinstance(node.args[0], ast.Name):  # np.random.shuffle(x): in place
        flow.env[node.args[0].id] = replace(args[0], shuffled=True)
        return NOTHING
    if args:  # sklearn.utils.shuffle(X, y)
        return Value(items=tuple(replace(a.data(), shuffled=True) for a in args))
    return None


def _computed_metric(flow: Walker, node: ast.Call) -> bool:
    """A mean of differences (``np.mean((p - y) ** 2)``, ``(p == y).mean()``)."""
    if flow.name_of(node.func) != "mean":
        return False
    inside = [*node.args]
    if isinstance(node.func, ast.Attribute):
        inside.append(node.func.value)
    return any(
        isinstance(n, ast.BinOp) and isinstance(n.op, ast.Sub) or isinstance(n, ast.Compare)
        for part in inside
        for n in ast.walk(part)
    )


def _metric(flow: Walker, node: ast.Call, name: str, data: Value) -> Value:
    where = flow.where(node)
    if name in lib.ERROR_METRICS or name in lib.RATIO_METRICS:
        error, kind = name in lib.ERROR_METRICS, name
    else:
        walked = [n for part in [*node.args, node.func] for n in ast.walk(part)]
        error = not any(isinstance(n, ast.Compare) for n in walked)
        kind = "computed"
    flow.record(Metric(where, kind, error, data))
    for argument in node.args:
        if _last_step(argument) or any(_shifted(n) for n in ast.walk(argument)):
            flow.record(Baseline(where, "the previous value as the forecast (persistence)"))
    return replace(data, metric=True)


def _last_step(node: ast.expr) -> bool:
    """``X_test[:, -1]``: the window's last value, the persistence forecast."""
    if not isinstance(node, ast.Subscript) or not isinstance(node.slice, ast.Tuple):
        return False
    elements = node.slice.elts
    return (
        len(elements) > 1
        and isinstance(elements[0], ast.Slice)
        and ast.unparse(elements[1]) == "-1"
    )


def _shifted(node: ast.AST) -> bool:
    """``x[1:] - x[:-1]``: each value against the one before it."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub)):
        return False
    sides = [node.left, node.right]
    if not all(isinstance(side, ast.Subscript) for side in sides):
        return False
    texts = {ast.unparse(side.slice) for side in sides if isinstance(side, ast.Subscript)}
    return texts == {"1:", ":-1"}


def _fragments(node: ast.Call) -> tuple[str, ...]:
    texts: list[str] = []
    for argument in node.args:
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            texts.append(argument.value)
        elif isinstance(argument, ast.JoinedStr):
            texts += [
                v.value
                for v in argument.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            ]
    return tuple(t.strip() for t in texts if t.strip())


def choice(flow: Walker, node: ast.If, test: Value) -> None:
    """A best-so-far kept, or training stopped, on a comparison with the test set's results."""
    if "test" not in test.parts:
        return
    # the kept best in one branch, the patience's stop (``break``) often in the other
    body = [n for statement in node.body + node.orelse for n in ast.walk(statement)]
    keeps = any(
        isinstance(n, ast.Break) or isinstance(n, ast.Call) and flow.name_of(n.func) in _KEEPING
        for n in body
    )
    if keeps:
        flow.record(Choice(flow.where(node), test))


def named_baseline(flow: Walker, targets: list[ast.expr], node: ast.stmt, value: Value) -> None:
    """An assignment to a baseline's name (``naive = X[split:, 0]``) counts as one made when
    its value comes from the data: a constant typed in (``baseline_rmse = 52.3``) or a stand-in
    (``baseline = None``) computes nothing."""
    if not value.origins:
        return
    for target in targets:
        for name in ast.walk(target):
            if isinstance(name, ast.Name) and _BASELINE_NAME.search(name.id):
                flow.record(Baseline(flow.where(node), f"{name.id} computed"))
                return
