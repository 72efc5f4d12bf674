"""Written answers in the self-check: ``check()`` also says which are still empty.

The kernel does not hold markdown cells, so the notebook is read as the editor has it: Colab
hands it over; Jupyter's saved file is read (its path is in ``JPY_SESSION_NAME`` or
``__session__``). Where neither works, the self-check says so and lists the questions.
"""

import json
import os

_EMPTY = ("", "YOUR ANSWER HERE")


def _is_empty(text):
    """The answer is as the release left it: blank, the markdown stub, or code that is only
    comments and ``raise NotImplementedError()`` (the code stubs of both kinds of source)."""
    if text.strip() in _EMPTY:
        return True
    lines = [line.strip() for line in text.splitlines()]
    return all(
        not line or line.startswith("#") or line == "raise NotImplementedError()" for line in lines
    )


def _notebook_cells(namespace, wait_s):
    """The notebook's cells as the editor has them, or None when they cannot be read here."""
    try:
        from google.colab import _message

        return _message.blocking_request("get_ipynb", timeout_sec=wait_s)["ipynb"]["cells"]
    except Exception:  # not Colab, or Colab did not answer: try Jupyter's file
        pass
    path = os.environ.get("JPY_SESSION_NAME") or namespace.get("__session__") or ""
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _answers(cells):
    """{question id: the answer's text} of the answer cells the release made."""
    found = {}
    for cell in cells:
        grader = cell.get("metadata", {}).get("grader", {})
        written = grader.get("written") if isinstance(grader, dict) else None
        key = written.get("id") if isinstance(written, dict) else None
        if key is None and str(cell.get("id", "")).startswith("written-"):
            key = cell["id"][len("written-") :]
        if key is not None and key not in found:
            text = cell.get("source", "")
            found[key] = "".join(text) if isinstance(text, list) else text
    return found


def written_report(namespace, questions, wait_s):
    """Lines saying which written answers (``questions``: their ids) are still empty; ``wait_s``
    how long Colab may take to hand the notebook over."""
    cells = _notebook_cells(namespace, wait_s)
    if cells is None:
        return [
            f"Written answers ({', '.join(questions)}): the self-check cannot read this notebook"
            " here; save it, and make sure each one is filled in."
        ]
    answers = _answers(cells)
    empty = [q for q in questions if q in answers and _is_empty(answers[q])]
    gone = [q for q in questions if q not in answers]
    lines = [
        f"{len(questions) - len(empty) - len(gone)} of {len(questions)} written answers"
        " filled in (a person marks them; save the notebook before you check)."
    ]
    if empty:
        lines.append(f"Still empty: {', '.join(empty)}.")
    if gone:
        lines.append(
            f"No answer cell for {', '.join(gone)}: it was deleted; copy it back from the"
            " released notebook."
        )
    return lines


def with_written_answers(check, namespace, questions, graded, wait_s):
    """``check`` that, called without a name, also reports the written answers; ``graded``:
    whether the notebook has auto-graded functions at all."""

    def checked(name=None):
        if graded or name is not None:
            check(name)
        if name is None:
            for line in written_report(namespace, questions, wait_s):
                print(line)

    checked.__doc__ = check.__doc__
    return checked
