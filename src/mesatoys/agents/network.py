"""A small multilayer perceptron in plain numpy, with its gradients written out.

One network for every learned policy and probe of the course: an input layer, any
number of ReLU hidden layers and a linear output of *logits*. It is a list of
weight matrices and bias vectors and four functions; no framework, no autograd.

- :meth:`MLP.forward` maps inputs to logits (and, on request, the hidden activations,
  for probes and steering);
- :meth:`MLP.backward` maps the loss's gradient with respect to the logits to the
  gradient of every parameter (backpropagation), in the order of :attr:`MLP.params`;
- :meth:`MLP.forward_from` / :meth:`MLP.backward_to` do the same from the first
  layer's pre-activation, for callers whose inputs are structured (one-hot planes)
  and compute the first layer more cheaply themselves;
- :func:`softmax`, :func:`log_softmax` and :func:`cross_entropy` turn logits into
  action probabilities and a loss.

The parameters are updated in place by an optimizer such as
:class:`mesatoys.optimize.Adam`.

Example:
    >>> net = MLP.init([4, 8, 3], np.random.default_rng(0))
    >>> logits, hidden = net.forward(np.ones((2, 4)), return_hidden=True)
    >>> logits.shape, [h.shape for h in hidden]
    ((2, 3), [(2, 8)])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mesatoys.checks import check_count


@dataclass
class MLP:
    """A ReLU multilayer perceptron: ``logits = W_L relu(... relu(x W_0 + b_0) ...) + b_L``.

    Inputs and outputs have a last axis of features; any leading axes are kept.

    Attributes:
        weights: ``(n_in, n_out)`` matrix of each layer.
        biases: ``(n_out,)`` vector of each layer.
    """

    weights: list[np.ndarray]
    biases: list[np.ndarray]

    @classmethod
    def init(cls, sizes: Sequence[int], rng: np.random.Generator, dtype: type = np.float32) -> MLP:
        """A fresh network: He-normal weights (He et al. 2015), zero biases.

        Args:
            sizes: Widths from input to output, e.g. ``[507, 256, 5]`` (at least two).
            rng: Source of the initial weights.
            dtype: Floating-point type of the parameters.

        Returns:
            The network.

        Raises:
            ValueError: If ``sizes`` has fewer than two entries or a width below 1.
        """
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes must list at least an input and an output width, got {sizes}")
        for i, width in enumerate(sizes):
            check_count(f"sizes[{i}]", width)
        weights = [
            (rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(dtype)
            for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
        ]
        return cls(weights, [np.zeros(n_out, dtype=dtype) for n_out in sizes[1:]])

    @property
    def sizes(self) -> list[int]:
        """Widths from input to output."""
        return [self.weights[0].shape[0], *(w.shape[1] for w in self.weights)]

    @property
    def params(self) -> list[np.ndarray]:
        """``[W_0, b_0, W_1, b_1, ...]``: the arrays themselves, for in-place updates."""
        return [p for pair in zip(self.weights, self.biases, strict=True) for p in pair]

    def forward(
        self, x: np.ndarray, return_hidden: bool = False
    ) -> np.ndarray | tuple[np.ndarray, list[np.ndarray]]:
        """Logits of inputs ``x`` (``(..., n_in)``).

        Args:
            x: Inputs.
            return_hidden: Also return each hidden layer's activations (after ReLU).

        Returns:
            ``(..., n_out)`` logits, or ``(logits, hidden)`` with ``hidden`` a list of
            ``(..., width)`` arrays, one per hidden layer.
        """
        return self.forward_from(x @ self.weights[0] + self.biases[0], return_hidden)

    def forward_from(
        self, pre: np.ndarray, return_hidden: bool = False
    ) -> np.ndarray | tuple[np.ndarray, list[np.ndarray]]:
        """:meth:`forward` from the first layer's pre-activation ``x @ W_0 + b_0``."""
        lead = pre.shape[:-1]
        pre = pre.reshape(-1, pre.shape[-1])  # 2-D products use BLAS whatever the leading axes
        hidden = []
        for w, b in zip(self.weights[1:], self.biases[1:], strict=True):
            hidden.append(np.maximum(pre, 0.0))
            pre = hidden[-1] @ w + b
        logits = pre.reshape(*lead, -1)
        return (logits, [h.reshape(*lead, -1) for h in hidden]) if return_hidden else logits

    def backward(
        self, x: np.ndarray, hidden: Sequence[np.ndarray], dlogits: np.ndarray
    ) -> list[np.ndarray]:
        """Gradient of a loss with respect to every parameter, by backpropagation.

        Args:
            x: The inputs of the forward pass.
            hidden: The hidden activations it returned.
            dlogits: ``(..., n_out)`` gradient of the loss with respect to the logits.

        Returns:
            Gradients in the order of :attr:`params`.
        """
        dpre, rest = self.backward_to(hidden, dlogits)
        flat = dpre.reshape(-1, dpre.shape[-1])
        return [x.reshape(-1, x.shape[-1]).T @ flat, flat.sum(axis=0), *rest]

    def backward_to(
        self, hidden: Sequence[np.ndarray], dlogits: np.ndarray
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Backpropagate down to the first layer's pre-activation.

        Returns:
            The gradient with respect to the first pre-activation, and the gradients
            of ``[W_1, b_1, W_2, b_2, ...]`` (every parameter but ``W_0`` and ``b_0``).
        """
        lead = dlogits.shape[:-1]
        grads: list[np.ndarray] = []
        delta = dlogits.reshape(-1, dlogits.shape[-1])
        for layer in range(len(self.weights) - 1, 0, -1):
            h = hidden[layer - 1].reshape(-1, hidden[layer - 1].shape[-1])
            grads[:0] = [h.T @ delta, delta.sum(axis=0)]
            delta = (delta @ self.weights[layer].T) * (h > 0)
        return delta.reshape(*lead, -1), grads


#: The most multiply-adds OpenBLAS computes on the calling thread alone (its threshold for
#: splitting a matrix product over threads, 65536 * 4). A split product's last bits can
#: depend on the number of threads, and on a shared CPU its threads wait for each other.
ONE_THREAD_MACS = 262_144


def matmul_one_thread(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for 2-D arrays, in blocks of rows small enough for BLAS to keep on one thread.

    The result is the same whatever the number of BLAS threads, so a seed gives the same
    numbers on a one-CPU hub and on a laptop.
    """
    rows = max(1, ONE_THREAD_MACS // max(a.shape[1] * b.shape[1], 1))
    if len(a) <= rows:
        return a @ b
    return np.concatenate([a[i : i + rows] @ b for i in range(0, len(a), rows)])


def t_matmul_one_thread(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a.T @ b`` for 2-D arrays with as many rows, summed over blocks of rows (as above)."""
    rows = max(1, ONE_THREAD_MACS // max(a.shape[1] * b.shape[1], 1))
    total = a[:rows].T @ b[:rows]
    for i in range(rows, len(a), rows):
        total += a[i : i + rows].T @ b[i : i + rows]
    return total


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Log-probabilities over the last axis, computed stably."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities over the last axis."""
    return np.exp(log_softmax(logits))


def cross_entropy(
    logits: np.ndarray, targets: np.ndarray, weights: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of soft targets, and its gradient with respect to the logits.

    ``loss = sum_i w_i * (-sum_a targets[i, a] * log softmax(logits[i])[a]) / sum_i w_i``.

    Args:
        logits: ``(..., k)`` logits.
        targets: ``(..., k)`` target distributions (rows sum to 1).
        weights: ``(...)`` weight of each example (e.g. 0 to leave it out); default 1.

    Returns:
        The loss and ``(..., k)`` gradient.
    """
    w = np.ones(logits.shape[:-1]) if weights is None else np.asarray(weights)
    total = max(float(w.sum()), 1e-12)
    logp = log_softmax(logits)
    loss = float(-(w[..., None] * targets * logp).sum() / total)
    grad = (np.exp(logp) - targets) * (w[..., None] / total)
    return loss, grad.astype(logits.dtype, copy=False)


__all__ = [
    "MLP",
    "cross_entropy",
    "log_softmax",
    "matmul_one_thread",
    "softmax",
    "t_matmul_one_thread",
]
