"""The project's model as the code builds it and the run shows it: the framework, each
recurrent layer (kind, units, direction, where), whether an LSTM is used at all and what is
used instead, the trainable parameters a run printed, and the epochs trained."""

from __future__ import annotations

import ast
import re
from typing import Any

from grader.projects import library as lib
from grader.projects.cells import Notebook
from grader.projects.values import Training

_TRAINABLE = re.compile(r"Trainable params:\s*([\d,]+)")
_COUNTED = re.compile(r"(\d[\d,]{1,})")
_EPOCH = re.compile(r"^Epoch\s+\d+/(\d+)", re.MULTILINE)
_TORCH = ("nn.", "torch.")


def model_facts(notebook: Notebook, events: list[Any], rerun: str | None) -> dict[str, Any]:
    code = notebook.code()
    imports = _imported(code)
    resolve = _Resolver(notebook)
    recurrent: list[dict[str, Any]] = []
    others: list[str] = []
    own_names = {  # the student's own ``class LSTM(nn.Module)`` is not a library layer
        n.name for c in code for n in ast.walk(c.tree)  # type: ignore[arg-type]
        if isinstance(n, ast.FunctionDef | ast.ClassDef)
    }  # fmt: skip
    aliases = {  # ``from keras.layers import LSTM as L``
        a.asname: a.name for c in code for n in ast.walk(c.tree)  # type: ignore[arg-type]
        if isinstance(n, ast.ImportFrom) for a in n.names if a.asname
    }  # fmt: skip
    for cell in code:
        assert cell.tree is not None
        for node in ast.walk(cell.tree):
            if not isinstance(node, ast.Call):
                continue
            name = _last(node.func)
            if isinstance(node.func, ast.Name) and name in own_names:
                continue
            name = aliases.get(name, name)
            if name in lib.RECURRENT and not _wraps_cell(node):
                recurrent.append(_layer(node, name, cell.position, resolve))
            elif name in lib.OTHER_LAYERS and name not in others:
                others.append(name)
    own = _own_recurrent(notebook)
    if own is not None:
        own["framework"] = "pytorch" if "torch" in imports and not recurrent else "numpy"
        recurrent.append(own)
    recurrent.sort(key=lambda layer: (layer["cell"], layer["line"]))
    framework = None
    if recurrent:
        framework = recurrent[0]["framework"]
        for layer in recurrent:
            del layer["framework"]
    elif others or any(isinstance(e, Training) for e in events):
        framework = next((f for f, names in _FRAMEWORKS.items() if names & imports), "other")
    kinds = [layer["kind"] for layer in recurrent]
    uses_lstm = any(kind in ("LSTM", "ConvLSTM") for kind in kinds)
    facts: dict[str, Any] = {
        "framework": framework,
        "recurrent": recurrent,
        "uses_lstm": uses_lstm,
        "parameters": None,
        "epochs": _epochs(events, notebook, rerun, resolve),
    }
    if not uses_lstm:
        instead = sorted(set(kinds)) + [o for o in others if o not in kinds]
        facts["instead"] = instead
        facts["note"] = (
            f"no LSTM: the model uses {', '.join(instead)}"
            if instead
            else "no LSTM, and no other neural network layer, was found in the code"
        )
    facts.update(_parameters(notebook, rerun))
    return facts


_FRAMEWORKS = {"keras": {"tensorflow", "keras"}, "pytorch": {"torch"}, "numpy": {"numpy"}}


def _imported(cells: list[Any]) -> set[str]:
    found: set[str] = set()
    for cell in cells:
        for node in ast.walk(cell.tree):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module.split(".")[0])
    return found


