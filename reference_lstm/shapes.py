"""Shape checks that name the argument, the shape received and the shape expected."""

from __future__ import annotations

import numpy as np


def as_array(name: str, value: object, ndim: int) -> np.ndarray:
    """``value`` as a floating array of ``ndim`` dimensions, or ValueError naming ``name``.

    float32 stays float32; every other input becomes float64.
    """
    array = np.asarray(value)
    if array.dtype != np.float32:
        array = array.astype(np.float64, copy=False)
    if array.ndim != ndim:
        raise ValueError(
            f"{name} has shape {array.shape}, expected {ndim} dimensions ({_dims_hint(ndim)})"
        )
    return array


def expect_shape(name: str, array: np.ndarray, expected: tuple[int, ...]) -> None:
    """Raise ValueError unless ``array.shape == expected``."""
    if array.shape != tuple(expected):
        raise ValueError(f"{name} has shape {array.shape}, expected {tuple(expected)}")


def _dims_hint(ndim: int) -> str:
    return {1: "(H,)", 2: "(N, D) or (N, H)", 3: "(T, N, D)"}.get(ndim, f"{ndim}-D")


def result_dtype(*arrays: np.ndarray) -> np.dtype:
    """float32 when every input is float32, else float64."""
    if all(a.dtype == np.float32 for a in arrays):
        return np.dtype(np.float32)
    return np.dtype(np.float64)
