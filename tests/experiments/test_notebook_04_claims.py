"""Every number the outer-alignment notebook states in words, checked at its own settings.

The notebook uses ``sg.Config()`` (side 5, 48 steps), seed 0 for the first run and seeds 0-2
for the sweep, ``sg.compare_track_sizes()`` (sides 3-11) and ``oa.BoatRaceExplorer()``
(sides 3-9). Practice questions and exercise explanations that describe the toy are checked
here too. The planner and the track involve no randomness; what the learned policy does is
checked again on seeds the notebook does not use at the end of this file (``FRESH``).
"""

import numpy as np
import pytest

from mesatoys.course.bank import question_by_id
from mesatoys.envs.boat_race import REWARDS, Model, make_track
from mesatoys.experiments import specification_gaming as sg

pytestmark = pytest.mark.slow

SEEDS = range(3)


@pytest.fixture(scope="module")
def res():
    return sg.run(sg.Config(), seed=0)


@pytest.fixture(scope="module")
def runs():
    return sg.sweep(sg.Config(), seeds=SEEDS, progress=False)


@pytest.fixture(scope="module")
def sizes():
    return sg.compare_track_sizes()


def _planner_episode(reward, side=5, gamma=0.95):
    track = make_track(side)
    model = track.model(reward)
    limit = sg.Config(side=side).episode_limit
    return sg.play(model, track, sg.planner_policy(model, gamma), limit, record=True)


def test_section4_the_track_and_the_intended_boat(res):
    track = res.track
    assert track.length == 16  # "a ring of 16 water cells"
    assert res.config.episode_limit == 48  # "an episode lasts 48 steps, time for three laps"
    assert track.n_states == 64  # "64 states: 16 cells times which checkpoint is next"
    assert res.config.es.generations == 60 and 2 * res.config.es.pairs == 16
    for reward in REWARDS:  # "completes 3 laps and earns 12 points"
        assert res.intended[reward].laps == 3 and res.intended[reward].specified_return == 12


def test_section4_both_optimizers_game_the_checkpoint_reward(res):
    for agent in ("planner", "learned"):
        outcome = res.outcome(agent, "checkpoints")
        assert outcome.specified_return == 24  # "both optimizers earn 24 points"
        assert outcome.laps == 0  # "they complete 0 laps"
    assert res.best_return["checkpoints"] == 24  # "the most any behaviour can earn"
    twice = 2 * res.intended["checkpoints"].specified_return
    assert res.planner["checkpoints"].specified_return == twice  # "twice the racing boat's 12"


def test_section4_the_planner_dithers_over_the_finish_line():
    cells = _planner_episode("checkpoints").cells[0]
    assert set(cells.tolist()) == {0, 15}  # "never more than one cell from the start line"
    moves = list(zip(cells[:-1].tolist(), cells[1:].tolist(), strict=True))
    assert moves.count((0, 15)) == 24 and moves.count((15, 0)) == 24  # "24 times each way"


def test_section4_the_learned_policy_found_the_same_trick(res):
    track = res.track
    model = track.model("checkpoints")
    policy = res.policy("learned", "checkpoints")
    episodes = sg.play(model, track, policy, 48, 1000, np.random.default_rng(0), record=True)
    assert set(np.unique(episodes.cells).tolist()) == {0, 15}  # "in every one of 1,000 episodes"
    assert res.learned["checkpoints"].n_episodes == 1000


def test_section5_points_per_step(sizes):
    side5 = list(sizes.sides).index(5)
    assert sizes.intended_return[side5] / sizes.max_steps[side5] == 0.25  # racing: 1/4
    assert sizes.planner_return[side5] / sizes.max_steps[side5] == 0.5  # dithering: 1/2


@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.95, 0.99, 0.999])
def test_section5_whatever_the_discount(gamma):
    episode = _planner_episode("checkpoints", gamma=gamma)
    assert episode.returns[0] == 24 and episode.laps[0] == 0


def test_section5_whatever_the_horizon():
    track = make_track(5)
    model = track.model("checkpoints")
    intended = sg.intended_policy(track)
    for horizon in range(1, 49):
        best = sg.best_return(model, track.start_state, horizon)
        racing = sg.play(model, track, intended, horizon).returns[0]
        assert best == horizon // 2  # a point every 2 steps
        assert racing == horizon // 4  # a point every 4 steps


def test_section5_track_sizes(sizes):
    assert sizes.sides.tolist() == [3, 5, 7, 9, 11]
    per_step = sizes.planner_return / sizes.max_steps
    racing = sizes.intended_return / sizes.max_steps
    assert make_track(3).length == 8  # "8 cells, the size of the original gridworld"
    assert per_step[0] == racing[0] == 0.5  # "both earn a point every 2 steps"
    assert sizes.planner_laps[0] == 0  # "ours happens to dither"
    assert (per_step[1:] > racing[1:]).all()  # "on every bigger track dithering pays more"
    assert make_track(11).length == 40 and per_step[-1] / racing[-1] == 5  # "five times"
    assert (sizes.planner_laps == 0).all()


