"""A synthetic class for the similarity tests and benchmark: independent work and planted copies.

Independent students fill the released notebook in one of nine genuinely different styles
(concatenate, split weights, einsum, explicit loops, a Gate class, an affine helper, transposed
products, tensordot, a gate factory), each function with its own small choices, and most add
exploration cells of their own; each writes a report of their own, keeps their own dataset and
draws their own figure. Copies are then planted on top (see ``plant_*``).
"""

from __future__ import annotations

import builtins
import io
import json
import keyword
import random
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw

GATES = {"forget_gate": "f", "input_gate": "i", "candidate_memory": "c", "output_gate": "o"}

# Gate bodies per style: {g} is the gate letter, {act} the activation; one variant per student.
STYLES: dict[str, list[str]] = {
    "concat": [
        "xh = np.concatenate([x_t, h_prev], axis=1)\nreturn {act}(xh @ W_{g}.T + b_{g})",
        "z = np.hstack((x_t, h_prev)) @ W_{g}.T\nz = z + b_{g}\nreturn {act}(z)",
        "return {act}(np.dot(np.concatenate((x_t, h_prev), axis=-1), W_{g}.T) + b_{g})",
    ],
    "split": [
        "D = x_t.shape[1]\nWx, Wh = W_{g}[:, :D], W_{g}[:, D:]\n"
        "return {act}(x_t @ Wx.T + h_prev @ Wh.T + b_{g})",
        "n_in = x_t.shape[-1]\nfrom_x = x_t.dot(W_{g}[:, :n_in].T)\n"
        "from_h = h_prev.dot(W_{g}[:, n_in:].T)\nreturn {act}(from_x + from_h + b_{g})",
        "parts = np.split(W_{g}, [x_t.shape[1]], axis=1)\n"
        "return {act}(np.matmul(x_t, parts[0].T) + np.matmul(h_prev, parts[1].T) + b_{g})",
    ],
    "einsum": [
        "xh = np.concatenate([x_t, h_prev], 1)\n"
        "return {act}(np.einsum('nk,hk->nh', xh, W_{g}) + b_{g})",
        "z = np.einsum('hk,nk->nh', W_{g}, np.hstack([x_t, h_prev]))\n"
        "return {act}(z + b_{g}[None, :])",
    ],
    "loops": [
        "N, H = x_t.shape[0], b_{g}.shape[0]\nxh = np.concatenate([x_t, h_prev], axis=1)\n"
        "out = np.zeros((N, H))\nfor n in range(N):\n    for j in range(H):\n"
        "        out[n, j] = np.sum(W_{g}[j] * xh[n]) + b_{g}[j]\nreturn {act}(out)",
        "rows = []\nfor n in range(x_t.shape[0]):\n    v = np.concatenate([x_t[n], h_prev[n]])\n"
        "    rows.append(W_{g} @ v + b_{g})\nreturn {act}(np.array(rows))",
    ],
    "class": [
        "return Gate(W_{g}, b_{g}, {act})(x_t, h_prev)",
        "gate = Gate(W_{g}, b_{g}, activation={act})\nreturn gate(x_t, h_prev)",
    ],
    "helper": [
        "return {act}(affine(x_t, h_prev, W_{g}, b_{g}))",
        "pre = affine(x_t, h_prev, W_{g}, b_{g})\nreturn {act}(pre)",
    ],
    "transpose": [
        "z = W_{g} @ np.vstack([x_t.T, h_prev.T])\nreturn {act}(z.T + b_{g})",
        "stacked = np.concatenate([x_t, h_prev], axis=1).T\n"
        "return {act}(np.matmul(W_{g}, stacked).T + b_{g}.reshape(1, -1))",
    ],
    "tensordot": [
        "xh = np.append(x_t, h_prev, axis=1)\n"
        "return {act}(np.tensordot(xh, W_{g}, axes=([1], [1])) + b_{g})",
    ],
    "factory": [
        "return make_gate({act})(x_t, h_prev, W_{g}, b_{g})",
    ],
}

