"""The runner skips IPython's token transforms only for cells they could not change: every
cell comes out as IPython's own reader makes it."""

from __future__ import annotations

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from grader.engine.gradersandbox import cell_syntax

PLAIN = [
    "import numpy as np\n\ndef f(x):\n    return np.tanh(x) / 2\n",
    "x = [1,\n     2]\ny = (x[0],\n     x[1]); z = 3\n",
    "def g(a, b):\n    '''a docstring, with commas; and slashes / too'''\n    return a // b\n",
    "check('forget_gate')",
]
IPYTHON = [
    "%time x = 1\n",
    "!ls\n",
    "files = !ls\n",
    "mode = %pwd\n",
    "np.tanh?\n",
    "/print 1 2\n",
    ",print a b\n",
    ";print a b\n",
    "if True:\n    /print 3\n",
    "x = 1\n%matplotlib inline\n",
    "y = x != 2\n",
]


@pytest.mark.parametrize("cell", PLAIN + IPYTHON)
def test_a_cell_reads_as_ipython_reads_it(cell):
    fast = TransformerManager()
    cell_syntax.skip_needless_token_transforms(fast)
    assert fast.transform_cell(cell) == TransformerManager().transform_cell(cell)


@pytest.mark.parametrize("cell", PLAIN)
def test_plain_python_is_not_tokenized_again(cell):
    manager = TransformerManager()
    tokenized = []
    manager.do_token_transforms = lambda lines: tokenized.append(lines) or lines
    cell_syntax.skip_needless_token_transforms(manager)
    manager.transform_cell(cell)
    assert tokenized == []


@pytest.mark.parametrize("cell", IPYTHON)
def test_a_cell_that_may_hold_ipython_syntax_is_read_by_ipython(cell):
    assert not cell_syntax.cannot_hold_ipython_syntax(cell.splitlines(keepends=True))