def test_section6_the_fixed_reward(res, runs):
    assert res.best_return["ordered"] == 12  # "the best possible return is 12"
    for r in runs:
        assert r.planner["ordered"].specified_return == 12  # "the planner earns it"
        assert r.planner["ordered"].laps == 3  # "by racing 3 laps"
    laps = [r.learned["ordered"].laps for r in runs]
    assert 2.8 <= np.mean(laps) <= 3.0 and min(laps) >= 2.75  # "about 2.9 laps"
    returns = [r.learned["ordered"].specified_return for r in runs]
    assert all(11.5 <= x < 12 for x in returns)  # "a rare wrong move costs it the last checkpoint"
    for r in runs:  # the learned policy games the checkpoint reward in every seed
        assert (
            r.learned["checkpoints"].specified_return == 24 and r.learned["checkpoints"].laps == 0
        )


def test_section6_the_start_line_is_a_checkpoint():
    track = make_track(5)
    assert track.checkpoints[0] == 0  # "the start line here is a checkpoint"


def test_section6_explorer_questions(sizes):
    explorer_sides = [3, 5, 7, 9]
    no_better = [
        s
        for s, p, i in zip(sizes.sides, sizes.planner_return, sizes.intended_return, strict=True)
        if s in explorer_sides and p <= i
    ]
    assert no_better == [3]  # "on which track does the planner earn no more than racing?"
    for side in explorer_sides:  # "does the planner now race on every track?" yes
        assert _planner_episode("ordered", side=side).laps[0] == 3


def _custom_model(track, reward):
    base = track.model("checkpoints")
    return Model(base.next_state, reward, base.progress)


def _says(question_id: str, phrase: str) -> bool:
    """Whether a bank question (looked up by id) states ``phrase`` in an option or explanation."""
    q = question_by_id(question_id)
    return any(phrase in text for text in (*q.options, *q.explanations))


def test_practice_q2_finish_line_and_progress_rewards():
    qid = "outer-alignment-gameable-reward"
    assert _says(qid, "it pays every two steps")
    assert _says(qid, "Back and forth earns +1 and then -1: nothing")
    assert _says(qid, "16 steps of nothing before the first payment")
    track = make_track(5)
    base = track.model("checkpoints")
    enters_start = (base.next_state // 4 == 0) & (base.progress == 1)
    finish_line = _custom_model(track, enters_start.astype(np.int64))
    planner = sg.play(finish_line, track, sg.planner_policy(finish_line, 0.95), 48)
    assert planner.returns[0] == 24 and planner.laps[0] == 0  # "pays every two steps"
    progress = _custom_model(track, base.progress.copy())
    dither = np.zeros((64, 4))
    dither[np.arange(64), np.where(np.arange(64) // 4 == 0, 3, 1)] = 1  # left at 0, right at 15
    assert sg.play(progress, track, dither, 48).returns[0] == 0  # "back and forth: nothing"
    best = sg.play(progress, track, sg.planner_policy(progress, 0.95), 48)
    assert best.returns[0] == 48 and best.laps[0] == 3
    assert track.length == 16  # "16 steps of nothing before the first payment"


def test_practice_q1_the_same_planner_races_with_the_fixed_reward():
    qid = "outer-alignment-checkpoint-reward"
    assert _says(qid, "the same planner races three laps")
    assert _says(qid, "24 is the best possible return")
    assert _planner_episode("ordered").laps[0] == 3  # "races three laps"
    assert _planner_episode("checkpoints").returns[0] == 24


# --- the learned policy on seeds the notebook does not use ---------------------------------------

FRESH = (10, 11, 12)


@pytest.fixture(scope="module")
def fresh_runs():
    return sg.sweep(sg.Config(), seeds=FRESH, progress=False)


def test_fresh_the_learned_policy_finds_the_same_trick(fresh_runs):
    for r in fresh_runs:
        gamed = r.learned["checkpoints"]
        assert gamed.specified_return == 24 and gamed.laps == 0  # "both optimizers earn 24"
        track = r.track
        policy = r.policy("learned", "checkpoints")
        episodes = sg.play(
            track.model("checkpoints"), track, policy, 48, 1000, np.random.default_rng(0),
            record=True,
        )  # fmt: skip
        assert set(np.unique(episodes.cells).tolist()) == {0, 15}  # "dithers over the same line"


def test_fresh_the_learned_policy_races_with_the_fixed_reward(fresh_runs):
    for r in fresh_runs:
        fixed = r.learned["ordered"]
        assert 2.8 <= fixed.laps <= 3.0  # "about 2.9 laps"
        assert 11.5 <= fixed.specified_return <= 12  # "a rare wrong move costs it the last one"
        assert r.planner["ordered"].laps == 3 and r.planner["ordered"].specified_return == 12
