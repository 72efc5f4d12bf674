"""The report's figure: how far back a gradient reaches in a plain RNN and in an LSTM, from the
course's reference (used by ``make demo``, step 1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import reference_lstm as ref

GRADIENT_STEPS = (1, 10, 25, 50, 100)


def make_figure(out: Path) -> Path:
    """Plot |d h_T / d x_1| against T for RNNs and the LSTM; print the plotted figures."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    T = np.arange(1, 101)
    curves = {
        f"vanilla RNN, W_rec = {w:g}": ref.rnn_gradient_norms(w, T_max=100) for w in (0.9, 1.0, 1.1)
    }
    curves["LSTM, forget gate ≈ 0.99"] = ref.lstm_gradient_norms(forget_bias=5.0, T_max=100)

    print("Gradient norm |d h_T / d x_1| over T steps")
    print("  " + "model".ljust(30) + "".join(f"T={t:<10d}" for t in GRADIENT_STEPS))
    for label, norms in curves.items():
        print("  " + label.ljust(30) + "".join(f"{norms[t - 1]:<12.3g}" for t in GRADIENT_STEPS))

    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=150)
    for (label, norms), style in zip(curves.items(), ("--", "-.", ":", "-"), strict=True):
        ax.semilogy(T, norms, style, linewidth=2, label=label)
    ax.set_xlabel("time steps T between the input and the output")
    ax.set_ylabel("gradient norm (log scale)")
    ax.set_title("Vanishing and exploding gradients: plain RNN against LSTM")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = out / "gradient_flow.png"
    fig.savefig(path)
    plt.close(fig)
    print(f"wrote {path}")
    return path
