"""The specification-gaming experiment: exact optimizers checked against brute force."""

import dataclasses

import numpy as np
import pytest

from mesatoys.envs.boat_race import REWARDS, BoatRaceEnv, make_track
from mesatoys.experiments import specification_gaming as sg
from mesatoys.optimize import ESConfig

FAST = sg.Config(n_eval_episodes=200, es=ESConfig(generations=4, pairs=2))


# --- an independent reference: the rules written out again, searched exhaustively -------------


def _ring(side):
    """Grid cells of the ring, clockwise from the middle of the top side (plain Python)."""
    ring = [(1, c) for c in range(1, side + 1)]
    ring += [(r, side) for r in range(2, side + 1)]
    ring += [(side, c) for c in range(side - 1, 0, -1)]
    ring += [(r, 1) for r in range(side - 1, 1, -1)]
    k = (side - 1) // 2
    return ring[k:] + ring[:k]


def _brute_force_best(side, reward, horizon):
    """Best return over all 4**horizon action sequences, by depth-first search."""
    ring = _ring(side)
    where = {cell: i for i, cell in enumerate(ring)}
    # Checkpoint cells and the move (dr, dc) that enters each one clockwise.
    arrows = {ring[0]: (0, 1), ring[side - 1]: (1, 0)}
    arrows.update({ring[2 * (side - 1)]: (0, -1), ring[3 * (side - 1)]: (-1, 0)})
    order = [ring[0], ring[side - 1], ring[2 * (side - 1)], ring[3 * (side - 1)]]

    def search(cell, target, steps_left):
        if steps_left == 0:
            return 0
        best = 0
        for move in ((-1, 0), (0, 1), (1, 0), (0, -1)):
            nxt = (cell[0] + move[0], cell[1] + move[1])
            if nxt not in where:
                nxt = cell  # land: the boat stays
            paid = 0
            new_target = target
            if nxt != cell and arrows.get(nxt) == move:
                in_order = nxt == order[target]
                paid = 1 if reward == "checkpoints" or in_order else 0
                new_target = (target + 1) % 4 if in_order else target
            best = max(best, paid + search(nxt, new_target, steps_left - 1))
        return best

    return search(ring[0], 1, horizon)


@pytest.mark.parametrize("reward", REWARDS)
@pytest.mark.parametrize(("side", "horizon"), [(3, 9), (5, 8)])
def test_value_iteration_matches_brute_force(reward, side, horizon):
    track = make_track(side)
    model = track.model(reward)
    for h in range(1, horizon + 1):
        assert sg.best_return(model, track.start_state, h) == _brute_force_best(side, reward, h)


@pytest.mark.parametrize("side", [3, 5, 7, 9, 11])
@pytest.mark.parametrize("reward", REWARDS)
def test_the_planner_earns_the_best_possible_episode_return(side, reward):
    track = make_track(side)
    model = track.model(reward)
    limit = sg.Config(side=side).episode_limit
    planner = sg.play(model, track, sg.planner_policy(model, 0.95), limit)
    assert planner.returns[0] == sg.best_return(model, track.start_state, limit)


def test_best_returns_at_the_default_settings():
    track = make_track(5)
    assert sg.best_return(track.model("checkpoints"), track.start_state, 48) == 24
    assert sg.best_return(track.model("ordered"), track.start_state, 48) == 12


def test_expected_returns_match_deterministic_play_and_sampling():
    track = make_track(5)
    model = track.model("checkpoints")
    deterministic = np.stack([sg.intended_policy(track), sg.planner_policy(model, 0.95)])
    assert sg.expected_returns(model, deterministic, track.start_state, 48).tolist() == [12, 24]
    logits = np.random.default_rng(0).normal(size=(16, 4))
    exact = sg.expected_returns(model, sg.softmax_policy(logits)[None], track.start_state, 48)[0]
    sampled = sg.play(
        model, track, sg.softmax_policy(logits), 48, 4000, np.random.default_rng(1)
    ).returns
    assert abs(sampled.mean() - exact) < 4 * sampled.std() / np.sqrt(len(sampled))


def test_gymnasium_view_agrees_with_play():
    track = make_track(5)
    for reward in REWARDS:
        model = track.model(reward)
        policy = sg.planner_policy(model, 0.95)
        episode = sg.play(model, track, policy, 48, record=True)
        env = BoatRaceEnv(reward=reward)
        env.reset()
        cells, rewards = [0], []
        for _ in range(48):
            _, r, _, _, info = env.step(int(policy[env.state].argmax()))
            cells.append(info["cell"])
            rewards.append(r)
        assert cells == episode.cells[0].tolist()
        assert rewards == episode.rewards[0].tolist()
        assert info["laps"] == episode.laps[0]


