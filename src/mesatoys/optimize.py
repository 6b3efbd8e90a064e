"""Outer ("base") optimizers: they change parameters using only a score.

:func:`evolution_strategies` is the natural-evolution-strategies estimator of
Salimans et al. 2017, "Evolution Strategies as a Scalable Alternative to
Reinforcement Learning": perturb the parameters with Gaussian noise in mirrored
pairs, score every perturbation, rank the scores, and move along the
score-weighted average of the noise (with Adam steps and weight decay). The
optimizer sees nothing but the numbers the ``fitness`` function returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class ESConfig:
    """Settings of the evolution-strategies optimizer.

    Attributes:
        generations: Number of updates.
        pairs: Mirrored noise pairs per generation (population = 2 * pairs).
        sigma: Noise scale.
        learning_rate: Adam step size.
        weight_decay: Pull of every parameter towards 0 per step (decoupled, as AdamW).
    """

    generations: int = 40
    pairs: int = 8
    sigma: float = 0.3
    learning_rate: float = 0.1
    weight_decay: float = 0.02

    def __post_init__(self) -> None:
        for name in ("generations", "pairs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        for name in ("sigma", "learning_rate"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if not 0 <= self.weight_decay < 1:
            raise ValueError(f"weight_decay must be in [0, 1), got {self.weight_decay!r}")


@dataclass
class ESHistory:
    """What the optimizer saw and did, one entry per generation.

    Attributes:
        params: Parameters before each update, ``(generations + 1, n)`` (last: final).
        mean_fitness: Mean score of the population each generation.
    """

    params: list[np.ndarray] = field(default_factory=list)
    mean_fitness: list[float] = field(default_factory=list)


def centered_ranks(scores: np.ndarray) -> np.ndarray:
    """Map scores to evenly spaced values in [-0.5, 0.5] by rank (ties share the mean)."""
    order = scores.argsort(kind="stable")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(len(scores))
    for value in np.unique(scores):
        tied = scores == value
        ranks[tied] = ranks[tied].mean()
    return ranks / max(len(scores) - 1, 1) - 0.5


def evolution_strategies(
    fitness: Callable[[np.ndarray, int], np.ndarray],
    initial: np.ndarray,
    config: ESConfig,
    rng: np.random.Generator,
) -> tuple[np.ndarray, ESHistory]:
    """Maximise ``fitness`` with mirrored-sampling evolution strategies.

    Args:
        fitness: Called as ``fitness(population, generation)`` with a
            ``(2 * pairs, n)`` array; returns ``(2 * pairs,)`` scores (higher is better).
        initial: Starting parameters ``(n,)``.
        config: Optimizer settings.
        rng: Source of the perturbation noise.

    Returns:
        The final parameters and the history.
    """
    theta = np.asarray(initial, dtype=float).copy()
    first, second = np.zeros_like(theta), np.zeros_like(theta)
    history = ESHistory()
    for generation in range(config.generations):
        noise = rng.standard_normal((config.pairs, theta.size))
        population = theta + config.sigma * np.concatenate([noise, -noise])
        scores = np.asarray(fitness(population, generation), dtype=float)
        history.params.append(theta.copy())
        history.mean_fitness.append(float(scores.mean()))
        shaped = centered_ranks(scores)
        grad = (shaped[: config.pairs] - shaped[config.pairs :]) @ noise / (2 * config.pairs)
        theta, first, second = _adam(theta, grad, first, second, generation + 1, config)
    history.params.append(theta.copy())
    return theta, history


def _adam(
    theta: np.ndarray,
    grad: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    step: int,
    config: ESConfig,
    betas: tuple[float, float] = (0.9, 0.999),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One Adam ascent step with decoupled weight decay."""
    first = betas[0] * first + (1 - betas[0]) * grad
    second = betas[1] * second + (1 - betas[1]) * grad**2
    m_hat = first / (1 - betas[0] ** step)
    v_hat = second / (1 - betas[1] ** step)
    update = config.learning_rate * m_hat / (np.sqrt(v_hat) + 1e-8)
    return theta * (1 - config.weight_decay) + update, first, second