HELPERS = {
    "class": [
        "class Gate:\n    def __init__(self, W, b, activation):\n"
        "        self.W, self.b, self.activation = W, b, activation\n\n"
        "    def __call__(self, x, h):\n        stacked = np.concatenate([x, h], axis=1)\n"
        "        return self.activation(stacked @ self.W.T + self.b)\n",
        "from dataclasses import dataclass\n\n\n@dataclass\nclass Gate:\n    W: np.ndarray\n"
        "    b: np.ndarray\n    activation: object\n\n    def affine(self, x, h):\n"
        "        return np.hstack([x, h]).dot(self.W.T) + self.b\n\n"
        "    def __call__(self, x, h):\n        return self.activation(self.affine(x, h))\n",
    ],
    "helper": [
        "def affine(x, h, W, b):\n    return np.column_stack([x, h]) @ W.T + b\n",
        "def affine(x, h, W, b):\n    joined = np.c_[x, h]\n    return np.dot(joined, W.T) + b\n",
    ],
    "factory": [
        "def make_gate(activation):\n    def gate(x_t, h_prev, W, b):\n"
        "        return activation(np.concatenate([x_t, h_prev], axis=1) @ W.T + b)\n"
        "    return gate\n",
    ],
}

CELL_STATE = [
    "return f_t * c_prev + i_t * c_hat_t",
    "return np.multiply(f_t, c_prev) + np.multiply(i_t, c_hat_t)",
    "kept = f_t * c_prev\nwritten = i_t * c_hat_t\nreturn kept + written",
    "c_t = f_t * c_prev\nc_t += i_t * c_hat_t\nreturn c_t",
]
HIDDEN_STATE = [
    "return o_t * np.tanh(c_t)",
    "return np.multiply(o_t, np.tanh(c_t))",
    "squashed = np.tanh(c_t)\nreturn o_t * squashed",
]
LSTM_CELL = [
    'f_t = forget_gate(x_t, h_prev, params["W_f"], params["b_f"])\n'
    'i_t = input_gate(x_t, h_prev, params["W_i"], params["b_i"])\n'
    'g_t = candidate_memory(x_t, h_prev, params["W_c"], params["b_c"])\n'
    'o_t = output_gate(x_t, h_prev, params["W_o"], params["b_o"])\n'
    "c_t = cell_state(c_prev, f_t, i_t, g_t)\nreturn hidden_state(o_t, c_t), c_t",
    "p = params\nf = forget_gate(x_t, h_prev, p['W_f'], p['b_f'])\n"
    "i = input_gate(x_t, h_prev, p['W_i'], p['b_i'])\n"
    "o = output_gate(x_t, h_prev, p['W_o'], p['b_o'])\n"
    "g = candidate_memory(x_t, h_prev, p['W_c'], p['b_c'])\n"
    "c = cell_state(c_prev, f, i, g)\nh = hidden_state(o, c)\nreturn h, c",
    "gates = {}\nfor name, fn in [('f', forget_gate), ('i', input_gate), ('c', candidate_memory),"
    " ('o', output_gate)]:\n    gates[name] = fn(x_t, h_prev, params['W_' + name], "
    "params['b_' + name])\nc_t = cell_state(c_prev, gates['f'], gates['i'], gates['c'])\n"
    "return hidden_state(gates['o'], c_t), c_t",
]
LSTM_FORWARD = [
    "h_t, c_t = h0, c0\nhs, cs = [], []\nfor x_t in x:\n"
    "    h_t, c_t = lstm_cell(x_t, h_t, c_t, params)\n    hs.append(h_t)\n    cs.append(c_t)\n"
    "return np.stack(hs), np.stack(cs)",
    "T = x.shape[0]\nN, H = h0.shape\nh_seq = np.zeros((T, N, H))\nc_seq = np.zeros_like(h_seq)\n"
    "h, c = h0, c0\nfor t in range(T):\n    h, c = lstm_cell(x[t], h, c, params)\n"
    "    h_seq[t] = h\n    c_seq[t] = c\nreturn h_seq, c_seq",
    "outs = []\nh, c = h0.copy(), c0.copy()\nfor t in range(len(x)):\n"
    "    h, c = lstm_cell(x[t], h, c, params)\n    outs.append((h, c))\n"
    "return np.array([o[0] for o in outs]), np.array([o[1] for o in outs])",
    "t = 0\nstates_h, states_c = [], []\nh, c = h0, c0\nwhile t < x.shape[0]:\n"
    "    h, c = lstm_cell(x[t], h, c, params)\n    states_h += [h]\n    states_c += [c]\n"
    "    t += 1\nreturn np.asarray(states_h), np.asarray(states_c)",
]

