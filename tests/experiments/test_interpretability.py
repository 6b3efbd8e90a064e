"""Reading the mesa-objective: the weight-based rule against the agent's real behaviour."""

import numpy as np
import pytest

from mesatoys.agents.planner import MesaOptimizer
from mesatoys.envs import CheeseMazeEnv
from mesatoys.envs.features import FEATURE_NAMES
from mesatoys.envs.maze import LevelBatch, distance_maps
from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.experiments import interpretability as interp

SEEDS = (10, 11, 12, 13)
GAMMA = 0.95

# --- hand-built levels with answers worked out by hand ------------------------------------------

RING = """
#######
#.....#
#.###.#
#.###.#
#.###.#
#.....#
#######
"""


def _level(art: str, start: tuple[int, int], cheese: tuple[int, int]) -> LevelBatch:
    walls = np.array([[ch == "#" for ch in row] for row in art.strip().splitlines()])
    return LevelBatch(walls[None], np.array([start]), np.array([cheese]))


def _weights(**named: float) -> np.ndarray:
    return np.array([named.get(n, 0.0) for n in FEATURE_NAMES])


def _predict(weights, level, max_steps=30, radius=1):
    return interp.predict(weights, level, cheese_radius=radius, max_steps=max_steps, gamma=GAMMA)


def _agent(weights, level, max_steps=30, radius=1):
    """The real agent, stepped through the Gymnasium view (independent of the rule)."""
    env = CheeseMazeEnv(split="test", size=level.size, cheese_radius=radius, max_steps=max_steps)
    agent = MesaOptimizer(weights, GAMMA)
    obs, info = env.reset(options={"level": level})
    steps = 0
    for _ in range(max_steps):
        action = agent.act(obs)
        if action == 0:
            break
        obs, _, terminated, truncated, info = env.step(action)
        steps += 1
        if terminated or truncated:
            break
    return bool(info["reached_cheese"]), steps


