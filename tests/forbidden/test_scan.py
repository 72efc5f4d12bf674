"""The forbidden-shortcut scan against the tricks that blinded the old one (issue 17, hole 5),
and against ordinary notebooks that must not be flagged. Pure: nothing here runs a notebook."""

from __future__ import annotations

import json

import pytest
from scan_kit import ASSIGNMENT, CONFIG, GRADED, ROOT, definite, scan

from grader import assignment as assign
from grader import engine
from grader.assignment import releasing
from grader.forbidden import NOTEBOOK, REVIEW, defined_functions, forbidden_shortcuts, names

CELL = "def lstm_cell(x_t, h_prev, c_prev, params):\n    return {}\n"


# --- what the old scan missed -------------------------------------------------------------


def test_a_syntax_error_in_one_cell_hides_nothing_else_and_is_sent_for_review():
    found = scan(
        "import torch",
        "def forget_gate(x_t, h_prev, W_f, b_f):\n    return (x_t +\n",
        CELL.format("torch.nn.LSTMCell(3, 4)"),
    )
    assert found["lstm_cell"] == ["calls torch.nn.LSTMCell inside lstm_cell (cell 2, line 2)"]
    assert "cell 1 could not be read as Python (SyntaxError on line 2" in found[REVIEW][0]


@pytest.mark.parametrize("magic", ["%%capture", "%%capture out", "%%time", "%%timeit -n1 -r1"])
def test_a_python_cell_magic_does_not_turn_the_cell_into_a_string(magic):
    found = scan(f"{magic}\nimport torch\n" + CELL.format("torch.nn.LSTMCell(3, 4)"))
    assert found["lstm_cell"] == ["calls torch.nn.LSTMCell inside lstm_cell (cell 0, line 4)"]


def test_nested_cell_magics_and_line_magics_are_understood():
    found = scan(
        "%%capture\n%%time\n!pip install torch\n%matplotlib inline\nfrom torch import nn",
        CELL.format("nn.LSTMCell(3, 4)"),
    )
    assert found["lstm_cell"] == [
        "calls torch.nn.LSTMCell (written nn.LSTMCell) inside lstm_cell (cell 1, line 2)"
    ]


def test_a_call_in_a_module_level_helper_is_followed():
    found = scan(
        "import torch",
        "def _make(n):\n    return _deeper(n)\n\n"
        "def _deeper(n):\n    return torch.nn.LSTMCell(n, n)",
        CELL.format("_make(3)"),
    )
    assert found["lstm_cell"] == [
        "calls torch.nn.LSTMCell in _deeper (cell 1, line 5), "
        "reached from lstm_cell through lstm_cell → _make → _deeper"
    ]


def test_mutually_recursive_helpers_end():
    found = scan(
        "import torch.nn as nn\n"
        "def even(n):\n    return odd(n - 1) if n else nn.LSTM(1, 1)\n"
        "def odd(n):\n    return even(n - 1)\n",
        CELL.format("odd(3)"),
    )
    assert (
        len(found["lstm_cell"]) == 1 and "through lstm_cell → odd → even" in found["lstm_cell"][0]
    )


@pytest.mark.parametrize(
    ("imports", "written"),
    [
        ("import torch", "torch.nn.modules.rnn.LSTMCell"),
        ("import torch.nn as nn", "nn.modules.rnn.LSTMCell"),
        ("import torch.nn as N", "N.LSTMCell"),
        ("from torch import nn", "nn.modules.LSTMCell"),
        ("from torch.nn import LSTMCell as C", "C"),
        ("from torch.nn.modules.rnn import LSTMCell", "LSTMCell"),
        ("import torch\nL = torch.nn.LSTMCell", "L"),
        ("import torch\nnn = torch.nn\nK = nn.modules.rnn", "K.LSTMCell"),
        ("from torch.nn import *", "LSTMCell"),
        ("import torch", "getattr(torch.nn, 'LSTM' + 'Cell')"),
        ("import importlib", "getattr(importlib.import_module('torch.' + 'nn'), 'LSTM' + 'Cell')"),
        ("import sys, torch", "sys.modules['torch.nn'].LSTMCell"),
        ("import torch", "vars(torch.nn)['LSTMCell']"),
        ("import torch", "torch.nn.__dict__[f'LSTM{\"Cell\"}']"),
        ("import torch\nL = torch.nn.LSTMCell", "globals()['L']"),
        ("NAME = 'LSTM' 'Cell'", "getattr(__import__('torch.nn').nn, NAME)"),
        ("import torch", "eval('torch.nn.' + 'LSTMCell')"),
    ],
)
def test_aliases_and_attribute_chains_resolve_to_the_object_they_name(imports, written):
    found = scan(imports, CELL.format(f"{written}(3, 4)"))
    assert [f.split(" ")[:2] for f in found["lstm_cell"]][:1] == [["calls", "torch.nn.LSTMCell"]]
    assert not [note for note in found.get(REVIEW, []) if note.startswith("lstm_cell")]