_NP = ["mean", "std", "max", "min", "abs", "sum", "exp", "log1p", "sqrt", "cumsum", "diff"]
_WORDS = (
    "memory gate cell state hidden sequence gradient vanish explode weight bias training loss "
    "epoch batch window forecast series passenger temperature review sentiment token vocabulary "
    "embedding dropout layer unit optimiser learning rate validation split overfit baseline "
    "accuracy error horizon lag season trend noise normalise scale feature target label model "
    "network recurrent activation sigmoid tanh product matrix vector dimension length step "
    "input output forget candidate update signal information context dependency long short "
    "experiment result figure table plot curve compare improve reduce increase observe choose "
    "tune stable converge diverge smooth spike peak monthly daily weekly yearly city river "
    "market price demand energy traffic rainfall character name language text corpus word "
    "predict classify generate sample temperature shuffle clip norm initial zero random seed"
).split()
_LINKS = ["the", "a", "we", "our", "this", "then", "and", "with", "for", "of", "to", "in"]


def _expression(rng: random.Random, names: list[str], depth: int = 0) -> str:
    """A random numpy expression: calls, operators, subscripts and literals, nested."""
    if depth > 2 or rng.random() < 0.25:
        return rng.choice([rng.choice(names), str(rng.randint(0, 9)), f"{rng.random():.2f}"])
    form = rng.randrange(6)
    a = _expression(rng, names, depth + 1)
    if form == 0:
        return f"np.{rng.choice(_NP)}({a})"
    if form == 1:
        b = _expression(rng, names, depth + 1)
        return f"({a} {rng.choice(['+', '-', '*', '/', '@', '**', '//'])} {b})"
    if form == 2:
        return f"{rng.choice(names)}[{rng.choice(['', '-'])}{rng.randint(0, 4)}:]"
    if form == 3:
        return f"np.{rng.choice(_NP)}({a}, axis={rng.randint(0, 1)})"
    if form == 4:
        return f"[{a} for {rng.choice('ijk')} in range({rng.randint(2, 9)})]"
    return f"{rng.choice(names)}.{rng.choice(['T', 'shape', 'size', 'real', 'ndim'])}"


def own_code(rng: random.Random, statements: int) -> str:
    """Exploration code one student might write: statements from a small random grammar."""
    names = [rng.choice("abcdefghpqrsuvwxyz") + str(rng.randint(0, 99)) for _ in range(5)]
    lines = [f"{n} = np.random.randn({rng.randint(2, 9)})" for n in names[:2]]
    for _ in range(statements):
        target = rng.choice(names)
        form = rng.randrange(5)
        expression = _expression(rng, names)
        if form == 0:
            lines.append(f"{target} = {expression}")
        elif form == 1:
            lines.append(f"print({expression})")
        elif form == 2:
            lines.append(f"for k in range({rng.randint(2, 20)}):\n    {target} += {expression}")
        elif form == 3:
            lines.append(f"if {expression} > {rng.randint(1, 50)}:\n    {target} = {expression}")
        else:
            lines.append(f"{target}, {rng.choice(names)} = {expression}, {expression}")
    return "\n".join(lines)