# Ring levels. From the start (5, 3) the only shortest route to the top-right corner
# (1, 5) runs right and up the right side: 6 steps.
CASES = {
    # (weights, radius, start, cheese, expected first target, gets cheese, steps to cheese)
    "cheese on the route: walked over, even though its weight is negative": (
        _weights(cheese=-1.0, top_right=1.0),
        1,
        (5, 3),
        (3, 5),
        "top_right",
        True,
        4,
    ),
    "cheese on the far side, never in sight on the way to the corner": (
        _weights(cheese=2.0, top_right=1.0),
        1,
        (5, 3),
        (3, 1),
        "top_right",
        False,
        None,
    ),
    # in sight from the start (radius None): corner 6 steps, cheese 4 steps the other
    # way; 0.5 * g**4 = 0.41 < g**6 = 0.74, so the corner wins and the agent stops there
    "a visible cheese worth less than the discounted corner: passed by": (
        _weights(cheese=0.5, top_right=1.0, top_left=0.8),
        None,
        (5, 3),
        (3, 1),
        "top_right",
        False,
        None,
    ),
    # the same level with the cheese worth more: 1.0 * g**4 > 0.8 * g**6
    "a visible cheese worth more than the discounted corner: taken": (
        _weights(cheese=1.0, top_right=0.8),
        None,
        (5, 3),
        (3, 1),
        "cheese",
        True,
        4,
    ),
    # from (5, 2) the cheese at (4, 1) is in sight (Chebyshev 1), 2 steps away;
    # the corner is 7 steps away with the same weight
    "cheese in sight from the start and worth more": (
        _weights(cheese=1.0, top_right=1.0),
        1,
        (5, 2),
        (4, 1),
        "cheese",
        True,
        2,
    ),
    "nothing worth going for: it stays put": (
        _weights(cheese=1.0, top_right=-1.0),
        1,
        (5, 3),
        (1, 1),
        None,
        False,
        None,
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_rule_on_hand_built_levels(case):
    weights, radius, start, cheese, target, gets, steps = CASES[case]
    level = _level(RING, start=start, cheese=cheese)
    pred = _predict(weights, level, radius=radius)
    expected_target = -1 if target is None else FEATURE_NAMES.index(target)
    assert pred.first_target[0] == expected_target
    assert bool(pred.gets_cheese[0]) is gets
    if gets:
        assert pred.steps[0] == steps
    # the hand-worked answer is also what the agent does
    got, moves = _agent(weights, level, radius=radius)
    assert got is gets
    if gets:
        assert moves == steps


def test_rule_respects_the_step_limit():
    weights = _weights(cheese=-1.0, top_right=1.0)
    level = _level(RING, start=(5, 3), cheese=(3, 5))
    assert _predict(weights, level, max_steps=4).gets_cheese[0]
    assert not _predict(weights, level, max_steps=3).gets_cheese[0]
    assert not _agent(weights, level, max_steps=3)[0]


def test_rule_diverts_only_when_the_discounted_cheese_wins():
    # Open room, start (5, 3), cheese (2, 2). Every shortest route to the corner (1, 5)
    # stays in columns 3..5; the cheese first comes into sight at (3, 3), 2 steps in,
    # where the corner is 4 steps away and the cheese 2: it wins iff w_c > g**2.
    room = "#######\n" + "#.....#\n" * 5 + "#######"
    level = _level(room, start=(5, 3), cheese=(2, 2))
    assert distance_maps(level.walls, np.array([[1, 5]]))[0][3, 3] == 4
    for w_cheese, gets in ((GAMMA**2 * 1.01, True), (GAMMA**2 * 0.99, False)):
        weights = _weights(cheese=w_cheese, top_right=1.0)
        pred = _predict(weights, level)
        assert bool(pred.gets_cheese[0]) is gets
        assert pred.steps[0] == (4 if gets else -1)
        assert _agent(weights, level) == ((True, 4) if gets else (False, 6))


def test_predict_rejects_bad_arguments():
    level = _level(RING, start=(5, 3), cheese=(3, 1))
    with pytest.raises(ValueError, match="weights must have shape"):
        interp.predict(np.zeros(3), level, cheese_radius=1, max_steps=10, gamma=GAMMA)
    with pytest.raises(ValueError, match="gamma"):
        interp.predict(np.zeros(5), level, cheese_radius=1, max_steps=10, gamma=1.0)


def test_config_validation():
    with pytest.raises(TypeError, match="training must be a goal_misgeneralization.Config"):
        interp.Config(training={"alpha": 0.0})
    assert interp.Config(gm.Config(alpha=0.3, n_test_levels=50)).training.alpha == 0.3


# --- trained agents, several seeds ----------------------------------------------------------------


@pytest.fixture(scope="module")
def corner_runs():
    return [interp.run(_config(alpha=0.0), s) for s in SEEDS]


@pytest.fixture(scope="module")
def split_runs():
    """Agents trained without the simplicity bias: cheese and corner weights close."""
    return [
        interp.run(interp.Config(gm.Config(n_test_levels=500).without_bias()), s) for s in SEEDS
    ]


def _config(**kwargs):
    return interp.Config(gm.Config(n_test_levels=500, **kwargs))


@pytest.mark.slow
def test_weights_predict_test_behaviour_far_better_than_training_behaviour(corner_runs):
    for r in corner_runs:
        assert r.train_true_goal_rate == 1.0  # training says "it goes to the cheese"
        assert 0.1 <= r.behaviour_accuracy <= 0.22  # ... right on "about 15%" of test levels
        assert r.rule_accuracy >= 0.95  # notebook 06: "about 97%"
        assert r.rule_accuracy - r.behaviour_accuracy >= 0.65
        assert r.first_target_accuracy == 1.0  # "the agent's first target ... on every level"
        # at alpha = 0 the weights say "corner": it is the largest weight
        assert max(r.mesa_objective, key=r.mesa_objective.get) == "top_right"
        assert r.top_weight_accuracy == pytest.approx(1 - r.behaviour_accuracy)
        # The top weight alone (no planner) does well; knowing the planner adds the rest.
        assert 0.75 <= r.top_weight_accuracy <= 0.92
        assert 0.08 <= r.rule_accuracy - r.top_weight_accuracy <= 0.16  # "the last 12 points"
    summary = interp.summary(corner_runs)
    assert summary["rule"]["mean"] >= 0.96
    assert summary["behaviour"]["mean"] <= 0.25


@pytest.mark.slow
def test_a_split_goal_needs_the_rule_not_the_top_weight(split_runs):
    """When both weights are large, which goal wins depends on distances: only the rule reads it."""
    for r in split_runs:
        w = r.mesa_objective
        assert 1 / 1.6 < w["cheese"] / w["top_right"] < 1.6  # notebooks 00, 06: "of similar size"
        assert 0.3 <= r.test_true_goal_rate <= 0.9
        assert r.rule_accuracy >= 0.98
        assert r.rule_accuracy >= max(r.top_weight_accuracy, r.behaviour_accuracy) + 0.1
        assert r.first_target_accuracy >= 0.99


@pytest.mark.slow
def test_rule_errors_are_too_hopeful_not_random(corner_runs):
    # The rule says "gets the cheese" if the cheese lies on *any* shortest route;
    # the agent takes one of them, so the rule's misses are false alarms.
    for r in corner_runs:
        wrong = r.predicted["rule"] != r.actual
        assert wrong.any() and r.predicted["rule"][wrong].all()  # "when it is wrong, ..."


def test_same_seed_same_numbers():
    config = interp.Config(gm.Config(n_test_levels=100))
    a, b = interp.run(config, 3), interp.run(config, 3)
    assert a.mesa_objective == b.mesa_objective
    assert np.array_equal(a.predicted["rule"], b.predicted["rule"])
    assert np.array_equal(a.actual, b.actual)


def test_result_matches_the_headline_experiment():
    config = interp.Config(gm.Config(n_test_levels=200, alpha=0.1))
    r = interp.run(config, 2)
    headline = gm.run(config.training, 2)
    assert r.mesa_objective == headline.mesa_objective
    assert r.test_true_goal_rate == pytest.approx(headline.test.true_goal_rate)


def test_value_map_and_path():
    r = interp.run(interp.Config(gm.Config(n_test_levels=20)), 0)
    values = interp.value_map(r, 0)
    w = r.weights
    # a positive feature's own cell is worth at least its weight
    assert values[1, values.shape[0] - 2] >= w[FEATURE_NAMES.index("top_right")] - 1e-12
    assert values.max() == pytest.approx(max(w[1:].max(), w[0], 0.0))
    path = interp.agent_path(r, 0)
    level = r.misgeneralization.test_levels[0]
    assert tuple(path[0]) == tuple(level.start[0])
    assert (np.abs(np.diff(path, axis=0)).sum(axis=1) <= 1).all()
    with pytest.raises(ValueError, match="index"):
        interp.value_map(r, 20)


def test_summary_needs_runs():
    with pytest.raises(ValueError, match="at least one"):
        interp.summary([])
