"""assignments/lstm_backward: the reference against torch autograd and finite differences, the
cases, the known mistakes, the composite, and the source notebook's own solutions."""

from __future__ import annotations

import assignment_kit as kit
import numpy as np
import pytest
import torch

import reference_lstm as ref
from reference_lstm.torch_interop import TORCH_GATE_ORDER

NAME = "lstm_backward"
grading = kit.load_grading(NAME)
REFERENCE = grading.REFERENCE
SIZES = [(1, 1, 2, 3), (5, 1, 3, 4), (4, 3, 5, 2), (6, 2, 4, 4)]  # (T, N, D, H)


def problem(T, N, D, H, seed=0):
    rng = np.random.default_rng(seed)
    params = ref.init_params(D, H, rng, scale=1.2)  # some gates saturate: s(1-s) far from 1/4
    x = rng.standard_normal((T, N, D))
    h0, c0 = rng.uniform(-0.9, 0.9, (N, H)), 2.0 * rng.standard_normal((N, H))
    return x, h0, c0, params, rng


def torch_grads(x, h0, c0, params, loss) -> dict[str, np.ndarray]:
    """Autograd through nn.LSTM with the course's weights: the gradients of
    ``loss(h_seq, c_last)`` under the course's keys (x, h0, c0, W_*, b_*)."""
    module = ref.to_torch(params)
    x_t, h0_t, c0_t = (torch.tensor(a, requires_grad=True) for a in (x, h0[None], c0[None]))
    h_seq, (_, c_last) = module(x_t, (h0_t, c0_t))
    loss(h_seq, c_last[0]).backward()
    H = h0.shape[1]
    weights = torch.cat([module.weight_ih_l0.grad, module.weight_hh_l0.grad], dim=1).numpy()
    bias = module.bias_ih_l0.grad.numpy()
    grads = {"x": x_t.grad.numpy(), "h0": h0_t.grad[0].numpy(), "c0": c0_t.grad[0].numpy()}
    for block, gate in enumerate(TORCH_GATE_ORDER):
        grads[f"W_{gate}"] = weights[block * H : (block + 1) * H]
        grads[f"b_{gate}"] = bias[block * H : (block + 1) * H]
    return grads


def assert_same(got: dict, want: dict, tolerance: float) -> None:
    assert got.keys() == want.keys()
    for key in want:
        assert got[key].shape == want[key].shape, key
        assert np.max(np.abs(got[key] - want[key])) < tolerance, key


# --- the reference -----------------------------------------------------------------------------


@pytest.mark.parametrize("T, N, D, H", SIZES)
def test_step_backward_is_torch_autograd(T, N, D, H):
    x, h0, c0, params, rng = problem(1, N, D, H, seed=T)
    dh, dc = rng.standard_normal((2, N, H))
    got = REFERENCE["lstm_step_backward"](x[0], h0, c0, params, dh, dc)
    want = torch_grads(
        x,
        h0,
        c0,
        params,
        lambda h_seq, c: (h_seq[0] * torch.from_numpy(dh)).sum() + (c * torch.from_numpy(dc)).sum(),
    )
    want["x_t"], want["h_prev"], want["c_prev"] = want.pop("x")[0], want.pop("h0"), want.pop("c0")
    assert_same(got, want, 1e-12)


@pytest.mark.parametrize("T, N, D, H", SIZES)
def test_step_backward_is_finite_differences(T, N, D, H):
    x, h0, c0, params, rng = problem(1, N, D, H, seed=10 + T)
    x_t = x[0]
    dh, dc = rng.standard_normal((2, N, H))
    got = REFERENCE["lstm_step_backward"](x_t, h0, c0, params, dh, dc)

    def loss():
        h, c = ref.lstm_cell(x_t, h0, c0, params)
        return float(np.sum(h * dh + c * dc))

    for key, array in {"x_t": x_t, "h_prev": h0, "c_prev": c0, **params}.items():
        assert np.max(np.abs(got[key] - kit.numerical_gradient(loss, array))) < 1e-7, key


@pytest.mark.parametrize("T, N, D, H", SIZES)
def test_lstm_backward_is_torch_autograd_and_finite_differences(T, N, D, H):
    x, h0, c0, params, rng = problem(T, N, D, H, seed=20 + T)
    dh_seq = rng.standard_normal((T, N, H))
    got = REFERENCE["lstm_backward"](x, h0, c0, params, dh_seq)
    weights = torch.from_numpy(dh_seq)
    assert_same(got, torch_grads(x, h0, c0, params, lambda h, c: (h * weights).sum()), 1e-12)

    def loss():
        return float(np.sum(ref.lstm_forward(x, h0, c0, params)[0] * dh_seq))

    for key, array in {"x": x, "h0": h0, "c0": c0, **params}.items():
        assert np.max(np.abs(got[key] - kit.numerical_gradient(loss, array))) < 1e-7, key


def test_lstm_backward_is_exactly_what_lstm_grads_returns():
    """The replaceable-equation backward pass the mistakes are built from is, untouched, the
    trusted reference_lstm.lstm_grads: the variants differ from it by their mistake only."""
    assert REFERENCE["lstm_backward"] is ref.lstm_grads
    for case in kit.cases_for(NAME, "lstm_backward", 2):
        assert kit.close(grading.LSTMBackward().backward(*case.args), ref.lstm_grads(*case.args))


def test_float32_inputs_give_float32_gradients_close_to_float64():
    x, h0, c0, params, rng = problem(4, 3, 2, 5)
    dh, dc = rng.standard_normal((2, 3, 5))
    single = {k: v.astype(np.float32) for k, v in params.items()}
    args32 = (x[0].astype(np.float32), h0.astype(np.float32), c0.astype(np.float32))
    got = REFERENCE["lstm_step_backward"](
        *args32, single, *(a.astype(np.float32) for a in (dh, dc))
    )
    assert {value.dtype for value in got.values()} == {np.dtype(np.float32)}
    assert kit.close(got, REFERENCE["lstm_step_backward"](x[0], h0, c0, params, dh, dc))


# --- the cases ---------------------------------------------------------------------------------


@pytest.mark.parametrize("function", list(REFERENCE))
def test_cases_vary_the_sizes_and_include_a_batch_of_one(function):
    cases = kit.cases_for(NAME, function, 1)
    assert len(cases) == 4
    shapes = [np.shape(case.args[0]) for case in cases]
    assert len(set(shapes)) == 4 and 1 in [shape[-2] for shape in shapes]
    for case, shape in zip(cases, shapes, strict=True):
        assert f"N={shape[-2]}, D={shape[-1]}" in case.label
        got = REFERENCE[function](*case.args)
        assert set(got) >= set(ref.PARAM_KEYS)


# --- the mistakes ------------------------------------------------------------------------------


def test_every_mistake_shows_where_it_can():
    """A variant differs from the reference beyond the tolerance on every case, except where a
    single step (T=1) leaves nothing to sum over time or to carry back."""
    for (code, function), labels in kit.indistinguishable_cases(NAME).items():
        assert all(label.startswith("T=1,") for label in labels), (code, function, labels)


def test_the_issues_mistakes_are_there():
    codes = {m.code for m in grading.MISTAKES}
    assert {
        "tanh-derivative-forgotten",
        "sigmoid-derivative-as-s",
        "forget-path-dropped",
        "dW-transposed",
        "dW-not-summed-over-time",
        "dW-blocks-swapped",
    } <= codes