def test_the_phenomenon_at_the_default_settings():
    result = sg.run(sg.Config(n_eval_episodes=300), seed=0)
    gamed, fixed = "checkpoints", "ordered"
    # The intended behaviour: 3 laps, 12 points under either reward.
    for reward in REWARDS:
        assert result.intended[reward].laps == 3 and result.intended[reward].specified_return == 12
    # A perfect optimizer of the checkpoint reward earns twice that and sails no lap.
    assert result.planner[gamed].specified_return == 24 == result.best_return[gamed]
    assert result.planner[gamed].laps == 0
    # With the fixed reward it races, and the best return is exactly the intended one.
    assert result.planner[fixed].specified_return == 12 == result.best_return[fixed]
    assert result.planner[fixed].laps == 3


@pytest.mark.parametrize("seed", range(5))
def test_the_learned_policy_games_and_then_races(seed):
    result = sg.run(sg.Config(n_eval_episodes=300), seed=seed)
    gamed, fixed = result.learned["checkpoints"], result.learned["ordered"]
    assert gamed.specified_return >= 22 and gamed.laps <= 0.05
    assert fixed.specified_return >= 11.5 and fixed.laps >= 2.5


def test_same_seed_same_numbers_and_seeds_differ():
    a, b, c = sg.run(FAST, 1), sg.run(FAST, 1), sg.run(FAST, 2)
    for reward in REWARDS:
        assert np.array_equal(a.learned_logits[reward], b.learned_logits[reward])
        assert a.learned[reward] == b.learned[reward]
        assert not np.array_equal(a.learned_logits[reward], c.learned_logits[reward])


def test_summary_and_sweep():
    results = sg.sweep(FAST, [0, 1], progress=False)
    assert [r.seed for r in results] == [0, 1]
    stats = sg.summary(results)
    assert stats["planner/checkpoints/laps"] == {"mean": 0.0, "min": 0.0, "max": 0.0}
    assert stats["intended/ordered/laps"] == {"mean": 3.0, "min": 3.0, "max": 3.0}
    learned = stats[sg.summary_key("learned", "ordered", "laps")]
    assert learned["min"] <= learned["mean"] <= learned["max"]
    with pytest.raises(TypeError, match="config must be a specification_gaming.Config"):
        sg.run({"side": 5})


def test_compare_track_sizes():
    comparison = sg.compare_track_sizes((3, 5, 7))
    assert comparison.max_steps.tolist() == [24, 48, 72]
    assert comparison.intended_return.tolist() == [12, 12, 12]
    assert comparison.planner_return.tolist() == [12, 24, 36]
    assert comparison.intended_laps.tolist() == [3, 3, 3]
    assert (comparison.planner_laps == 0).all()


def test_result_accessors():
    result = sg.run(FAST, 0)
    assert result.outcome("planner", "ordered") is result.planner["ordered"]
    assert result.policy("intended", "checkpoints").shape == (64, 4)
    assert np.allclose(result.policy("learned", "ordered").sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="agent must be one of"):
        result.outcome("robot", "ordered")
    with pytest.raises(ValueError, match="reward must be one of"):
        result.policy("planner", "laps")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"side": 6}, r"side must be an odd integer in \[3, 15\], got 6"),
        ({"max_steps": 0}, "max_steps must be an integer >= 1, got 0"),
        ({"gamma": 1.0}, r"gamma must be in \(0, 1\), got 1.0"),
        ({"gamma": "high"}, "gamma must be a number"),
        ({"n_eval_episodes": 0}, "n_eval_episodes must be an integer >= 1, got 0"),
        ({"es": {"generations": 3}}, "es must be an ESConfig"),
    ],
)
def test_bad_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sg.Config(**kwargs)


def test_bad_arguments():
    model = make_track(5).model("ordered")
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got -1"):
        sg.run(FAST, seed=-1)
    with pytest.raises(ValueError, match=r"gamma must be in \(0, 1\) without a horizon"):
        sg.q_values(model, 1.0)
    with pytest.raises(ValueError, match="horizon must be an integer >= 1, got 0"):
        sg.q_values(model, 0.9, horizon=0)
    with pytest.raises(ValueError, match="results must hold at least one run"):
        sg.summary([])
    uniform = np.full((64, 4), 0.25)
    with pytest.raises(ValueError, match="rng must be a numpy Generator"):
        sg.play(model, make_track(5), uniform, 10)


def test_config_episode_limit():
    assert sg.Config().episode_limit == 48
    assert dataclasses.replace(sg.Config(), side=3).episode_limit == 24
    assert sg.Config(max_steps=10).episode_limit == 10