def own_cells(rng: random.Random, count: int = 4) -> list[tuple[str, str]]:
    """A notebook of one student's own exploration only."""
    return [("markdown", paragraph(rng))] + [("code", own_code(rng, 12)) for _ in range(count)]


def paragraph(rng: random.Random, sentences: int = 4) -> str:
    out = []
    for _ in range(sentences):
        words = [rng.choice(_WORDS if i % 2 == 0 else _WORDS + _LINKS) for i in range(12)]
        out.append(" ".join(words).capitalize() + ".")
    return " ".join(out)


def figure_png(rng: random.Random, size=(320, 220)) -> bytes:
    """A line chart of a random walk, as a student's plot."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([30, 10, size[0] - 10, size[1] - 30], outline="black")
    y, points = size[1] / 2, []
    for x in range(35, size[0] - 12, 4):
        y = min(size[1] - 35, max(15, y + rng.gauss(0, 9)))
        points.append((x, y))
    draw.line(points, fill=rng.choice(["#1f77b4", "#d62728", "#2ca02c"]), width=2)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class Student:
    id: str
    cells: list[tuple[str, str]]  # (cell type, source) in notebook order
    report: list[str]  # paragraphs
    files: dict[str, bytes] = field(default_factory=dict)
    figure: bytes | None = None


def _indent(body: str) -> str:
    return "\n".join("    " + line if line else line for line in body.splitlines())


def fill(release_cells: list[dict], bodies: dict[str, str]) -> list[tuple[str, str]]:
    """The released cells with each stub replaced by the student's body."""
    stub = "    # YOUR CODE HERE\n    raise NotImplementedError()"
    out = []
    for cell in release_cells:
        source = "".join(cell["source"])
        name = source[4 : source.find("(")] if source.startswith("def ") else ""
        if name in bodies and stub in source:
            source = source.replace(stub, _indent(bodies[name]))
        out.append((cell["cell_type"], source))
    return out


def independent(sid: str, style: str, release_cells: list[dict], rng: random.Random) -> Student:
    gate = rng.choice(STYLES[style])
    sig = rng.choice(["sigmoid", "sigmoid", "my_sigmoid"])
    bodies = {
        name: gate.format(g=g, act="np.tanh" if g == "c" else sig) for name, g in GATES.items()
    }
    bodies["cell_state"] = rng.choice(CELL_STATE)
    bodies["hidden_state"] = rng.choice(HIDDEN_STATE)
    bodies["lstm_cell"] = rng.choice(LSTM_CELL)
    bodies["lstm_forward"] = rng.choice(LSTM_FORWARD)
    cells = fill(release_cells, bodies)
    extra = []
    if style in HELPERS:
        extra.append(rng.choice(HELPERS[style]))
    if sig == "my_sigmoid":
        extra.append("def my_sigmoid(z):\n    return 1.0 / (1.0 + np.exp(-z))\n")
    at = next(i for i, (_, s) in enumerate(cells) if s.startswith("def forget_gate"))
    cells[at:at] = [("code", code) for code in extra]
    for _ in range(rng.choice([0, 1, 2, 3])):  # some students explore, some do not
        cells.append(("code", own_code(rng, rng.randint(6, 14))))
    report = [paragraph(rng) for _ in range(5)]
    data = "\n".join(f"{t},{rng.gauss(0, 1):.4f}" for t in range(200)).encode()
    return Student(sid, cells, report, {"data/series.csv": data}, figure_png(rng))


def make_class(release: Path, students: int, seed: int = 7) -> list[Student]:
    """``students`` independent students, styles taken in turn so each has several."""
    rng = random.Random(seed)
    cells = json.loads(release.read_text())["cells"]
    styles = list(STYLES)
    return [
        independent(f"s{n:04d}", styles[n % len(styles)], cells, random.Random(rng.random()))
        for n in range(students)
    ]


# --- planting copies ---------------------------------------------------------------------