def test_an_alias_made_inside_the_function_is_followed():
    found = scan(
        "import torch",
        CELL.format("None\n    nn = torch.nn\n    cell = nn.LSTMCell\n    cell(3, 4)"),
    )
    assert found["lstm_cell"][0].startswith("uses torch.nn.LSTMCell (written nn.LSTMCell)")


@pytest.mark.parametrize(
    "cells",
    [
        (
            "import torch",
            "class Model:\n    def step(self):\n        return torch.nn.LSTMCell(1, 1)",
            "model = Model()",
            CELL.format("model.step()"),
        ),
        ("import torch", "make = lambda n: torch.nn.LSTMCell(n, n)", CELL.format("make(3)")),
        (
            "import torch",
            "TABLE = {}",
            "TABLE['cell'] = torch.nn.LSTMCell",
            CELL.format("TABLE['cell'](3, 4)"),
        ),
        (
            "import torch",
            "def setup():\n    global L\n    L = torch.nn.LSTMCell",
            "setup()",
            CELL.format("L(3, 4)"),
        ),
        (
            "import torch",
            "def lstm_cell(x_t, h_prev, c_prev, params, L=torch.nn.LSTMCell):\n    return L(3, 4)",
        ),
        (
            "import torch",
            "def wrap(f):\n    return lambda *a: torch.nn.LSTMCell(3, 4)",
            "@wrap\n" + CELL.format("None"),
        ),
        ("import torch", "class Cell(torch.nn.LSTMCell):\n    pass", CELL.format("Cell(3, 4)")),
    ],
    ids=["method", "lambda", "table", "global", "default", "decorator", "subclass"],
)
def test_helpers_of_every_kind_are_followed(cells):
    assert "torch.nn.LSTMCell" in definite(scan(*cells)).get("lstm_cell", [""])[0]


def test_a_file_written_by_the_notebook_is_scanned_when_imported_or_run():
    helper = (
        "%%writefile shortcut.py\nimport torch\n\ndef make(n):\n    return torch.nn.LSTM(n, n)\n"
    )
    for cells in (
        (helper, "import shortcut", CELL.format("shortcut.make(3)")),
        (helper, "from shortcut import make as m", CELL.format("m(3)")),
        (helper, "%run shortcut.py", CELL.format("make(3)")),
    ):
        found = scan(*cells)
        assert found["lstm_cell"] == [
            "calls torch.nn.LSTM in make (shortcut.py line 4, written by cell 0), "
            "reached from lstm_cell through lstm_cell → make"
        ], cells


def test_a_forbidden_module_used_by_a_graded_function_costs_it():
    found = scan(
        "from reference_lstm import lstm_cell as reference", CELL.format("reference(1, 2, 3, 4)")
    )
    assert found[NOTEBOOK] == ["imports reference_lstm (cell 0, line 1)"]
    assert found["lstm_cell"] == [
        "calls reference_lstm (written reference) inside lstm_cell (cell 1, line 2)"
    ]


def test_an_import_inside_a_graded_function_is_found():
    found = scan(CELL.format("None\n    from torch.nn import LSTM\n    return LSTM(1, 1)"))
    assert found["lstm_cell"][0] == "imports torch.nn.LSTM inside lstm_cell (cell 0, line 3)"


# --- dynamic lookups: for review, never points ----------------------------------------------


