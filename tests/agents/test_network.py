"""The numpy MLP: gradients against finite differences, shapes, init, and a small fit."""

import numpy as np
import pytest

from mesatoys.agents.network import (
    MLP,
    cross_entropy,
    log_softmax,
    matmul_one_thread,
    softmax,
    t_matmul_one_thread,
)
from mesatoys.optimize import Adam


def _net(sizes, seed=0):
    """A float64 network with non-zero biases, so that every gradient term is exercised."""
    rng = np.random.default_rng(seed)
    net = MLP.init(sizes, rng, dtype=np.float64)
    for b in net.biases:
        b[:] = rng.standard_normal(b.shape) * 0.1
    return net


def _numeric_grads(net, loss_of_net, eps=1e-6):
    """Central finite differences of a scalar loss, parameter by parameter."""
    grads = []
    for p in net.params:
        g = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + eps
            up = loss_of_net()
            p[i] = old - eps
            down = loss_of_net()
            p[i] = old
            g[i] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


@pytest.mark.parametrize("sizes", [[3, 5], [4, 6, 3], [3, 5, 4, 2]])
def test_backward_matches_finite_differences(sizes):
    net = _net(sizes)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((7, sizes[0]))
    upstream = rng.standard_normal((7, sizes[-1]))  # dL/dlogits of L = sum(upstream * logits)

    def loss():
        return float((upstream * net.forward(x)).sum())

    _, hidden = net.forward(x, return_hidden=True)
    analytic = net.backward(x, hidden, upstream)
    for a, n in zip(analytic, _numeric_grads(net, loss), strict=True):
        assert a.shape == n.shape
        np.testing.assert_allclose(a, n, rtol=1e-5, atol=1e-7)


def test_leading_axes_are_kept_and_summed_over_in_the_gradients():
    net = _net([3, 4, 2])
    x = np.random.default_rng(2).standard_normal((2, 5, 3))
    logits, hidden = net.forward(x, return_hidden=True)
    assert logits.shape == (2, 5, 2) and hidden[0].shape == (2, 5, 4)
    d = np.ones((2, 5, 2))
    flat = net.backward(x.reshape(10, 3), [h.reshape(10, 4) for h in hidden], d.reshape(10, 2))
    for a, b in zip(net.backward(x, hidden, d), flat, strict=True):
        np.testing.assert_allclose(a, b)


def test_hidden_activations_are_the_relu_of_the_first_layer():
    net = _net([3, 4, 2])
    x = np.random.default_rng(3).standard_normal((6, 3))
    _, (h,) = net.forward(x, return_hidden=True)
    np.testing.assert_allclose(h, np.maximum(x @ net.weights[0] + net.biases[0], 0.0))
    assert (h >= 0).all() and (h == 0).any()


def test_forward_from_and_backward_to_are_forward_and_backward_after_the_first_layer():
    net = _net([3, 6, 4, 2])
    x = np.random.default_rng(4).standard_normal((5, 3))
    pre = x @ net.weights[0] + net.biases[0]
    np.testing.assert_allclose(net.forward_from(pre), net.forward(x))
    _, hidden = net.forward(x, return_hidden=True)
    d = np.random.default_rng(5).standard_normal((5, 2))
    dpre, rest = net.backward_to(hidden, d)
    full = net.backward(x, hidden, d)
    np.testing.assert_allclose(x.T @ dpre, full[0])
    for a, b in zip(rest, full[2:], strict=True):
        np.testing.assert_allclose(a, b)


def test_init_is_he_normal_with_zero_biases_and_seeded():
    net = MLP.init([400, 300, 5], np.random.default_rng(0))
    assert net.sizes == [400, 300, 5] and net.weights[0].dtype == np.float32
    assert net.weights[0].std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert net.weights[1].std() == pytest.approx(np.sqrt(2 / 300), rel=0.1)
    assert all((b == 0).all() for b in net.biases)
    again = MLP.init([400, 300, 5], np.random.default_rng(0))
    assert all(np.array_equal(a, b) for a, b in zip(net.params, again.params, strict=True))


def test_params_are_the_arrays_themselves():
    net = _net([2, 3, 2])
    net.params[0][0, 0] = 42.0
    assert net.weights[0][0, 0] == 42.0
    assert [p.shape for p in net.params] == [(2, 3), (3,), (3, 2), (2,)]


@pytest.mark.parametrize(
    ("sizes", "message"),
    [([5], "at least an input and an output"), ([5, 0, 2], r"sizes\[1\] must be an integer >= 1")],
)
def test_bad_sizes(sizes, message):
    with pytest.raises(ValueError, match=message):
        MLP.init(sizes, np.random.default_rng(0))


def test_softmax_and_log_softmax_against_the_definition():
    logits = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(softmax(logits), expected)
    np.testing.assert_allclose(log_softmax(logits), np.log(expected))
    huge = log_softmax(np.array([1000.0, 0.0]))
    assert np.isfinite(huge).all() and huge[0] == pytest.approx(0.0)


def test_cross_entropy_value_and_gradient():
    rng = np.random.default_rng(6)
    logits = rng.standard_normal((4, 3))
    targets = np.array([[1, 0, 0], [0.5, 0.5, 0], [0, 0, 1], [0, 1, 0]], dtype=float)
    weights = np.array([1.0, 1.0, 0.0, 2.0])
    loss, grad = cross_entropy(logits, targets, weights)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    per_row = -(targets * np.log(p)).sum(axis=1)
    assert loss == pytest.approx((per_row * weights).sum() / weights.sum())
    eps, numeric = 1e-6, np.zeros_like(logits)
    for i in np.ndindex(logits.shape):
        bump = np.zeros_like(logits)
        bump[i] = eps
        up = cross_entropy(logits + bump, targets, weights)[0]
        numeric[i] = (up - cross_entropy(logits - bump, targets, weights)[0]) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, atol=1e-7)
    assert (grad[2] == 0).all()  # weight 0: left out


def test_an_mlp_learns_xor_with_adam():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    targets = np.eye(2, dtype=np.float32)[[0, 1, 1, 0]]
    net = MLP.init([2, 16, 2], np.random.default_rng(0))
    adam = Adam(net.params, learning_rate=0.05)
    for _ in range(300):
        logits, hidden = net.forward(x, return_hidden=True)
        _, d = cross_entropy(logits, targets)
        adam.step(net.backward(x, hidden, d))
    assert net.forward(x).argmax(axis=1).tolist() == [0, 1, 1, 0]


@pytest.mark.parametrize(("rows", "inner", "cols"), [(3, 4, 5), (5000, 64, 4), (300, 49, 64)])
def test_products_in_one_thread_blocks_equal_the_plain_products(rows, inner, cols):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((rows, inner)), rng.standard_normal((inner, cols))
    np.testing.assert_allclose(matmul_one_thread(a, b), a @ b, rtol=1e-12, atol=1e-12)
    c = rng.standard_normal((rows, cols))
    np.testing.assert_allclose(t_matmul_one_thread(a, c), a.T @ c, rtol=1e-10, atol=1e-10)
