"""The absent-supervisor mesa-optimizer: a planner that sees who is watching.

An agent for the absent-supervisor world (:mod:`mesatoys.envs.absent_supervisor`).
On every episode it plans by value iteration on the exact model of the layout it is
in, maximising its own **mesa-objective**: a weight per named feature of a move
(:data:`FEATURE_NAMES`):

- ``goal``: entering the goal;
- ``punishment_supervised``: entering the punishment cell while the supervisor is visible;
- ``punishment_camera``: entering it while no supervisor but a camera is visible;
- ``punishment_unobserved``: entering it while neither is visible.

It never sees the reward, nor whether an episode is really watched: only what the
episode shows (:class:`EpisodeSpecs`).

An agent **without situational awareness** is the same planner with an objective that
cannot tell the conditions apart: one weight per feature of :data:`BLIND_FEATURE_NAMES`
(``goal`` and a single ``punishment`` for entering the punishment cell, whoever is
watching). Written over :data:`FEATURE_NAMES` it is the shared weight on all three
punishment features (:data:`TIED`, :func:`move_weights`); every function here takes
either kind of objective.

- :func:`move_features`: what every move of every episode is, in those features;
- :func:`action_values`: value iteration on the mesa-utility of the moves;
- :func:`choice_probabilities`: how it acts on the values (greedy or Boltzmann);
- :func:`plan`: the two together, the agent's policy;
- :func:`feature_names` and :func:`move_weights`: the features an objective weighs, with or
  without situational awareness, and the same objective over :data:`FEATURE_NAMES`.

:mod:`mesatoys.agents.watched_evaluator` computes exactly what such a policy earns.
A mesa-objective converts between ``{feature: weight}`` and an array with
:func:`mesatoys.agents.planner.objective_vector` and ``objective_dict``, given
``names=FEATURE_NAMES`` (or :data:`BLIND_FEATURE_NAMES`).

Example:
    >>> from mesatoys.envs.absent_supervisor import make_world
    >>> world = make_world("train")
    >>> specs = EpisodeSpecs.every_layout(world, supervisor=True)
    >>> policy = plan(world, specs, np.array([[1.0, -5.0, 0.0, 0.0]]), gamma=0.95, horizon=20)
    >>> policy.shape[:2], float(policy.sum(axis=-1).min())
    ((1, 4), 1.0)
    >>> move_weights(np.array([1.0, -2.0])).tolist()  # one shared punishment weight
    [1.0, -2.0, -2.0, -2.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mesatoys.agents.planner import check_gamma
from mesatoys.checks import check_count, check_number
from mesatoys.envs.absent_supervisor import World

FEATURE_NAMES = ("goal", "punishment_supervised", "punishment_camera", "punishment_unobserved")
GOAL_F, SUPERVISED_F, CAMERA_F, UNOBSERVED_F = range(len(FEATURE_NAMES))
#: What an agent without situational awareness weighs: it cannot tell who is watching, so
#: one weight prices the punishment cell in every condition.
BLIND_FEATURE_NAMES = ("goal", "punishment")
#: ``blind_weights @ TIED``: the same objective over :data:`FEATURE_NAMES` (rows: the blind
#: features; columns: :data:`FEATURE_NAMES`).
TIED = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 1.0, 1.0]])
N_ACTIONS = 4
_TIE = 1e-9  # action values this close count as equal


@dataclass(frozen=True)
class EpisodeSpecs:
    """Episodes to play, before they are played: each one's layout and who is watching.

    Not to be confused with :class:`mesatoys.agents.rollout.Episodes`, which holds
    what happened in played episodes.

    Attributes:
        layout: ``(n,)`` layout index.
        supervisor: ``(n,)`` the supervisor is visible.
        camera: ``(n,)`` the camera is visible.
        watched: ``(n,)`` the punishment cell is charged in the reward (the agent
            cannot see this).
    """

    layout: np.ndarray
    supervisor: np.ndarray
    camera: np.ndarray
    watched: np.ndarray

    def __len__(self) -> int:
        return len(self.layout)

    @classmethod
    def every_layout(
        cls, world: World, supervisor: bool, camera: bool = False, watched: bool | None = None
    ) -> EpisodeSpecs:
        """One episode per layout, all looking the same (``watched`` defaults to ``supervisor``)."""
        n = world.n_layouts
        watched = supervisor if watched is None else watched
        return cls(np.arange(n), np.full(n, supervisor), np.full(n, camera), np.full(n, watched))

    def select(self, index: np.ndarray | list[int]) -> EpisodeSpecs:
        """The episodes at ``index``."""
        return EpisodeSpecs(
            self.layout[index], self.supervisor[index], self.camera[index], self.watched[index]
        )


def feature_names(situational_awareness: bool = True) -> tuple[str, ...]:
    """The features a mesa-objective weighs (:data:`BLIND_FEATURE_NAMES` without awareness)."""
    return FEATURE_NAMES if situational_awareness else BLIND_FEATURE_NAMES


def move_weights(weights: np.ndarray) -> np.ndarray:
    """Mesa-objectives over :data:`FEATURE_NAMES`, from weights over either feature set.

    Args:
        weights: ``(..., 4)`` weights over :data:`FEATURE_NAMES` (returned as they are) or
            ``(..., 2)`` over :data:`BLIND_FEATURE_NAMES` (the punishment weight is shared
            by the three punishment features).

    Returns:
        ``(..., 4)`` float weights.

    Raises:
        ValueError: If the last axis has neither length.
    """
    weights = np.asarray(weights, dtype=float)
    if weights.ndim and weights.shape[-1] == len(FEATURE_NAMES):
        return weights
    if weights.ndim and weights.shape[-1] == len(BLIND_FEATURE_NAMES):
        return weights @ TIED
    raise ValueError(
        f"weights must have {len(FEATURE_NAMES)} values per objective ({list(FEATURE_NAMES)}) "
        f"or {len(BLIND_FEATURE_NAMES)} ({list(BLIND_FEATURE_NAMES)}), got shape {weights.shape}"
    )


def move_features(world: World, specs: EpisodeSpecs) -> np.ndarray:
    """Features of every move in every episode.

    Returns:
        ``(n_episodes, n_cells, 4, n_features)`` feature values (0 or 1) of taking
        each action in each open cell.
    """
    tables = world.open
    nxt = tables.next_cell[specs.layout]  # (n, cells, 4)
    punish = nxt == tables.punishment[specs.layout][:, None, None]
    supervisor = specs.supervisor[:, None, None]
    camera = specs.camera[:, None, None] & ~supervisor
    features = np.zeros((*nxt.shape, len(FEATURE_NAMES)))
    features[..., GOAL_F] = nxt == tables.goal[specs.layout][:, None, None]
    features[..., SUPERVISED_F] = punish & supervisor
    features[..., CAMERA_F] = punish & camera
    features[..., UNOBSERVED_F] = punish & ~supervisor & ~camera
    return features


def action_values(
    world: World, specs: EpisodeSpecs, weights: np.ndarray, gamma: float, horizon: int
) -> np.ndarray:
    """The planner's action values: value iteration on the mesa-objective.

    Runs ``horizon`` Bellman backups ``Q(s, a) = u(s, a) + gamma * max_b Q(s', b)``
    (nothing follows the goal), where ``u`` is the mesa-utility of the move: the
    weights times the move's features.

    Args:
        world: The layouts.
        specs: What each episode looks like (``watched`` is not used: the agent
            cannot see it).
        weights: ``(n_agents, 4)`` mesa-objectives over :data:`FEATURE_NAMES`, or
            ``(n_agents, 2)`` over :data:`BLIND_FEATURE_NAMES` (:func:`move_weights`).
        gamma: Discount per step, in (0, 1).
        horizon: Number of backups, >= 1.

    Returns:
        ``(n_agents, n_episodes, n_cells, 4)`` action values.
    """
    gamma, horizon = check_gamma(gamma), check_count("horizon", horizon)
    utility = move_features(world, specs) @ move_weights(weights).T
    utility = np.moveaxis(utility, -1, 0)  # (agents, episodes, cells, 4)
    tables = world.open
    nxt = tables.next_cell[specs.layout]
    goes_on = gamma * (nxt != tables.goal[specs.layout][:, None, None])
    rows = np.arange(len(specs))[:, None, None]
    q = utility.copy()
    for _ in range(horizon - 1):
        new = utility + goes_on * q.max(axis=-1)[:, rows, nxt]
        if np.array_equal(new, q):  # converged: more backups change nothing
            return new
        q = new
    return q


def choice_probabilities(q: np.ndarray, temperature: float) -> np.ndarray:
    """How the planner acts on its action values.

    Args:
        q: ``(..., 4)`` action values.
        temperature: 0: the best action (values within 1e-9 count as tied; ties go
            to the first action in the order up, right, down, left). Above 0:
            Boltzmann-rational, ``P(a) ~ exp(Q(a) / temperature)``.

    Returns:
        ``(..., 4)`` action probabilities.

    Raises:
        ValueError: Unless ``temperature`` is a finite number >= 0.
    """
    temperature = check_number("temperature", temperature, 0.0)
    if temperature == 0:
        best = (q >= q.max(axis=-1, keepdims=True) - _TIE).argmax(axis=-1)
        return np.eye(N_ACTIONS)[best]
    probs = np.exp((q - q.max(axis=-1, keepdims=True)) / temperature)
    return probs / probs.sum(axis=-1, keepdims=True)


def plan(
    world: World,
    specs: EpisodeSpecs,
    weights: np.ndarray,
    gamma: float,
    horizon: int,
    temperature: float = 0.0,
) -> np.ndarray:
    """The mesa-optimizer's policy: :func:`action_values`, then :func:`choice_probabilities`.

    Returns:
        ``(n_agents, n_episodes, n_cells, 4)`` action probabilities.
    """
    q = action_values(world, specs, weights, gamma, horizon)
    return choice_probabilities(q, temperature)


__all__ = [
    "BLIND_FEATURE_NAMES",
    "CAMERA_F",
    "FEATURE_NAMES",
    "GOAL_F",
    "N_ACTIONS",
    "SUPERVISED_F",
    "TIED",
    "UNOBSERVED_F",
    "EpisodeSpecs",
    "action_values",
    "choice_probabilities",
    "feature_names",
    "move_features",
    "move_weights",
    "plan",
]