@pytest.mark.parametrize(
    ("written", "what"),
    [
        ("getattr(torch.nn, name)", "getattr with a computed name"),
        ("importlib.import_module(name)", "importlib with a computed name"),
        ("__import__(name)", "__import__ with a computed name"),
        ("eval(name)", "eval"),
        ("exec(name)", "exec"),
        ("compile(name, 'x', 'eval')", "compile"),
        ("globals()[name]", "globals()"),
        ("sys.modules[name]", "sys.modules"),
        ("torch.nn.__dict__[name]", "__dict__"),
        ("get_ipython().run_cell(name)", "get_ipython()"),
    ],
)
def test_a_dynamic_lookup_reached_from_a_graded_function_is_sent_for_review(written, what):
    found = scan(
        "import importlib, sys, torch",
        "def _helper(name):\n    return " + written,
        CELL.format("_helper(''.join(reversed('lleCMTSL')))"),
    )
    assert definite(found) == {}
    reached = [note for note in found[REVIEW] if note.startswith("lstm_cell reaches")]
    assert len(reached) == 1
    assert reached[0].startswith(f"lstm_cell reaches {what} in _helper (cell 1, line 2)")


def test_a_graded_function_made_by_exec_is_sent_for_review():
    found = scan("exec(open('answers.txt').read())")
    assert any(n.startswith("no cell defines lstm_cell") for n in found[REVIEW])
    assert "cell 0, line 1 runs code made while it runs" in found[REVIEW][0]


def test_running_a_file_the_scan_cannot_see_is_sent_for_review():
    found = scan("%run answers.ipynb")
    assert "runs answers.ipynb, which it does not write" in found[REVIEW][0]


# --- ordinary notebooks: nothing to report ------------------------------------------------


def test_the_released_notebook_and_a_full_marks_sample_are_clean():
    released = releasing.released_notebook(assign.load_assignment(ASSIGNMENT))
    cells = [(i, c.source) for i, c in enumerate(released.cells) if c.cell_type == "code"]
    sample = engine.read_code_cells(ROOT / "examples" / "lstm_gates" / "asha.ipynb")
    for notebook in (cells, sample):
        found = forbidden_shortcuts(
            notebook, GRADED, CONFIG.forbidden_imports, CONFIG.forbidden_calls
        )
        assert found == {}


def test_ordinary_student_styles_are_not_flagged():
    found = scan(
        "import numpy as np\nimport torch\n# we must not use torch.nn.LSTM here",
        '"""Compare with torch.nn.LSTMCell later."""\nLSTM = "my own"\n',
        "class LSTMCell:\n    def __init__(self, n):\n        self.n = n",
        "def forget_gate(x_t, h_prev, W_f, b_f):\n"
        "    '''Not torch.nn.LSTM: f_t = sigmoid(W_f [x_t, h] + b_f).'''\n"
        "    lstm = np.concatenate([x_t, h_prev], axis=1)  # 'torch.nn.LSTM' is forbidden\n"
        "    nn = getattr(lstm, 'shape')\n"
        "    return 1 / (1 + np.exp(-(lstm @ W_f.T + b_f)))",
        CELL.format("LSTMCell(3), LSTM, [nn for nn in (1, 2)]"),
        "%%bash\necho torch.nn.LSTMCell",
        "lstm = torch.nn.LSTM(3, 4)  # the comparison cell, not graded\n"
        "def compare():\n    return torch.nn.LSTMCell(3, 4)",
        "def lstm_forward(x, h0, c0, params, lstm=None):\n    return [lstm for _ in x]",
    )
    assert found == {}


def test_a_local_variable_does_not_follow_a_global_of_the_same_name():
    found = scan(
        "import torch\nlstm = torch.nn.LSTM(3, 4)",
        "def lstm_forward(x, h0, c0, params):\n    lstm = lambda v: v\n    return lstm(x)",
    )
    assert found == {}


# --- the names behind the forbidden list ----------------------------------------------------


def test_forbidden_names_are_canonicalised_through_the_real_package():
    found = names.aliases(("torch.nn.LSTMCell", "no_such_package.sub.Thing"))
    assert {"torch.nn.LSTMCell", "torch.nn.modules.rnn.LSTMCell"} <= found["torch.nn.LSTMCell"]
    assert found["no_such_package.sub.Thing"] == {"no_such_package.sub.Thing"}
    forbidden = names.Forbidden.from_config([], ["no_such_package.sub.Thing"])
    assert forbidden.object("no_such_package.sub.deep.Thing") == "no_such_package.sub.Thing"
    assert forbidden.object("no_such_package.sub.Other") is None


