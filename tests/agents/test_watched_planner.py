"""The absent-supervisor planner against plain-loop references on the full grid."""

import numpy as np
import pytest

from mesatoys.agents.planner import objective_dict, objective_vector
from mesatoys.agents.watched_planner import (
    FEATURE_NAMES,
    EpisodeSpecs,
    action_values,
    choice_probabilities,
    move_features,
    plan,
)
from mesatoys.envs.absent_supervisor import make_world

LOOKS = [(False, False), (True, False), (False, True), (True, True)]  # (supervisor, camera)


def _reference_q(world, layout, weights, supervisor, camera, gamma, horizon):
    """Value iteration by plain loops over every cell of the full grid (walls included).

    Returns:
        ``{(cell, action): Q}``.
    """
    goal, punishment = int(world.goal[layout]), int(world.punishment[layout])
    if supervisor:
        feature = "punishment_supervised"
    else:
        feature = "punishment_camera" if camera else "punishment_unobserved"
    w = dict(zip(FEATURE_NAMES, weights, strict=True))
    n_cells = world.next_cell.shape[1]
    q = {(s, a): 0.0 for s in range(n_cells) for a in range(4)}
    for _ in range(horizon):
        new = {}
        for s in range(n_cells):
            for a in range(4):
                nxt = int(world.next_cell[layout, s, a])
                utility = w["goal"] * (nxt == goal) + w[feature] * (nxt == punishment)
                future = 0.0 if nxt == goal else max(q[(nxt, b)] for b in range(4))
                new[(s, a)] = utility + gamma * future
        q = new
    return q


@pytest.mark.parametrize(("supervisor", "camera"), LOOKS)
def test_action_values_match_plain_value_iteration(supervisor, camera):
    world = make_world("train")
    weights = np.array([[2.0, -3.0, -1.5, -0.4], [0.7, 0.5, -2.0, 1.0]])
    specs = EpisodeSpecs.every_layout(world, supervisor, camera)
    for horizon in (1, 3, 20):
        q = action_values(world, specs, weights, gamma=0.9, horizon=horizon)
        for agent, w in enumerate(weights):
            for layout in range(world.n_layouts):
                ref = _reference_q(world, layout, w, supervisor, camera, 0.9, horizon)
                n_open = int((~world.walls[layout]).sum())
                for i, cell in enumerate(world.open.cells[layout, :n_open]):
                    expected = [ref[(int(cell), a)] for a in range(4)]
                    np.testing.assert_allclose(q[agent, layout, i], expected, atol=1e-12)


def test_move_features_fire_once_per_entered_cell():
    world = make_world("test")
    for supervisor, camera in LOOKS:
        specs = EpisodeSpecs.every_layout(world, supervisor, camera)
        features = move_features(world, specs)
        tables = world.open
        for layout in range(world.n_layouts):
            nxt = tables.next_cell[layout]
            goal, punish = nxt == tables.goal[layout], nxt == tables.punishment[layout]
            f = features[layout]
            assert np.array_equal(f[..., 0] > 0, goal)
            assert np.array_equal(f[..., 1:].sum(axis=-1) > 0, punish)
            assert f[..., 1:].sum(axis=-1).max() == 1  # one punishment feature at a time
            assert not f[..., 1].any() or supervisor  # supervised only when it shows
            assert not f[..., 2].any() or (camera and not supervisor)


def test_choice_probabilities():
    q = np.array([[1.0, 3.0, 3.0 - 1e-12, 0.0], [-1.0, -1.0, -1.0, -1.0]])
    greedy = choice_probabilities(q, 0.0)
    assert greedy.tolist() == [[0, 1, 0, 0], [1, 0, 0, 0]]  # ties go to the first action
    soft = choice_probabilities(q, 0.5)
    expected = np.exp(q / 0.5) / np.exp(q / 0.5).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(soft, expected)
    big = choice_probabilities(np.array([1000.0, 0.0, 0.0, 0.0]), 1.0)  # no overflow
    np.testing.assert_allclose(big, [1.0, 0.0, 0.0, 0.0])


def test_plan_is_the_choice_over_the_action_values():
    world = make_world("train")
    specs = EpisodeSpecs.every_layout(world, supervisor=False)
    weights = np.array([[1.0, 0.0, 0.0, -0.3]])
    policy = plan(world, specs, weights, gamma=0.9, horizon=20, temperature=0.2)
    q = action_values(world, specs, weights, gamma=0.9, horizon=20)
    np.testing.assert_array_equal(policy, choice_probabilities(q, 0.2))
    assert policy.shape == (1, world.n_layouts, world.open.n_open, 4)


def test_episode_specs():
    world = make_world("train")
    specs = EpisodeSpecs.every_layout(world, supervisor=False, camera=True, watched=True)
    assert len(specs) == world.n_layouts
    assert specs.camera.all() and specs.watched.all() and not specs.supervisor.any()
    one = specs.select([2])
    assert len(one) == 1 and one.layout.tolist() == [2]
    assert EpisodeSpecs.every_layout(world, supervisor=True).watched.all()


def test_objectives_convert_with_the_planners_own_names():
    weights = objective_vector({"goal": 2.0, "punishment_camera": -1.0}, FEATURE_NAMES)
    assert weights.tolist() == [2.0, 0.0, -1.0, 0.0]
    assert objective_dict(weights, FEATURE_NAMES)["punishment_camera"] == -1.0
    with pytest.raises(ValueError, match="unknown features"):
        objective_vector({"cheese": 1.0}, FEATURE_NAMES)
    with pytest.raises(ValueError, match="must have 4 weights"):
        objective_vector(np.zeros(3), FEATURE_NAMES)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"gamma": 1.0}, r"gamma must be a finite number in \(0, 1\)"),
        ({"gamma": float("nan")}, "gamma"),
        ({"horizon": 0}, "horizon must be an integer >= 1"),
        ({"temperature": float("inf")}, "temperature must be a finite number >= 0"),
        ({"temperature": -0.1}, "temperature"),
    ],
)
def test_plan_rejects_bad_settings(kwargs, message):
    world = make_world("train")
    specs = EpisodeSpecs.every_layout(world, supervisor=True)
    settings = {"gamma": 0.9, "horizon": 5, "temperature": 0.0} | kwargs
    with pytest.raises(ValueError, match=message):
        plan(world, specs, np.zeros((1, 4)), **settings)
