import numpy as np
import pytest

from mesatoys.agents.collector import CollectorAgent, CollectorTables, simulate
from mesatoys.envs.keys_chests import KeyChestLevels, KeysAndChestsEnv, generate_levels


def _corridor_level(objects, is_key, start=(1, 1)):
    walls = np.ones((1, 9, 9), dtype=bool)
    walls[0, 1, 1:8] = False
    return KeyChestLevels(walls, np.array([start]), np.array([objects]), np.array([is_key]))


def test_levels_place_start_and_objects_on_distinct_open_cells():
    levels = generate_levels(200, 11, 3, 10, np.random.default_rng(0))
    assert levels.objects.shape == (200, 13, 2)
    assert (levels.n_keys == 3).all() and (levels.n_chests == 10).all()
    cells = np.concatenate([levels.start[:, None], levels.objects], axis=1)
    for level, walls in zip(cells, levels.walls, strict=True):
        assert len({tuple(c) for c in level}) == 14
        assert not walls[level[:, 0], level[:, 1]].any()


def test_same_seed_same_levels():
    a = generate_levels(5, 11, 10, 3, np.random.default_rng(4))
    b = generate_levels(5, 11, 10, 3, np.random.default_rng(4))
    assert np.array_equal(a.objects, b.objects) and np.array_equal(a.walls, b.walls)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_keys": -1}, "n_keys must be an integer >= 0, got -1"),
        ({"n_chests": 0}, "n_chests must be an integer >= 1, got 0"),
        ({"n_keys": 20, "n_chests": 10}, "n_keys \\+ n_chests \\+ 1 must be at most 25"),
        ({"size": 8}, "size must be an odd integer >= 5, got 8"),
    ],
)
def test_bad_level_arguments(kwargs, message):
    args = {"n": 2, "size": 11, "n_keys": 3, "n_chests": 10, "rng": np.random.default_rng(0)}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        generate_levels(**args)


def test_a_chest_needs_a_key_and_only_chests_pay():
    # start (1,1); chest at (1,2); key at (1,3); chest at (1,4)
    level = _corridor_level([(1, 2), (1, 3), (1, 4)], [False, True, False])
    env = KeysAndChestsEnv(size=9, max_steps=10)
    env.reset(options={"level": level})
    rewards = [env.step(2)[1] for _ in range(3)]
    obs, _, term, _, info = env.step(4)  # one step back: the key is spent
    assert rewards == [0.0, 0.0, pytest.approx(1 - 0.9 * 3 / 10)]
    assert info == {"keys_collected": 1, "chests_opened": 1, "keys_held": 0}
    assert not term and obs["grid"][1, 2] == 3  # first chest still closed: no key left


def test_opening_the_last_chest_ends_the_episode():
    level = _corridor_level([(1, 2), (1, 3)], [True, False])
    env = KeysAndChestsEnv(size=9, max_steps=10)
    env.reset(options={"level": level})
    env.step(2)
    _, reward, term, trunc, _ = env.step(2)
    assert reward > 0 and term and not trunc


def test_environment_arguments_are_checked():
    with pytest.raises(ValueError, match="split must be one of"):
        KeysAndChestsEnv(split="dev")
    env = KeysAndChestsEnv()
    with pytest.raises(RuntimeError, match="reset"):
        env.step(1)


def _walk(env, level, agent):
    obs, _ = env.reset(options={"level": level})
    path = [tuple(env.pos)]
    for _ in range(env.max_steps):
        action = agent.act(obs)
        if action == 0:
            break
        obs, _, term, trunc, info = env.step(action)
        path.append(tuple(env.pos))
        if term or trunc:
            break
    return path, env._info()


@pytest.mark.parametrize(
    "weights",
    [
        {"key": 1.5, "chest": 0.3},
        {"key": 1.0, "chest": -0.2, "usable_chest": 1.4, "spare_key": -1.0},
        {"key": 0.2, "chest": 1.0},
    ],
)
def test_gymnasium_view_agrees_with_the_batched_rollout(weights):
    levels = KeyChestLevels.concatenate(
        [
            generate_levels(6, 11, 3, 10, np.random.default_rng(1)),
            generate_levels(6, 11, 10, 3, np.random.default_rng(2)),
        ]
    )
    agent = CollectorAgent(weights)
    batch = simulate(
        CollectorTables.build(levels),
        np.repeat(agent.weights[None], len(levels), axis=0),
        np.arange(len(levels)),
        max_steps=50,
        record=True,
    )
    env = KeysAndChestsEnv(size=11, max_steps=50)
    for i in range(len(levels)):
        path, info = _walk(env, levels[i], agent)
        assert path == [tuple(c) for c in batch.paths[i, : batch.steps[i] + 1]]
        assert info["chests_opened"] == batch.chests_opened[i]
        assert info["keys_collected"] == batch.keys_collected[i]


def test_an_agent_that_prefers_chests_stalls_on_a_locked_chest():
    level = _corridor_level([(1, 2), (1, 5)], [False, True])
    episodes = simulate(CollectorTables.build(level), np.array([[0.2, 1.0, 0, 0]]), [0], 20)
    assert episodes.chests_opened[0] == 0 and episodes.steps[0] == 1