def test_defined_functions_reads_every_readable_cell():
    cells = [
        "!ls\nimport numpy as np",
        "def broken(:\n",
        "%%time\ndef forget_gate(x, h, W, b):\n    pass",
    ]
    assert defined_functions(cells) == {"forget_gate"}


def test_a_single_string_of_code_is_scanned_with_plain_line_numbers():
    code = (
        "import torch\ndef lstm_cell(x_t, h_prev, c_prev, params):\n    return torch.nn.LSTM(1, 1)"
    )
    found = forbidden_shortcuts(code, ["lstm_cell"], [], ["torch.nn.LSTM"])
    assert found == {"lstm_cell": ["calls torch.nn.LSTM inside lstm_cell (line 3)"]}
    assert json.dumps(found)  # plain data, as the gradebook and results.json want


def test_a_module_shipped_beside_the_notebook_is_scanned():
    files = [
        (
            "tools/shortcut.py",
            "from torch.nn import LSTMCell\n\ndef make(n):\n    return LSTMCell(n, n)\n",
        )
    ]
    found = forbidden_shortcuts(
        [(0, "from tools.shortcut import make"), (1, CELL.format("make(3)"))],
        GRADED,
        CONFIG.forbidden_imports,
        CONFIG.forbidden_calls,
        files=files,
    )
    assert found["lstm_cell"] == [
        "calls torch.nn.LSTMCell (written LSTMCell) in make (tools/shortcut.py line 4, shipped "
        "with the notebook), reached from lstm_cell through lstm_cell → make"
    ]


def test_a_module_made_by_a_shell_command_is_sent_for_review():
    found = scan(
        "!printf 'import torch\\nC = torch.nn.LSTMCell' > my_secret_helpers.py",
        "import my_secret_helpers as h",
        CELL.format("h.C(3)"),
    )
    assert definite(found) == {}
    assert found[REVIEW] == [
        "lstm_cell uses my_secret_helpers.C inside lstm_cell (cell 2, line 2), from "
        "my_secret_helpers.py, a file the notebook makes in a way the scan cannot read (a shell "
        "command, a download, open()); review it by hand"
    ]
    assert scan("import some_library_not_here as h", CELL.format("h.C(3)")) == {}


@pytest.mark.parametrize(
    "making",
    [
        "import builtins, torch\nbuiltins.L = torch.nn.LSTMCell",
        "import torch\nexec('L = torch.nn.LSTMCell')",
        "import torch\nglobals()['L'] = torch.nn.LSTMCell",
    ],
)
def test_a_name_made_while_the_notebook_runs_is_sent_for_review(making):
    found = scan(making, CELL.format("L(3, 4)"))
    assert definite(found) == {}
    assert any(
        note.startswith("lstm_cell uses L inside lstm_cell (cell 1, line 2), a name no readable")
        for note in found[REVIEW]
    )


def test_replacing_a_graded_function_s_code_is_followed():
    found = scan(
        "import torch\ndef _fast(x_t, h_prev, c_prev, params):\n    return torch.nn.LSTMCell(1, 1)",
        CELL.format("None"),
        "lstm_cell.__code__ = _fast.__code__",
    )
    assert "through lstm_cell → _fast" in found["lstm_cell"][0]


@pytest.mark.parametrize("importing", ["exec('import torch')", "import torch; print((1)"])
def test_a_module_imported_where_the_scan_cannot_see_is_still_known_by_its_name(importing):
    found = scan(importing, CELL.format("torch.nn.LSTMCell(3, 4)"))
    assert found["lstm_cell"] == ["calls torch.nn.LSTMCell inside lstm_cell (cell 1, line 2)"]
    assert not any("uses torch" in note for note in found.get(REVIEW, []))


def test_code_nested_too_deeply_to_scan_is_sent_for_review_without_an_error():
    chain = "".join(f"x{i + 1} = x{i}.nn\n" for i in range(3000))
    found = scan(f"import torch\nx0 = torch\n{chain}", CELL.format("x3000"))
    assert found == {
        REVIEW: ["lstm_cell reaches code nested too deeply to scan; review it by hand"]
    }