_KEEP = {"np", "self", "print", "range", "len", "params", "sigmoid", "x_t", "h_prev"}


def renamed(source: str, rng: random.Random) -> str:
    """The code with its own names changed (not builtins, modules or the graded functions:
    renaming those breaks the notebook), its comments replaced and its layout redone."""
    graded = set(GATES) | {"cell_state", "hidden_state", "lstm_cell", "lstm_forward"}
    fixed = graded | _KEEP | set(dir(builtins)) | set(keyword.kwlist)
    mapping: dict[str, str] = {}
    out = []
    previous, in_import = "", False
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        text = tok.string
        if tok.type == tokenize.NAME and text in ("import", "from"):
            in_import = True
        elif tok.type in (tokenize.NEWLINE, tokenize.NL):
            in_import = False
        if tok.type == tokenize.NAME and previous != "." and not in_import and text not in fixed:
            text = mapping.setdefault(text, f"var_{rng.randint(100, 999)}_{len(mapping)}")
        if tok.type == tokenize.COMMENT:
            text = "# " + rng.choice(["my take", "works now", "TODO tidy", "see notes"])
        out.append((tok.type, text))
        if tok.type not in (tokenize.NL, tokenize.COMMENT):
            previous = tok.string
    return tokenize.untokenize(out).replace("\n", "\n\n", 1)


def plant_renamed_copy(target: Student, source: Student, rng: random.Random) -> None:
    """``target`` hands in ``source``'s notebook: names changed, comments, layout, cell order."""
    cells = [(kind, renamed(s, rng) if kind == "code" else s) for kind, s in source.cells]
    own = [i for i, (kind, s) in enumerate(cells) if kind == "code" and "np.random.randn(" in s]
    if len(own) >= 2:
        cells[own[0]], cells[own[-1]] = cells[own[-1]], cells[own[0]]
    gate_cells = [i for i, (_, s) in enumerate(cells) if s.startswith("def ")][:4]
    order = gate_cells[:]
    rng.shuffle(order)
    moved = [cells[i] for i in order]
    for i, cell in zip(gate_cells, moved, strict=True):
        cells[i] = cell
    target.cells = cells


def paraphrase(text: str, rng: random.Random, rate: float = 0.15) -> str:
    """Some words swapped for others, sentences in a new order, one sentence dropped."""
    sentences = [s for s in text.split(". ") if s]
    rng.shuffle(sentences)
    sentences = sentences[:-1] if len(sentences) > 3 else sentences
    out = []
    for sentence in sentences:
        words = [rng.choice(_WORDS) if rng.random() < rate else w for w in sentence.split()]
        out.append(" ".join(words))
    return ". ".join(out).rstrip(".") + "."


def plant_paraphrase(target: Student, source: Student, rng: random.Random) -> None:
    target.report = [paraphrase(p, rng) for p in source.report[:4]] + target.report[4:]


def public_notebook(release_cells: list[dict], seed: int = 99) -> list[tuple[str, str]]:
    """A 'Kaggle' notebook: an LSTM in numpy with a training loop, long and particular."""
    rng = random.Random(seed)
    cells = fill(release_cells, {})
    cells = [("markdown", "# LSTM from scratch in numpy (public notebook)")]
    cells += [("code", own_code(rng, 30)) for _ in range(6)]
    return cells


def plant_public_copy(target: Student, public: list[tuple[str, str]]) -> None:
    """``target`` hands in the public notebook's code as their exploration."""
    target.cells = [c for c in target.cells if "np.random.randn(" not in c[1]] + public[1:]


def recompressed(png: bytes) -> bytes:
    """The same figure, resized and re-saved as a JPEG-rounded PNG: a copied plot."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image = image.resize((int(image.width * 0.9), int(image.height * 0.9)))
    jpeg = io.BytesIO()
    image.save(jpeg, "JPEG", quality=70)
    out = io.BytesIO()
    Image.open(jpeg).save(out, "PNG")
    return out.getvalue()
