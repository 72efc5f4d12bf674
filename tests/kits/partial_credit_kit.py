"""A notebook whose partial credit depends on the cases drawn, for the tests that the same
hand-in graded again keeps its score (issue 89): lstm_gates right but for gates that clip their
pre-activation, which are wrong only on the cases whose values stray past the clip."""

from __future__ import annotations

from pathlib import Path

import nbformat

SAMPLES = Path(__file__).resolve().parents[2] / "examples" / "lstm_gates"
GATES = {"forget_gate": "W_f", "input_gate": "W_i", "output_gate": "W_o"}


def clipping(limit: float) -> bytes:
    """A full-marks notebook whose gates clip their pre-activation to [-limit, limit] "so that
    exp cannot overflow": right on a case whose gate inputs stay inside, wrong on one that
    strays, so each gate's points depend on the values drawn."""
    notebook = nbformat.read(SAMPLES / "asha.ipynb", as_version=4)
    for cell in notebook.cells:
        for gate, weights in GATES.items():
            if cell.cell_type == "code" and cell.source.startswith(f"def {gate}("):
                right = f"return sigmoid(xh @ {weights}.T + b_{weights[-1]})"
                assert right in cell.source
                cell.source = cell.source.replace(
                    right,
                    f"z = xh @ {weights}.T + b_{weights[-1]}\n"
                    f"    z = np.clip(z, -{limit}, {limit})  # so that exp cannot overflow\n"
                    "    return sigmoid(z)",
                )
    return nbformat.writes(notebook).encode()
