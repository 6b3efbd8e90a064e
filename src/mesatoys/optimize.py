"""Outer ("base") optimizers: they change parameters using only a score.

:func:`evolution_strategies` is the natural-evolution-strategies estimator of
Salimans et al. 2017, "Evolution Strategies as a Scalable Alternative to
Reinforcement Learning": perturb the parameters with Gaussian noise in mirrored
pairs, score every perturbation, rank the scores, and move along the
score-weighted average of the noise (with Adam steps and weight decay). The
optimizer sees nothing but the numbers the ``fitness`` function returns.

:class:`Adam` (Kingma and Ba 2015, "Adam: A Method for Stochastic Optimization"),
with decoupled weight decay (Loshchilov and Hutter 2019, "Decoupled Weight Decay
Regularization"), is the one gradient step of the package: evolution strategies
climbs its estimated gradient with it, and the learned policies
(:mod:`mesatoys.agents.reactive`) descend their loss with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from mesatoys.checks import check_count, check_instance, check_number

#: Most updates one run may take: enough for any toy, and a typo's run still ends.
MAX_GENERATIONS = 10_000
#: Most mirrored pairs per generation: every candidate is scored on the training levels,
#: so the population sizes the fitness arrays (1,000 pairs is 2,000 candidates).
MAX_PAIRS = 1_000


@dataclass(frozen=True)
class ESConfig:
    """Settings of the evolution-strategies optimizer.

    Attributes:
        generations: Number of updates, an integer in [1, :data:`MAX_GENERATIONS`].
        pairs: Mirrored noise pairs per generation (population = 2 * pairs), an integer
            in [1, :data:`MAX_PAIRS`].
        sigma: Noise scale, a finite number > 0.
        learning_rate: Adam step size, a finite number > 0.
        weight_decay: Pull of every parameter towards 0 per step (decoupled, as AdamW),
            in [0, 1).

    Raises:
        ValueError: On a setting outside these ranges (NaN and infinity included).
    """

    generations: int = 40
    pairs: int = 8
    sigma: float = 0.3
    learning_rate: float = 0.1
    weight_decay: float = 0.02

    def __post_init__(self) -> None:
        check_count("generations", self.generations, 1, MAX_GENERATIONS)
        check_count("pairs", self.pairs, 1, MAX_PAIRS)
        check_number("sigma", self.sigma, 0, low_open=True)
        check_number("learning_rate", self.learning_rate, 0, low_open=True)
        check_number("weight_decay", self.weight_decay, 0, 1, high_open=True)


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
    _, group, counts = np.unique(scores, return_inverse=True, return_counts=True)
    first = np.cumsum(counts) - counts  # the lowest 0-based rank in each group of ties
    ranks = (first + (counts - 1) / 2)[group.ravel()]
    return ranks / max(len(scores) - 1, 1) - 0.5


def mirrored_gradient(noise: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """The evolution-strategies estimate of the direction that raises the score.

    Candidate ``i`` of the first half is ``theta + sigma * noise[i]``, of the second half
    ``theta - sigma * noise[i]`` (a mirrored pair). The scores are replaced by their
    :func:`centered_ranks`, and each pair votes for its noise direction with the
    difference of its two ranks: ``sum_i (r+_i - r-_i) * noise[i] / (2 * pairs)``.

    Args:
        noise: ``(pairs, n)`` the noise directions.
        scores: ``(2 * pairs,)`` the candidates' scores, the ``+`` half first.

    Returns:
        ``(n,)`` the estimate.
    """
    pairs = len(noise)
    shaped = centered_ranks(np.asarray(scores, dtype=float))
    return (shaped[:pairs] - shaped[pairs:]) @ noise / (2 * pairs)


#: ``estimator(noise, scores) -> (n,) direction``: how a generation's scores become a step.
Estimator = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _in_unit(value: object) -> bool:
    """Whether ``value`` is a finite real number in [0, 1) (a bool is not)."""
    try:
        check_number("value", value, 0, 1, high_open=True)
    except ValueError:
        return False
    return True


class Adam:
    """Adam steps on a list of arrays, updated in place, with decoupled weight decay.

    One step, for every parameter array ``theta`` with gradient ``g`` (step ``t`` from 1)::

        m = beta1 * m + (1 - beta1) * g          v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)               v_hat = v / (1 - beta2**t)
        theta = theta * (1 - weight_decay) -/+ learning_rate * m_hat / (sqrt(v_hat) + eps)

    with ``-`` to descend a loss and ``+`` (``maximize=True``) to climb a score. The
    weight decay multiplies the parameters directly, not through the learning rate.

    Args:
        params: The arrays to update (floating point; changed in place by :meth:`step`).
        learning_rate: Step size, > 0.
        betas: Decay rates of the two moment estimates, each in [0, 1).
        eps: Added to the root of the second moment, > 0.
        weight_decay: Pull of every parameter towards 0 per step, in [0, 1).
        maximize: Climb (``True``) instead of descend.

    Attributes:
        steps: Steps taken so far.

    Example:
        >>> theta = np.zeros(2)
        >>> opt = Adam([theta], learning_rate=0.1)
        >>> opt.step([np.array([1.0, -1.0])])
        >>> theta.round(3).tolist()
        [-0.1, 0.1]
    """

    def __init__(
        self,
        params: Sequence[np.ndarray],
        learning_rate: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ):
        check_number("learning_rate", learning_rate, 0, low_open=True)
        if (
            not isinstance(betas, (tuple, list))
            or len(betas) != 2
            or not all(_in_unit(b) for b in betas)
        ):
            raise ValueError(f"betas must be two finite numbers in [0, 1), got {betas!r}")
        check_number("eps", eps, 0, low_open=True)
        check_number("weight_decay", weight_decay, 0, 1, high_open=True)
        if not isinstance(maximize, (bool, np.bool_)):
            raise ValueError(f"maximize must be True or False, got {maximize!r}")
        if isinstance(params, np.ndarray) or not isinstance(params, Iterable):
            raise TypeError(
                "params must be a list of numpy arrays (wrap one array as [array]), "
                f"got {type(params).__name__}: {params!r}"
            )
        self.params = list(params)
        for i, p in enumerate(self.params):
            if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
                raise TypeError(f"params[{i}] must be a floating-point numpy array, got {p!r}")
        self.learning_rate, self.betas, self.eps = learning_rate, betas, eps
        self.weight_decay, self.maximize = weight_decay, maximize
        self.first = [np.zeros_like(p) for p in self.params]
        self.second = [np.zeros_like(p) for p in self.params]
        self._scratch = [(np.empty_like(p), np.empty_like(p)) for p in self.params]
        self.steps = 0

    def step(self, grads: Sequence[np.ndarray]) -> None:
        """Update every parameter in place from its gradient (same order as ``params``).

        Raises:
            ValueError: If the gradients do not match the parameters in number or shape.
        """
        if len(grads) != len(self.params):
            raise ValueError(f"grads must hold {len(self.params)} arrays, got {len(grads)}")
        self.steps += 1
        t = self.steps
        for i, (theta, g, m, v) in enumerate(
            zip(self.params, grads, self.first, self.second, strict=True)
        ):
            if np.shape(g) != theta.shape:
                raise ValueError(f"grads[{i}] must have shape {theta.shape}, got {np.shape(g)}")
            self._update(theta, g, m, v, self._scratch[i], t)

    def _update(
        self,
        theta: np.ndarray,
        g: np.ndarray,
        m: np.ndarray,
        v: np.ndarray,
        scratch: tuple[np.ndarray, np.ndarray],
        t: int,
    ) -> None:
        """The formula of the class docstring, in place (each operation rounded as written)."""
        (b1, b2), (a, b) = self.betas, scratch
        m *= b1
        m += np.multiply(g, 1 - b1, out=a)
        v *= b2
        np.square(g, out=a)
        v += np.multiply(a, 1 - b2, out=a)
        np.divide(v, 1 - b2**t, out=a)
        np.sqrt(a, out=a)
        a += self.eps  # a = sqrt(v_hat) + eps
        np.divide(m, 1 - b1**t, out=b)
        b *= self.learning_rate
        b /= a  # b = learning_rate * m_hat / (sqrt(v_hat) + eps)
        if self.weight_decay:
            theta *= 1 - self.weight_decay
        if self.maximize:
            theta += b
        else:
            theta -= b


def evolution_strategies(
    fitness: Callable[[np.ndarray, int], np.ndarray],
    initial: np.ndarray,
    config: ESConfig,
    rng: np.random.Generator,
    estimator: Estimator = mirrored_gradient,
) -> tuple[np.ndarray, ESHistory]:
    """Maximise ``fitness`` with mirrored-sampling evolution strategies.

    Args:
        fitness: Called as ``fitness(population, generation)`` with a
            ``(2 * pairs, n)`` array; returns ``(2 * pairs,)`` scores (higher is better).
        initial: Starting parameters ``(n,)``.
        config: Optimizer settings.
        rng: Source of the perturbation noise.
        estimator: Turns a generation's noise and scores into the direction Adam climbs
            (default :func:`mirrored_gradient`; a learner's own version in notebook 01).

    Returns:
        The final parameters and the history.

    Raises:
        TypeError: If ``fitness`` or ``estimator`` is not callable, ``config`` is not an
            :class:`ESConfig` or ``rng`` is not a ``numpy.random.Generator``.
        ValueError: If ``initial`` is not a 1-D array of finite numbers, or ``fitness``
            returns anything but ``2 * pairs`` scores or a NaN score (an infinite
            score is fine: only the ranks count).
    """
    if not callable(fitness):
        raise TypeError(f"fitness must be callable, got {type(fitness).__name__}: {fitness!r}")
    check_instance("config", config, ESConfig)
    check_instance("rng", rng, np.random.Generator)
    if not callable(estimator):
        raise TypeError(f"estimator must be callable, got {type(estimator).__name__}")
    theta = _initial_params(initial)
    adam = Adam([theta], config.learning_rate, weight_decay=config.weight_decay, maximize=True)
    history = ESHistory()
    for generation in range(config.generations):
        noise = rng.standard_normal((config.pairs, theta.size))
        population = theta + config.sigma * np.concatenate([noise, -noise])
        scores = _checked_scores(fitness(population, generation), 2 * config.pairs, generation)
        history.params.append(theta.copy())
        history.mean_fitness.append(float(scores.mean()))
        adam.step([_checked_direction(estimator(noise.copy(), scores.copy()), theta.size)])
    history.params.append(theta.copy())
    return theta, history


def _checked_direction(direction: object, size: int) -> np.ndarray:
    """The estimator's output as a ``(size,)`` finite float array, or a clear error."""
    try:
        step = np.asarray(direction, dtype=float)
    except (TypeError, ValueError):
        step = None
    if step is None or step.shape != (size,) or not np.isfinite(step).all():
        raise ValueError(
            f"estimator must return {size} finite numbers (one per parameter), got {direction!r}"
        )
    return step


def _initial_params(initial: object) -> np.ndarray:
    """A float copy of the starting parameters, checked to be a 1-D finite array."""
    try:
        theta = np.array(initial, dtype=float)
    except (TypeError, ValueError):
        theta = None
    if theta is None or theta.ndim != 1 or isinstance(initial, (str, bytes)):
        raise ValueError(f"initial must be a 1-D array of finite numbers, got {initial!r}")
    if not np.isfinite(theta).all():
        raise ValueError(f"initial must be a 1-D array of finite numbers, got {initial!r}")
    return theta


def _checked_scores(scores: object, population: int, generation: int) -> np.ndarray:
    """The fitness function's scores as floats: one per candidate, none NaN."""
    try:
        scores = np.asarray(scores, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"fitness must return {population} numbers (one per candidate), "
            f"got {scores!r} at generation {generation}"
        ) from None
    if scores.shape != (population,):
        raise ValueError(
            f"fitness must return {population} scores (one per candidate, 2 * pairs), "
            f"got shape {scores.shape} at generation {generation}"
        )
    if np.isnan(scores).any():
        raise ValueError(
            f"fitness returned NaN for candidates {np.flatnonzero(np.isnan(scores)).tolist()} "
            f"at generation {generation}; every score must be a number"
        )
    return scores