def _last(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _wraps_cell(node: ast.Call) -> bool:
    """``RNN(LSTMCell(32))``: the cell inside is the layer that counts."""
    return _last(node.func) == "RNN" and any(
        isinstance(a, ast.Call) and _last(a.func).endswith("Cell") for a in node.args
    )


def _layer(node: ast.Call, name: str, cell: int, resolve: _Resolver) -> dict[str, Any]:
    dotted = ast.unparse(node.func)
    torch = dotted.startswith(_TORCH) or ".nn." in dotted
    keywords = {k.arg: k.value for k in node.keywords if k.arg}
    if torch:
        units_node = keywords.get("hidden_size", node.args[1] if len(node.args) > 1 else None)
        bidirectional = resolve.value(keywords.get("bidirectional"), node) is True
        layers = resolve.value(keywords.get("num_layers"), node)
    else:
        units_node = keywords.get("units", node.args[0] if node.args else None)
        bidirectional = resolve.inside_bidirectional(node)
        layers = None
    units = resolve.value(units_node, node)
    layer: dict[str, Any] = {
        "kind": lib.RECURRENT[name],
        "units": units if isinstance(units, int) else None,
        "bidirectional": bidirectional,
        "cell": cell,
        "line": node.lineno,
        "framework": "pytorch" if torch else "keras",
    }
    if isinstance(layers, int) and layers > 1:
        layer["layers"] = layers
    return layer


class _Resolver:
    """Constants behind a layer's arguments: the notebook's own constants, a function's
    defaults and the values its callers pass (``build_model(units=64)``)."""

    def __init__(self, notebook: Notebook):
        self.constants: dict[str, Any] = {}
        self.parents: dict[ast.AST, ast.AST] = {}
        self.calls: list[ast.Call] = []
        for cell in notebook.code():
            assert cell.tree is not None
            for statement in cell.tree.body:
                if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                    target = statement.targets[0]
                    if isinstance(target, ast.Name):
                        value = self.value(statement.value, statement)
                        if value is not None:
                            self.constants[target.id] = value
            for parent in ast.walk(cell.tree):
                for child in ast.iter_child_nodes(parent):
                    self.parents[child] = parent
                if isinstance(parent, ast.Call):
                    self.calls.append(parent)

    def value(self, node: ast.expr | None, at: ast.AST, depth: int = 0) -> Any:
        if node is None or depth > 4:
            return None
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.BinOp):
            left, right = (
                self.value(node.left, at, depth + 1),
                self.value(node.right, at, depth + 1),
            )
            if isinstance(left, int) and isinstance(right, int):
                return {
                    ast.Mult: left * right,
                    ast.Add: left + right,
                    ast.FloorDiv: left // max(right, 1),
                }.get(type(node.op))
            return None
        if isinstance(node, ast.Attribute) and ast.unparse(node.value) == "self":
            return self._attribute(node.attr, at, depth)
        if not isinstance(node, ast.Name):
            return None
        function = self._enclosing(at)
        if function is not None:
            parameters = [a.arg for a in function.args.posonlyargs + function.args.args]
            if node.id in parameters:
                return self._argument(function, parameters, node.id, depth)
        return self.constants.get(node.id)

    def _enclosing(self, node: ast.AST) -> ast.FunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef):
                return node
        return None

    def _argument(
        self, function: ast.FunctionDef, parameters: list[str], name: str, depth: int
    ) -> Any:
        owner = self._enclosing_class(function) if function.name == "__init__" else None
        called = owner.name if owner is not None else function.name
        position = parameters.index(name) - (1 if owner is not None else 0)
        for call in self.calls:
            if _last(call.func) != called:
                continue
            given = next((k.value for k in call.keywords if k.arg == name), None)
            if given is None and 0 <= position < len(call.args):
                given = call.args[position]
            found = self.value(given, call, depth + 1)
            if found is not None:
                return found
        defaults = function.args.defaults
        offset = len(parameters) - len(defaults)
        index = parameters.index(name) - offset
        return self.value(defaults[index], function, depth + 1) if index >= 0 else None

    def _enclosing_class(self, node: ast.AST) -> ast.ClassDef | None:
        parent = self.parents.get(node)
        return parent if isinstance(parent, ast.ClassDef) else None

    def _attribute(self, attribute: str, at: ast.AST, depth: int) -> Any:
        function = self._enclosing(at)
        owner = self._enclosing_class(function) if function is not None else None
        if owner is None:
            return None
        for node in ast.walk(owner):
            if isinstance(node, ast.Assign) and any(
                ast.unparse(t) == f"self.{attribute}" for t in node.targets
            ):
                return self.value(node.value, node, depth + 1)
        return None

    def inside_bidirectional(self, node: ast.AST) -> bool:
        parent = self.parents.get(node)
        return isinstance(parent, ast.Call) and _last(parent.func) == lib.BIDIRECTIONAL


def _own_recurrent(notebook: Notebook) -> dict[str, Any] | None:
    """A recurrent cell written by hand: a function or class whose code applies sigmoid
    gates and tanh, as an LSTM (two tanh: candidate and output) or a GRU (one)."""
    for cell in notebook.code():
        assert cell.tree is not None
        for node in cell.tree.body:
            if not isinstance(node, ast.FunctionDef | ast.ClassDef):
                continue
            called = [_last(n.func).lower() for n in ast.walk(node) if isinstance(n, ast.Call)]
            sigmoids = sum("sigmoid" in c for c in called) + _inline_sigmoids(node)
            tanhs = sum("tanh" in c for c in called)
            if sigmoids and tanhs:
                kind = "LSTM" if tanhs >= 2 or "lstm" in node.name.lower() else "GRU"
                return {"kind": kind, "units": None, "bidirectional": False, "cell": cell.position,
                        "line": node.lineno, "own": True}  # fmt: skip
    return None


def _inline_sigmoids(node: ast.AST) -> int:
    """``1 / (1 + np.exp(-z))`` written out."""
    return sum(
        1
        for n in ast.walk(node)
        if isinstance(n, ast.BinOp)
        and isinstance(n.op, ast.Div)
        and "exp(-" in ast.unparse(n.right)
    )


def _epochs(events: list[Any], notebook: Notebook, rerun: str | None, resolve: _Resolver) -> Any:
    for event in events:
        if isinstance(event, Training) and isinstance(event.epochs, int):
            return event.epochs
    for cell in notebook.code():
        assert cell.tree is not None
        for node in ast.walk(cell.tree):
            if (
                isinstance(node, ast.For)
                and isinstance(node.iter, ast.Call)
                and _last(node.iter.func) == "range"
                and node.iter.args
                and any(
                    isinstance(n, ast.Call) and _last(n.func) in ("backward", "step")
                    for n in ast.walk(node)
                )
            ):
                count = resolve.value(node.iter.args[-1 if len(node.iter.args) < 3 else 1], node)
                if isinstance(count, int):
                    return count
    texts = [rerun or ""] + [o for c in notebook.code() for o in c.outputs]
    for text in texts:
        found = _EPOCH.findall(text)
        if found:
            return int(found[-1])
    return None


def _parameters(notebook: Notebook, rerun: str | None) -> dict[str, Any]:
    """Trainable parameters as a run printed them: Keras' or torchinfo's summary, or a
    printed count of ``p.numel()``; the sandbox's run first, then Colab's saved outputs."""
    if rerun:
        found = _TRAINABLE.findall(rerun)
        if found:
            return {"parameters": int(found[-1].replace(",", "")), "parameters_from": "rerun"}
    for cell in reversed(notebook.code()):
        text = "\n".join(cell.outputs)
        found = _TRAINABLE.findall(text)
        if not found and "numel()" in cell.source:
            found = _COUNTED.findall(text)
        if found:
            return {
                "parameters": int(found[-1].replace(",", "")),
                "parameters_from": f"saved output of cell {cell.position}",
            }
    return {}
