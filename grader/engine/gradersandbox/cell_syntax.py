"""IPython's reading of a cell's own syntax (``%magic``, ``!cmd``, ``obj?``, ``/f x``), skipped
where the text cannot hold any of it.

IPython finds that syntax by tokenizing the whole cell in Python, once more after each change,
which took most of its time on a submission's cells (about 1 ms per cell). Its finders
(:class:`IPython.core.inputtransformer2.TransformerManager`'s token transformers) only ever
fire on a ``%``, ``!`` or ``?`` token, or on a logical line whose first token is an escape
character; a logical line starts where a physical line's first non-blank character is. A cell
with no ``%``, ``!`` or ``?`` anywhere and no line starting with ``,``, ``;`` or ``/`` comes out
of them unchanged, so it is passed on as it is: the code that runs is the same.
"""

from __future__ import annotations

from typing import Any

_ANYWHERE = ("%", "!", "?")  # a magic, a shell escape, a help request: a token of their own
_LINE_STARTS = ("!", "?", "%", ",", ";", "/")  # IPython's escapes at a logical line's start


def cannot_hold_ipython_syntax(lines: list[str]) -> bool:
    """Whether no token transform of IPython's could change ``lines``."""
    text = "".join(lines)
    if any(mark in text for mark in _ANYWHERE):
        return False
    return not any(line.lstrip().startswith(_LINE_STARTS) for line in lines)


def skip_needless_token_transforms(manager: Any) -> None:
    """Make ``manager`` (the shell's ``input_transformer_manager``) skip its token transforms
    for lines that :func:`cannot_hold_ipython_syntax`."""
    transforms = manager.do_token_transforms

    def do_token_transforms(lines: list[str]) -> list[str]:
        if cannot_hold_ipython_syntax(lines):
            return lines
        return transforms(lines)

    manager.do_token_transforms = do_token_transforms
