"""assignments/rnn_gradients: the reference against torch and finite differences, the cases,
the known mistakes, the composites, and the source notebook's own solutions."""

from __future__ import annotations

import assignment_kit as kit
import numpy as np
import pytest
import torch

NAME = "rnn_gradients"
grading = kit.load_grading(NAME)
REFERENCE = grading.REFERENCE


def problem(T, N, D, H, seed=0):
    rng = np.random.default_rng(seed)
    params = grading.random_params(rng, D, H)
    params["W_hh"] *= 1.5  # some units saturate: tanh' far from 1
    x = rng.standard_normal((T, N, D))
    h0 = rng.uniform(-0.9, 0.9, (N, H))
    return x, h0, params, rng.standard_normal((T, N, H))


def torch_rnn(params) -> torch.nn.RNN:
    """torch.nn.RNN (tanh, time first) with the course's weights; the whole bias in bias_ih."""
    H, D = params["W_xh"].shape
    module = torch.nn.RNN(D, H, nonlinearity="tanh", dtype=torch.float64)
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(params["W_xh"]))
        module.weight_hh_l0.copy_(torch.from_numpy(params["W_hh"]))
        module.bias_ih_l0.copy_(torch.from_numpy(params["b_h"]))
        module.bias_hh_l0.zero_()
    return module


def torch_grads(x, h0, params, dh_seq) -> dict[str, np.ndarray]:
    """The gradients of sum(h_seq * dh_seq) by torch autograd through nn.RNN."""
    module = torch_rnn(params)
    x_t = torch.tensor(x, requires_grad=True)
    h0_t = torch.tensor(h0[None], requires_grad=True)
    h_seq, _ = module(x_t, h0_t)
    (h_seq * torch.from_numpy(dh_seq)).sum().backward()
    return {
        "x": x_t.grad.numpy(),
        "h0": h0_t.grad[0].numpy(),
        "W_xh": module.weight_ih_l0.grad.numpy(),
        "W_hh": module.weight_hh_l0.grad.numpy(),
        "b_h": module.bias_ih_l0.grad.numpy(),
    }


SIZES = [(1, 1, 2, 3), (5, 1, 3, 4), (4, 3, 5, 2), (7, 2, 4, 4)]  # (T, N, D, H)


# --- the reference -----------------------------------------------------------------------------


@pytest.mark.parametrize("T, N, D, H", SIZES)
def test_step_and_forward_are_torch_rnn(T, N, D, H):
    x, h0, params, _ = problem(T, N, D, H)
    with torch.no_grad():
        want, _ = torch_rnn(params)(torch.from_numpy(x), torch.from_numpy(h0[None]))
    h_seq = REFERENCE["rnn_forward"](x, h0, params)
    assert h_seq.shape == (T, N, H)
    assert np.max(np.abs(h_seq - want.numpy())) < 1e-12
    first = REFERENCE["rnn_step"](x[0], h0, params["W_xh"], params["W_hh"], params["b_h"])
    assert np.max(np.abs(first - h_seq[0])) < 1e-15


@pytest.mark.parametrize("T, N, D, H", SIZES)
def test_backward_is_torch_autograd(T, N, D, H):
    x, h0, params, dh_seq = problem(T, N, D, H, seed=T)
    got = REFERENCE["rnn_backward"](x, h0, params, dh_seq)
    want = torch_grads(x, h0, params, dh_seq)
    assert got.keys() == want.keys()
    for key in want:
        assert got[key].shape == want[key].shape, key
        assert np.max(np.abs(got[key] - want[key])) < 1e-12, key


@pytest.mark.parametrize("T, N, D, H", SIZES)
def test_backward_is_finite_differences(T, N, D, H):
    x, h0, params, dh_seq = problem(T, N, D, H, seed=10 + T)
    got = REFERENCE["rnn_backward"](x, h0, params, dh_seq)

    def loss():
        return float(np.sum(REFERENCE["rnn_forward"](x, h0, params) * dh_seq))

    for key, array in [("x", x), ("h0", h0), *params.items()]:
        assert np.max(np.abs(got[key] - kit.numerical_gradient(loss, array))) < 1e-7, key


@pytest.mark.parametrize("T, N, D, H", SIZES)
def test_gradient_norms_are_autograd_and_finite_differences(T, N, D, H):
    x, h0, params, _ = problem(T, N, D, H, seed=20 + T)
    got = REFERENCE["gradient_norms"](x, h0, params)

    x_t = torch.tensor(x, requires_grad=True)
    h_seq, _ = torch_rnn(params)(x_t, torch.from_numpy(h0[None]))
    h_seq[-1].sum().backward()
    by_autograd = np.linalg.norm(x_t.grad.numpy().reshape(T, -1), axis=1)

    def last_state_sum():
        return float(REFERENCE["rnn_forward"](x, h0, params)[-1].sum())

    by_differences = np.linalg.norm(
        kit.numerical_gradient(last_state_sum, x).reshape(T, -1), axis=1
    )
    assert got.shape == (T,)
    assert np.max(np.abs(got - by_autograd)) < 1e-12
    assert np.max(np.abs(got - by_differences)) < 1e-7


@pytest.mark.parametrize(
    "w_rec, low, high", [(0.9, 0.85, 0.95), (1.0, 0.99, 1.01), (1.1, 1.05, 1.15)]
)
def test_the_notes_experiment_vanishes_carries_explodes(w_rec, low, high):
    """W_hh = w_rec * I near the origin: each step back multiplies the norm by about w_rec."""
    rng = np.random.default_rng(0)
    T, N, D, H = 40, 1, 4, 8
    x = 1e-6 * rng.standard_normal((T, N, D))
    params = {
        "W_xh": rng.standard_normal((H, D)),
        "W_hh": w_rec * np.eye(H),
        "b_h": np.zeros(H),
    }
    norms = REFERENCE["gradient_norms"](x, np.zeros((N, H)), params)
    per_step = (norms[0] / norms[-1]) ** (1 / (T - 1))
    assert low < per_step < high


# --- the cases ---------------------------------------------------------------------------------


@pytest.mark.parametrize("function", list(REFERENCE))
def test_cases_vary_the_sizes_and_include_a_batch_of_one(function):
    cases = kit.cases_for(NAME, function, 1)
    assert len(cases) == 4
    shapes = [np.shape(case.args[0]) for case in cases]
    assert len(set(shapes)) == 4
    batch = [shape[0] if function == "rnn_step" else shape[1] for shape in shapes]
    assert 1 in batch
    for case, shape in zip(cases, shapes, strict=True):
        *T, N, D = shape
        assert f"N={N}, D={D}" in case.label and (not T or f"T={T[0]}" in case.label)
        REFERENCE[function](*case.args)  # every case is a valid call


# --- the mistakes ------------------------------------------------------------------------------


def test_every_mistake_shows_where_it_can():
    """A variant differs from the reference beyond the tolerance on every case with N > 1 and
    T > 1, and on at least three of the four, so its hint can fire."""
    for (code, function), labels in kit.indistinguishable_cases(NAME).items():
        assert len(labels) <= 1, (code, function, labels)
        assert all("N=1" in label or "T=1," in label for label in labels), (code, function)


def test_the_issues_mistakes_are_there():
    codes = {m.code for m in grading.MISTAKES}
    assert {
        "missing-tanh-derivative",
        "gradient-not-accumulated",
        "W_hh-transposed-backward",
        "dh0-not-returned",
        "batch-sum-forgotten",
    } <= codes
