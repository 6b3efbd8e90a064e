"""The exact evaluator against BFS and against episodes sampled in the Gymnasium view."""

import numpy as np
import pytest

from mesatoys.agents.planner import objective_vector
from mesatoys.agents.watched_evaluator import best_returns, expect, walk
from mesatoys.agents.watched_planner import FEATURE_NAMES, EpisodeSpecs, plan
from mesatoys.envs.absent_supervisor import (
    GOAL_REWARD,
    MOVEMENT_REWARD,
    PUNISHMENT_REWARD,
    TEST_LAYOUTS,
    TRAIN_LAYOUTS,
    AbsentSupervisorEnv,
    make_world,
)
from tests.conftest import bfs_distances

ARTS = {**TRAIN_LAYOUTS, **TEST_LAYOUTS}


def _bfs_lengths(art):
    """(shortest route, shortest route around the punishment cell), by plain BFS."""
    walls = np.array([[ch == "#" for ch in row] for row in art])
    marks = {ch: (r, c) for r, row in enumerate(art) for c, ch in enumerate(row) if ch in "AGP"}
    short = bfs_distances(walls, marks["G"])[marks["A"]]
    walls[marks["P"]] = True
    return short, bfs_distances(walls, marks["G"])[marks["A"]]


def _reference_best(art, watched):
    short, safe = _bfs_lengths(art)
    through = GOAL_REWARD + MOVEMENT_REWARD * short + PUNISHMENT_REWARD * watched
    return max(through, GOAL_REWARD + MOVEMENT_REWARD * safe)


@pytest.mark.parametrize("split", ["train", "test"])
@pytest.mark.parametrize("watched", [False, True])
def test_best_returns_match_bfs(split, watched):
    world = make_world(split)
    specs = EpisodeSpecs.every_layout(world, supervisor=watched)
    expected = [_reference_best(ARTS[name], watched) for name in world.names]
    assert best_returns(world, specs).tolist() == expected


@pytest.mark.parametrize("split", ["train", "test"])
def test_a_greedy_planner_with_the_rewards_preferences_earns_the_bfs_optimum(split):
    world = make_world(split)
    # Avoid the cell only when the supervisor shows: the reward's own preferences.
    weights = objective_vector({"goal": 1.0, "punishment_supervised": -5.0}, FEATURE_NAMES)
    for supervisor in (False, True):
        specs = EpisodeSpecs.every_layout(world, supervisor=supervisor)
        policy = plan(world, specs, weights[None], gamma=0.95, horizon=20)
        expected = expect(world, specs, policy)
        best = [_reference_best(ARTS[name], supervisor) for name in world.names]
        np.testing.assert_allclose(expected.returns(specs.watched)[0], best)
        assert expected.shortcut[0].tolist() == [0.0 if supervisor else 1.0] * world.n_layouts
        assert expected.steps[0].tolist() == [9 if supervisor else 3] * world.n_layouts


def _sample(env, open_index, cumulative, options, rng):
    """One episode in the Gymnasium view, acting by a policy given as cumulative probabilities."""
    env.reset(options=options)
    term = trunc = False
    while not (term or trunc):
        action = int(np.searchsorted(cumulative[open_index[env.cell]], rng.random(), side="right"))
        _, _, term, trunc, info = env.step(min(action, 3))
    return info["episode_return"], info["performance"], info["punished"] > 0, term, env.steps


@pytest.mark.parametrize(
    "options",
    [
        {"supervisor": False},
        {"supervisor": True},
        {"supervisor": False, "camera": True, "watched": True},
    ],
)
def test_expectations_match_a_plain_monte_carlo_in_the_gymnasium_view(options):
    world = make_world("train")
    weights = objective_vector(
        {"goal": 0.5, "punishment_unobserved": -0.1, "punishment_camera": -0.3}, FEATURE_NAMES
    )
    specs = EpisodeSpecs.every_layout(
        world, options["supervisor"], options.get("camera", False), options.get("watched")
    )
    policy = plan(world, specs, weights[None], 0.95, 20, temperature=0.3)
    exact = expect(world, specs, policy)
    rng, env, n = np.random.default_rng(0), AbsentSupervisorEnv(), 250
    for layout in range(world.n_layouts):
        open_index = {int(cell): i for i, cell in enumerate(world.open.cells[layout])}
        cumulative = policy[0, layout].cumsum(axis=-1)
        layout_options = {"layout": layout, **options}
        runs = np.array(
            [_sample(env, open_index, cumulative, layout_options, rng) for _ in range(n)], float
        )
        expected = (
            exact.returns(specs.watched)[0, layout],
            exact.performance()[0, layout],
            exact.shortcut[0, layout],
            exact.reached[0, layout],
            exact.steps[0, layout],
        )
        for column, value in zip(runs.T, expected, strict=True):
            sem = column.std() / np.sqrt(n)
            assert abs(column.mean() - value) < 4 * sem + 0.02


def test_walk_follows_the_gymnasium_view_step_by_step():
    world = make_world("test")
    rng = np.random.default_rng(1)
    actions = rng.integers(0, 4, (3, world.n_layouts, world.open.n_open))
    specs = EpisodeSpecs.every_layout(world, supervisor=True)
    traces = walk(world, specs, actions, max_steps=12)
    assert traces.shape == (3, world.n_layouts, 13)
    env = AbsentSupervisorEnv(split="test", max_steps=12)
    for agent in range(3):
        for layout in range(world.n_layouts):
            env.reset(options={"layout": layout, "supervisor": True})
            cells, done = [env.cell], False
            for _ in range(12):
                if not done:
                    open_index = int(np.flatnonzero(world.open.cells[layout] == env.cell)[0])
                    _, _, done, _, _ = env.step(int(actions[agent, layout, open_index]))
                cells.append(env.cell)
            assert traces[agent, layout].tolist() == cells


def test_bad_step_limits():
    world = make_world("train")
    specs = EpisodeSpecs.every_layout(world, supervisor=True)
    with pytest.raises(ValueError, match="max_steps must be an integer >= 1"):
        best_returns(world, specs, max_steps=0)
    with pytest.raises(ValueError, match="max_steps"):
        expect(world, specs, np.full((1, 4, world.open.n_open, 4), 0.25), max_steps=-1)
