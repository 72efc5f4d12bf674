"""The reference LSTM against PyTorch, finite differences, autograd and a published vector."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from assignment_kit import numerical_gradient
from hypothesis import given, settings
from hypothesis import strategies as st

import reference_lstm as ref

rng = np.random.default_rng(1234)


def random_problem(T=4, N=3, D=5, H=6, seed=0, dtype=np.float64):
    g = np.random.default_rng(seed)
    params = ref.init_params(D, H, g, scale=0.8, dtype=dtype)
    x = g.standard_normal((T, N, D)).astype(dtype)
    h0 = g.standard_normal((N, H)).astype(dtype)
    c0 = g.standard_normal((N, H)).astype(dtype)
    return x, h0, c0, params


def torch_lstm(D, H, batch_first=False, bias=True):
    torch.manual_seed(7)
    module = torch.nn.LSTM(D, H, batch_first=batch_first, bias=bias, dtype=torch.float64)
    with torch.no_grad():  # PyTorch's default init is too tame to exercise saturation
        for p in module.parameters():
            p.uniform_(-1.5, 1.5)
    return module


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_forward_matches_torch_lstm(batch_first, bias):
    T, N, D, H = 7, 4, 3, 5
    module = torch_lstm(D, H, batch_first, bias)
    x, h0, c0, _ = random_problem(T, N, D, H)
    params = ref.from_torch(module)

    h_seq, c_seq = ref.lstm_forward(x, h0, c0, params)

    x_t = torch.from_numpy(x.transpose(1, 0, 2).copy() if batch_first else x)
    out, (h_n, c_n) = module(x_t, (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]))
    out = out.detach().numpy()
    out = out.transpose(1, 0, 2) if batch_first else out
    assert np.max(np.abs(h_seq - out)) < 1e-10
    assert np.max(np.abs(h_seq[-1] - h_n[0].detach().numpy())) < 1e-10
    assert np.max(np.abs(c_seq[-1] - c_n[0].detach().numpy())) < 1e-10


def test_cell_matches_torch_lstm_cell():
    N, D, H = 5, 6, 3
    torch.manual_seed(3)
    cell = torch.nn.LSTMCell(D, H, dtype=torch.float64)
    x, h0, c0, _ = random_problem(1, N, D, H, seed=5)
    params = ref.from_torch(cell)

    h_t, c_t = ref.lstm_cell(x[0], h0, c0, params)

    th, tc = cell(torch.from_numpy(x[0]), (torch.from_numpy(h0), torch.from_numpy(c0)))
    assert np.max(np.abs(h_t - th.detach().numpy())) < 1e-10
    assert np.max(np.abs(c_t - tc.detach().numpy())) < 1e-10


def test_to_torch_round_trips():
    module = torch_lstm(4, 3)
    params = ref.from_torch(module)
    rebuilt = ref.to_torch(params)
    again = ref.from_torch(rebuilt)
    for key in ref.PARAM_KEYS:
        np.testing.assert_allclose(again[key], params[key], rtol=0, atol=1e-15)
    x = torch.randn(6, 2, 4, dtype=torch.float64)
    np.testing.assert_allclose(
        rebuilt(x)[0].detach().numpy(), module(x)[0].detach().numpy(), atol=1e-12
    )


def test_from_torch_refuses_stacked_lstm():
    with pytest.raises(ValueError, match="num_layers=2"):
        ref.from_torch(torch.nn.LSTM(3, 2, num_layers=2))


def loss(x, h0, c0, params, dh_seq):
    return float(np.sum(ref.lstm_forward(x, h0, c0, params)[0] * dh_seq))


def rel_error(a, b):
    return np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))


def test_grads_match_finite_differences():
    x, h0, c0, params = random_problem(T=3, N=2, D=3, H=4, seed=11)
    dh_seq = np.random.default_rng(12).standard_normal((3, 2, 4))
    grads = ref.lstm_grads(x, h0, c0, params, dh_seq)
    inputs = {"x": x, "h0": h0, "c0": c0, **params}
    for key, array in inputs.items():
        numeric = numerical_gradient(lambda: loss(x, h0, c0, params, dh_seq), array)
        assert grads[key].shape == array.shape
        # Norm-wise: an entry near 0 has a relative error of rounding noise in any check.
        error = np.linalg.norm(grads[key] - numeric) / (
            np.linalg.norm(grads[key]) + np.linalg.norm(numeric)
        )
        assert error < 1e-7, key


def test_grads_match_torch_autograd():
    T, N, D, H = 6, 3, 4, 5
    x, h0, c0, _ = random_problem(T, N, D, H, seed=21)
    module = torch_lstm(D, H)
    params = ref.from_torch(module)
    dh_seq = np.random.default_rng(22).standard_normal((T, N, H))

    grads = ref.lstm_grads(x, h0, c0, params, dh_seq)

    tx, th, tc = (torch.tensor(a, requires_grad=True) for a in (x, h0[None], c0[None]))
    out, _ = module(tx, (th, tc))
    (out * torch.from_numpy(dh_seq)).sum().backward()
    assert np.max(np.abs(grads["x"] - tx.grad.numpy())) < 1e-10
    assert np.max(np.abs(grads["h0"] - th.grad[0].numpy())) < 1e-10
    assert np.max(np.abs(grads["c0"] - tc.grad[0].numpy())) < 1e-10
    # PyTorch's two biases both receive the bias gradient; its rows are i, f, g, o.
    torch_db = module.bias_ih_l0.grad.numpy()
    ours_db = np.concatenate([grads[k] for k in ("b_i", "b_f", "b_c", "b_o")])
    assert np.max(np.abs(torch_db - ours_db)) < 1e-10
    torch_dw = np.concatenate(
        [module.weight_ih_l0.grad.numpy(), module.weight_hh_l0.grad.numpy()], axis=1
    )
    ours_dw = np.concatenate([grads[k] for k in ("W_i", "W_f", "W_c", "W_o")])
    assert np.max(np.abs(torch_dw - ours_dw)) < 1e-10


def test_cs231n_lstm_step_forward_vector():
    """The lstm_step_forward check of Stanford CS231n, assignment 3 (LSTM_Captioning.ipynb).

    CS231n packs Wx (D, 4H), Wh (H, 4H), b (4H,) with the gates in the order i, f, o, g;
    the course's W_k (H, D+H) is [Wx_k; Wh_k] transposed.
    """
    N, D, H = 3, 4, 5
    x = np.linspace(-0.4, 1.2, num=N * D).reshape(N, D)
    prev_h = np.linspace(-0.3, 0.7, num=N * H).reshape(N, H)
    prev_c = np.linspace(-0.4, 0.9, num=N * H).reshape(N, H)
    Wx = np.linspace(-2.1, 1.3, num=4 * D * H).reshape(D, 4 * H)
    Wh = np.linspace(-0.7, 2.2, num=4 * H * H).reshape(H, 4 * H)
    b = np.linspace(0.3, 0.7, num=4 * H)
    params = {}
    for block, gate in enumerate("ifoc"):
        cols = slice(block * H, (block + 1) * H)
        params[f"W_{gate}"] = np.concatenate([Wx[:, cols], Wh[:, cols]], axis=0).T
        params[f"b_{gate}"] = b[cols]

    next_h, next_c = ref.lstm_cell(x, prev_h, prev_c, params)

    expected_next_h = np.asarray(
        [
            [0.24635157, 0.28610883, 0.32240467, 0.35525807, 0.38474904],
            [0.49223563, 0.55611431, 0.61507696, 0.66844003, 0.7159181],
            [0.56735664, 0.66310127, 0.74419266, 0.80889665, 0.858299],
        ]
    )
    expected_next_c = np.asarray(
        [
            [0.32986176, 0.39145139, 0.451556, 0.51014116, 0.56717407],
            [0.66382255, 0.76674007, 0.87195994, 0.97902709, 1.08751345],
            [0.74192008, 0.90592151, 1.07717006, 1.25120233, 1.42395676],
        ]
    )
    assert rel_error(next_h, expected_next_h) < 1e-7
    assert rel_error(next_c, expected_next_c) < 1e-7


def test_sigmoid_is_stable_for_large_inputs():
    z = np.array([-1e3, -50.0, 0.0, 50.0, 1e3])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = ref.sigmoid(z)
    np.testing.assert_allclose(s, [0.0, 1.9287498479639178e-22, 0.5, 1.0, 1.0], rtol=1e-12)


def test_float32_in_float32_out():
    x, h0, c0, params = random_problem(dtype=np.float32)
    h_seq, c_seq = ref.lstm_forward(x, h0, c0, params)
    assert h_seq.dtype == np.float32 and c_seq.dtype == np.float32
    h64, _ = ref.lstm_forward(x.astype(np.float64), h0, c0, params)
    assert h64.dtype == np.float64
    assert ref.forget_gate(x[0], h0, params["W_f"], params["b_f"]).dtype == np.float32


def test_wrong_shapes_name_the_argument():
    x, h0, c0, params = random_problem(T=2, N=3, D=5, H=6)
    with pytest.raises(ValueError, match=r"W_f has shape \(11, 6\), expected \(6, 11\)"):
        ref.forget_gate(x[0], h0, params["W_f"].T, params["b_f"])
    with pytest.raises(ValueError, match=r"h_prev has shape \(6, 3\), expected \(3, 6\)"):
        ref.input_gate(x[0], h0.T, params["W_i"], params["b_i"])
    with pytest.raises(ValueError, match=r"x has shape \(3, 5\), expected 3 dimensions"):
        ref.lstm_forward(x[0], h0, c0, params)
    with pytest.raises(ValueError, match="params is missing W_o"):
        ref.lstm_cell(x[0], h0, c0, {k: v for k, v in params.items() if k != "W_o"})


def test_cell_state_and_hidden_state_equations():
    c_prev = np.array([[1.0, -2.0]])
    f, i, c_hat, o = (
        np.array([[0.5, 1.0]]),
        np.array([[0.25, 0.0]]),
        np.array([[0.8, 0.3]]),
        np.array([[0.9, 0.1]]),
    )
    c_t = ref.cell_state(c_prev, f, i, c_hat)
    np.testing.assert_allclose(c_t, [[0.5 + 0.2, -2.0]])
    np.testing.assert_allclose(ref.hidden_state(o, c_t), o * np.tanh(c_t))


def test_gradient_flow_vanishes_and_explodes_in_rnn_not_lstm():
    vanish, carry, explode = (ref.rnn_gradient_norms(w, T_max=100) for w in (0.9, 1.0, 1.1))
    assert vanish[-1] < 1e-3 * vanish[0]
    assert 0.9 < carry[-1] / carry[0] < 1.1
    assert explode[-1] > 1e3 * explode[0]
    lstm = ref.lstm_gradient_norms(T_max=100)
    assert lstm[-1] > 0.1 * lstm[0]  # carried by the cell state across 100 steps
    assert lstm[-1] > 100 * vanish[-1] * lstm[0] / vanish[0]


dims = st.integers(min_value=1, max_value=6)


@settings(max_examples=40, deadline=None)
@given(
    T=st.integers(1, 5),
    N=dims,
    D=dims,
    H=dims,
    seed=st.integers(0, 2**31 - 1),
    scale=st.floats(0.01, 20.0),
)
def test_properties_shapes_and_ranges(T, N, D, H, seed, scale):
    g = np.random.default_rng(seed)
    params = ref.init_params(D, H, g, scale=scale)
    x = scale * g.standard_normal((T, N, D))
    h0, c0 = g.uniform(-1, 1, (N, H)), g.standard_normal((N, H))
    h_seq, c_seq = ref.lstm_forward(x, h0, c0, params)
    assert h_seq.shape == c_seq.shape == (T, N, H)
    assert np.all(np.abs(h_seq) < 1)
    # Gates stay strictly inside (0, 1) wherever float64 can still tell them from 0 and 1.
    for gate, key in ((ref.forget_gate, "f"), (ref.input_gate, "i"), (ref.output_gate, "o")):
        g_t = gate(x[0], h0, params[f"W_{key}"], params[f"b_{key}"])
        assert g_t.shape == (N, H)
        assert np.all((g_t >= 0) & (g_t <= 1))
    moderate = ref.forget_gate(
        x[0] / (1 + scale * 10), h0 * 0, params["W_f"] / (1 + scale), params["b_f"] * 0
    )
    assert np.all((moderate > 0) & (moderate < 1))


def test_batch_of_one_matches_rows_of_a_batch():
    x, h0, c0, params = random_problem(T=3, N=4, D=2, H=3, seed=9)
    h_all, _ = ref.lstm_forward(x, h0, c0, params)
    for n in range(4):
        h_one, _ = ref.lstm_forward(x[:, n : n + 1], h0[n : n + 1], c0[n : n + 1], params)
        np.testing.assert_allclose(h_one[:, 0], h_all[:, n], atol=1e-14)
