"""Reading the mesa-objective: the weight-based rule against the agent's real behaviour."""

import numpy as np
import pytest

from mesatoys.agents.planner import MesaOptimizer
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


def _predict(weights, level, max_steps=30):
    return interp.predict(weights, level, cheese_radius=1, max_steps=max_steps, gamma=GAMMA)


def _agent(weights, level, max_steps=30):
    return MesaOptimizer(weights, GAMMA).play(level, cheese_radius=1, max_steps=max_steps)


# Ring levels. From the start (5, 3) the only shortest route to the top-right corner
# (1, 5) runs right and up the right side: 6 steps.
TOUR = _weights(cheese=0.5, top_right=1.0, top_left=0.8, bottom_left=0.6)
CASES = {
    # (weights, start, cheese, expected first target, gets cheese, steps to cheese)
    "cheese on the route: walked over, even though its weight is negative": (
        _weights(cheese=-1.0, top_right=1.0),
        (5, 3),
        (3, 5),
        "top_right",
        True,
        4,
    ),
    "cheese on the far side, never in sight on the way to the corner": (
        _weights(cheese=2.0, top_right=1.0),
        (5, 3),
        (3, 1),
        "top_right",
        False,
        None,
    ),
    # TR (6 steps), then TL (4 steps; 0.8 * g**4 beats 0.6 * g**8), then down the
    # left side towards BL, over the cheese at (3, 1) 2 steps later
    "a tour of the corners passes the cheese": (TOUR, (5, 3), (3, 1), "top_right", True, 12),
    # from (5, 2) the cheese at (4, 1) is in sight (Chebyshev 1), 2 steps away;
    # the corner is 7 steps away with the same weight
    "cheese in sight from the start and worth more": (
        _weights(cheese=1.0, top_right=1.0),
        (5, 2),
        (4, 1),
        "cheese",
        True,
        2,
    ),
    "nothing worth going for: it stays put": (
        _weights(cheese=1.0, top_right=-1.0),
        (5, 3),
        (1, 1),
        None,
        False,
        None,
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_rule_on_hand_built_levels(case):
    weights, start, cheese, target, gets, steps = CASES[case]
    level = _level(RING, start=start, cheese=cheese)
    pred = _predict(weights, level)
    expected_target = -1 if target is None else FEATURE_NAMES.index(target)
    assert pred.first_target[0] == expected_target
    assert bool(pred.gets_cheese[0]) is gets
    if gets:
        assert pred.steps[0] == steps
    # the hand-worked answer is also what the agent does
    episode = _agent(weights, level)
    assert bool(episode.reached_cheese[0]) is gets
    if gets:
        assert episode.steps[0] == steps


def test_rule_respects_the_step_limit():
    weights = TOUR
    level = _level(RING, start=(5, 3), cheese=(3, 1))
    assert _predict(weights, level, max_steps=12).gets_cheese[0]
    assert not _predict(weights, level, max_steps=11).gets_cheese[0]
    assert not _agent(weights, level, max_steps=11).reached_cheese[0]


def test_rule_diverts_only_when_the_discounted_cheese_wins():
    # Open room, start (5, 3), cheese (2, 2). Every shortest route to the corner (1, 5)
    # stays in columns 3..5; the cheese first comes into sight at (3, 3), 2 steps in,
    # where the corner is 4 steps away and the cheese 2: it wins iff w_c > g**2.
    room = "#######\n" + "#.....#\n" * 5 + "#######"
    level = _level(room, start=(5, 3), cheese=(2, 2))
    assert distance_maps(level.walls, np.array([[1, 5]]))[0][3, 3] == 4
    for w_cheese, steps in ((GAMMA**2 * 1.01, 4), (GAMMA**2 * 0.99, 6 + 4)):
        weights = _weights(cheese=w_cheese, top_right=1.0)
        pred = _predict(weights, level)
        assert pred.gets_cheese[0] and pred.steps[0] == steps  # weak: corner first, then back
        assert _agent(weights, level).steps[0] == steps


def test_predict_rejects_bad_arguments():
    level = _level(RING, start=(5, 3), cheese=(3, 1))
    with pytest.raises(ValueError, match="weights must have shape"):
        interp.predict(np.zeros(3), level, cheese_radius=1, max_steps=10, gamma=GAMMA)
    with pytest.raises(ValueError, match="gamma"):
        interp.predict(np.zeros(5), level, cheese_radius=1, max_steps=10, gamma=1.0)


def test_config_validation():
    with pytest.raises(ValueError, match="alpha"):
        interp.Config(alpha=1.5)
    with pytest.raises(ValueError, match="n_test_levels"):
        interp.Config(n_test_levels=0)
    with pytest.raises(TypeError, match="base"):
        interp.Config(base={"alpha": 0.0})
    assert interp.Config(alpha=0.3, n_test_levels=50).training.alpha == 0.3


# --- trained agents, several seeds ----------------------------------------------------------------


@pytest.fixture(scope="module")
def corner_runs():
    return [interp.run(interp.Config(alpha=0.0, n_test_levels=500), s) for s in SEEDS]


@pytest.fixture(scope="module")
def diverse_runs():
    return [interp.run(interp.Config(alpha=1.0, n_test_levels=500), s) for s in SEEDS[:3]]


@pytest.mark.slow
def test_weights_predict_test_behaviour_far_better_than_training_behaviour(corner_runs):
    for r in corner_runs:
        assert r.train_true_goal_rate == 1.0  # training says "it goes to the cheese"
        assert r.behaviour_accuracy <= 0.30  # ... which is right on ~20% of test levels
        assert r.rule_accuracy >= 0.95
        assert r.rule_accuracy - r.behaviour_accuracy >= 0.65
        assert r.first_target_accuracy >= 0.99
        # at alpha = 0 the weights say "corner": it is the largest weight
        assert max(r.mesa_objective, key=r.mesa_objective.get) == "top_right"
    summary = interp.summary(corner_runs)
    assert summary["rule"]["mean"] >= 0.96
    assert summary["behaviour"]["mean"] <= 0.25


@pytest.mark.slow
def test_with_diverse_training_the_weights_put_the_cheese_first(diverse_runs):
    for r in diverse_runs:
        w = r.mesa_objective
        assert w["cheese"] > w["top_right"] + 0.4
        assert w["cheese"] >= 0.8 * max(w.values())
        assert r.rule_accuracy >= 0.90
        assert r.rule_accuracy >= r.behaviour_accuracy + 0.2
        assert r.first_target_accuracy >= 0.93


@pytest.mark.slow
def test_rule_errors_are_too_hopeful_not_random(diverse_runs):
    # The rule says "gets the cheese" if the cheese is in sight on *any* shortest
    # route; the agent takes one of them, so the rule's misses are false alarms.
    for r in diverse_runs:
        wrong = r.predicted["rule"] != r.actual
        assert r.predicted["rule"][wrong].mean() >= 0.9


def test_same_seed_same_numbers():
    config = interp.Config(n_test_levels=100)
    a, b = interp.run(config, 3), interp.run(config, 3)
    assert a.mesa_objective == b.mesa_objective
    assert np.array_equal(a.predicted["rule"], b.predicted["rule"])
    assert np.array_equal(a.actual, b.actual)


def test_result_matches_the_headline_experiment():
    config = interp.Config(n_test_levels=200)
    r = interp.run(config, 2)
    headline = gm.run(config.training, 2)
    assert r.mesa_objective == headline.mesa_objective
    assert r.test_true_goal_rate == pytest.approx(headline.test.true_goal_rate)


def test_value_map_and_path():
    r = interp.run(interp.Config(n_test_levels=20), 0)
    values = interp.value_map(r, 0)
    w = r.weights
    # a positive feature's own cell is worth at least its weight
    assert values[1, values.shape[0] - 2] >= w[FEATURE_NAMES.index("top_right")] - 1e-12
    assert values.max() == pytest.approx(max(w.max(), 0.0))
    path = interp.agent_path(r, 0)
    level = r.misgeneralization.test_levels[0]
    assert tuple(path[0]) == tuple(level.start[0])
    assert (np.abs(np.diff(path, axis=0)).sum(axis=1) <= 1).all()
    with pytest.raises(ValueError, match="index"):
        interp.value_map(r, 20)


def test_summary_needs_runs():
    with pytest.raises(ValueError, match="at least one"):
        interp.summary([])