def test_a_first_try_redefined_in_a_later_cell_is_not_what_gets_graded():
    first_try = CELL.format("torch.nn.LSTMCell(3, 4)  # to compare, replaced below")
    helper_first = "def _step():\n    return torch.nn.LSTM(1, 1)"
    found = scan(
        "import torch",
        first_try,
        helper_first,
        "def _step():\n    return 0",
        CELL.format("_step()"),
    )
    assert found == {}
    conditional = scan(
        "import torch", CELL.format("0"), "if True:\n    " + first_try.replace("\n", "\n    ")
    )
    assert "torch.nn.LSTMCell" in conditional["lstm_cell"][0]


def test_a_graded_function_imported_from_a_written_module_or_a_library_is_followed():
    helper = "%%writefile answers.py\nimport torch\n" + CELL.format("torch.nn.LSTMCell(3, 4)")
    found = scan(helper, "from answers import lstm_cell")
    assert "in lstm_cell (answers.py line 3, written by cell 0)" in found["lstm_cell"][0]
    found = scan("from torch.nn import LSTMCell as lstm_cell")
    assert found["lstm_cell"][0].startswith("uses torch.nn.LSTMCell (written from torch.nn import")


def test_the_scan_keeps_what_it_learnt_of_small_inputs_only():
    from grader.forbidden.memo import small_answers
    from grader.limits import FORBIDDEN

    calls = []

    @small_answers
    def work(key):
        calls.append(key)
        return object()

    small = "x = 1"
    assert work(small) is work(small) and calls == [small]  # worked out once, then kept
    pasted_data = "data = [" + "1.0, " * FORBIDDEN.memo_largest_chars + "]"
    # Megabytes of a student's: only the last is kept (one scan asks about it several times),
    # and the next replaces it, so a class of them never piles up.
    assert work(pasted_data) is work(pasted_data)
    other_data = pasted_data + " "
    work(other_data)
    work(pasted_data)
    assert calls.count(pasted_data) == 2
    for number in range(FORBIDDEN.memo_entries):
        work(f"y = {number}")
    work(small)
    assert calls.count(small) == 2  # the least recently used was dropped, and worked out again


def test_a_cell_that_names_the_graders_sandbox_code_is_sent_for_review():
    found = scan(
        "import numpy as np",
        "import sys\nsys.modules['gradersandbox.seal'].seal = lambda keep: None",
    )
    assert found[REVIEW] == [
        "cell 1 names the grader's own sandbox code (gradersandbox), which a notebook has no"
        " reason to touch; review what it does",
        "cell 1 uses sys.modules (line 2), which reaches modules or objects it did not import"
        " by name, the grader's among them: it can hide a forbidden shortcut from the grader's"
        " run-time record; review what it does",
    ]
    assert REVIEW not in scan("import numpy as np", CELL.format("np.zeros(3)"))


def test_what_can_blind_the_run_time_record_is_sent_for_review_wherever_it_is():
    """Issue 25: a class found without its name, frames, fork hooks, code built at run time and
    top-level cells reaching modules they never imported are notes; honest idioms are not."""
    honest = scan(
        "import numpy as np, sys\nIN_COLAB = 'google.colab' in sys.modules",
        "import torch\nlayers = list(torch.nn.Linear(2, 2).modules())\n# sys._getframe",
        CELL.format("np.zeros(3)"),
    )
    assert REVIEW not in honest
    tools = {
        "__subclasses__": "cells = torch.nn.RNNCellBase.__subclasses__()",
        "_getframe": "from sys import _getframe",
        "f_back": "caller = frame.f_back",
        "register_at_fork": "os.register_at_fork(after_in_child=hook)",
        "FunctionType": "import types\nf = types.FunctionType(code, {})",
        "__code__": "code = forward.__code__.replace()",
        "sys.modules": "for m in list(sys.modules.values()): pass",
        "get_referrers": "import gc\ngc.get_referrers(x)",
        "an import of a name computed at run time": "importlib.import_module(name)",
    }
    for tool, source in tools.items():
        notes = scan("import numpy as np", source).get(REVIEW, [])
        assert any(note.startswith(f"cell 1 uses {tool} (line") for note in notes), (tool, notes)
