"""Notebook 04's exercise: a reward for the boat race that a perfect optimizer cannot game.

- ``race_reward``: the learner writes the reward of every move of the boat race
  (:mod:`mesatoys.envs.boat_race`). Many rewards are right (pay net clockwise progress;
  pay checkpoints only in race order), so the check is behavioural: the course's
  planner, a perfect optimizer (:func:`mesatoys.experiments.specification_gaming.planner_policy`),
  maximises the learner's reward on tracks of several sizes, from every cell, and must
  sail the same route as under the reference, which is to race. :func:`race_with`
  plans and trains the notebook's two optimizers on the learner's reward and reports
  points and laps beside the written checkpoint reward's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mesatoys.course.exercises.core import Case, Exercise, Mistake
from mesatoys.envs.boat_race import N_CHECKPOINTS, Model, Track, laps, make_track, step
from mesatoys.experiments import specification_gaming as sg

NOTEBOOK = "04_outer_alignment"
LAPS = 3  # each check episode lasts three laps of its track, as in the notebook


def race_reward(progress, entered, next_checkpoint):
    """A reward for the boat race under which the best-paid way to sail is to race.

    Every argument has one entry per possible move: row s is a state of the boat (its
    cell, and the checkpoint it must enter next in race order), column a an action
    (up, right, down, left).

    Args:
        progress: (states, 4) int array: +1 if the move sails one cell clockwise, -1 if
            it sails one cell anticlockwise, 0 if it runs into land.
        entered: (states, 4) int array: the checkpoint the move enters sailing
            clockwise (0 the start line, 1 right, 2 bottom, 3 left), or -1 if it enters
            none that way.
        next_checkpoint: (states, 4) int array: the checkpoint that comes next in race
            order, before the move (the same across a row).

    Returns:
        (states, 4) array of numbers: the reward of every move. The check hands it to
        the notebook's planner, a perfect optimizer, on tracks of several sizes with
        the boat starting on every cell; it passes if the planner then races clockwise
        all the time, as the designer wanted. Any reward that does this passes.
    """
    return progress.astype(float)


def _checkpoints(progress, entered, next_checkpoint):
    return (entered >= 0).astype(float)


def _finish_line(progress, entered, next_checkpoint):
    return (entered == 0).astype(float)


def _nothing(progress, entered, next_checkpoint):
    return np.zeros(progress.shape)


def _either_way(progress, entered, next_checkpoint):
    return np.abs(progress).astype(float)


def move_tables(track: Track) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The inputs of :func:`race_reward` on one track: ``(progress, entered, next_checkpoint)``.

    Args:
        track: The track.

    Returns:
        Three ``(n_states, 4)`` int arrays, indexed like the track's :class:`Model`.
    """
    written = track.model("checkpoints")
    index = np.full(track.length, -1)
    index[track.checkpoints] = np.arange(N_CHECKPOINTS)
    entered = np.where(written.reward == 1, index[written.next_state // N_CHECKPOINTS], -1)
    target = np.arange(track.n_states) % N_CHECKPOINTS
    next_checkpoint = np.repeat(target[:, None], len(written.progress[0]), axis=1)
    return written.progress.copy(), entered, next_checkpoint


def reward_model(track: Track, reward: object) -> Model:
    """The track's model with ``reward`` as its reward table.

    Raises:
        ValueError: Unless ``reward`` is an ``(n_states, 4)`` array of finite numbers.
    """
    problem = _table_problem(track, reward)
    if problem is not None:
        raise ValueError(f"the reward must be {problem}")
    written = track.model("checkpoints")
    return Model(written.next_state, np.asarray(reward, dtype=float), written.progress)


def _table_problem(track: Track, reward: object) -> str | None:
    shape = (track.n_states, len(track.neighbours[0]))
    try:
        table = np.asarray(reward, dtype=float)
    except (TypeError, ValueError):
        return f"an array of shape {shape}, one number per move; got {type(reward).__name__}"
    if table.shape != shape:
        return f"an array of shape {shape}, one number per move; got shape {table.shape}"
    if not np.isfinite(table).all():
        return "finite numbers everywhere; got nan or inf"
    return None


def planner(track: Track, reward: object, gamma: float = sg.Config().gamma) -> np.ndarray:
    """The notebook's planner for a reward table: ``(n_states, 4)`` one-hot actions.

    The table is divided by its largest size first, which leaves the best actions
    unchanged and keeps value iteration's precision whatever the reward's scale.
    """
    model = reward_model(track, reward)
    top = np.abs(model.reward).max()
    scaled = Model(model.next_state, model.reward / (top if top > 0 else 1.0), model.progress)
    return sg.planner_policy(scaled, gamma)


def routes(track: Track, policy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sail a deterministic policy for three laps' time from every cell of the track.

    Each boat starts with the checkpoint ahead of it to enter next (from the start line,
    checkpoint 1, as in the notebook).

    Returns:
        ``(cells, laps)``: ``(length, steps + 1)`` track cell of each boat at every step,
        and ``(length,)`` laps each completed.
    """
    model = track.model("checkpoints")
    cells = np.arange(track.length)
    states = track.state(cells, (cells // (track.side - 1) + 1) % N_CHECKPOINTS)
    actions = policy.argmax(axis=1)
    progress, trace = np.zeros(track.length, dtype=np.int64), [cells]
    for _ in range(LAPS * track.length):
        states, _, moved = step(model, states, actions[states])
        progress += moved
        trace.append(states // N_CHECKPOINTS)
    return np.stack(trace, axis=1), laps(progress, track.length)


def _side_of(table: object) -> int:
    """The side of the track whose reward table has this many rows."""
    rows = np.shape(table)[0] if np.ndim(table) == 2 else 0
    return rows // (N_CHECKPOINTS * N_CHECKPOINTS) + 1


def compare_races(expected: object, got: object) -> str | None:
    """Whether the planner sails the same routes under the learner's reward as under the reference.

    The track is the one whose size matches the reference's table.

    Returns:
        What differs, in a sentence fragment, or None.
    """
    track = make_track(_side_of(expected))
    problem = _table_problem(track, got)
    if problem is not None:
        return f"expected {problem}"
    want_cells, want_laps = routes(track, planner(track, expected))
    cells, got_laps = routes(track, planner(track, got))
    if np.array_equal(cells, want_cells):
        return None
    same = int(np.all(cells == want_cells, axis=1).sum())
    return (
        f"with your reward the planner completes {_laps(got_laps[0])} from the start line "
        f"in {cells.shape[1] - 1} steps where racing completes {_laps(want_laps[0])}, and "
        f"it races from only {same} of the track's {track.length} cells"
    )


def _laps(count: int) -> str:
    count = max(int(count), 0)
    return f"{count} lap" if count == 1 else f"{count} laps"


def _cases() -> list[Case]:
    cases = []
    for side, words in (
        (5, "the notebook's track (side 5: 16 cells, 48 steps)"),
        (3, "the smallest track (side 3: 8 cells, 24 steps)"),
        (7, "a track of side 7 (24 cells, 72 steps)"),
        (11, "a track of side 11 (40 cells, 120 steps)"),
        (15, "the largest track (side 15: 56 cells, 168 steps)"),
    ):
        label = f"{words}, the boat starting on every cell in turn"
        cases.append(Case(label, move_tables(make_track(side))))
    return cases


@dataclass(frozen=True)
class Score:
    """How the notebook's two optimizers do under one reward.

    Attributes:
        planner_return: The planner's points per episode.
        planner_laps: The planner's laps per episode.
        learned_return: The learned policy's mean points per episode.
        learned_laps: The learned policy's mean laps per episode.
    """

    planner_return: float
    planner_laps: float
    learned_return: float
    learned_laps: float


@dataclass(frozen=True)
class RaceRun:
    """Both optimizers on the learner's reward, and on the written checkpoint reward.

    Attributes:
        side: The track's side.
        max_steps: Steps per episode (time for three laps).
        yours: The scores under the learner's reward.
        written: The scores under the checkpoint reward.
    """

    side: int
    max_steps: int
    yours: Score
    written: Score

    def __str__(self) -> str:
        lines = [f"Track of side {self.side}, {self.max_steps} steps (time for {LAPS} laps):"]
        for name, score in (("your reward", self.yours), ("the written reward", self.written)):
            lines.append(
                f"  {name}: the planner earns {score.planner_return:g} points and completes "
                f"{score.planner_laps:g} laps; the learned policy earns "
                f"{score.learned_return:.1f} and completes {score.learned_laps:.1f} laps"
            )
        return "\n".join(lines)

    __repr__ = __str__


def race_with(
    reward: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    side: int = 5,
    seed: int = 0,
) -> RaceRun:
    """Plan and train on ``reward``, and on the written checkpoint reward, as notebook 04 does.

    The learned policy is trained with the seeds notebook 04 uses for the fixed reward
    (and for the written reward, the ones it uses for that), so a learner who pays
    checkpoints in race order gets the notebook's laps.

    Args:
        reward: ``reward(progress, entered, next_checkpoint)``, like :func:`race_reward`.
        side: The track's side (odd, from 3 to 15).
        seed: Seed of the learned policy's training and evaluation.

    Returns:
        Points and laps of both optimizers under both rewards.

    Raises:
        ValueError: If ``reward`` does not return one finite number per move.
    """
    config = sg.Config(side=side)
    track = make_track(side)
    table = reward(*move_tables(track))
    yours = _score(track, reward_model(track, table), config, seed, index=1)
    written = _score(track, track.model("checkpoints"), config, seed, index=0)
    return RaceRun(side, config.episode_limit, yours, written)


def _score(track: Track, model: Model, config: sg.Config, seed: int, index: int) -> Score:
    """Points (exact expectations under ``model``) and laps (sailed) of both optimizers."""
    limit, sailing = config.episode_limit, track.model("checkpoints")
    planned = planner(track, model.reward, config.gamma)
    logits, _ = sg.train_policy(model, track, config, np.random.default_rng([seed, index]))
    learned = sg.softmax_policy(logits)
    points = sg.expected_returns(model, np.stack([planned, learned]), track.start_state, limit)
    rng = np.random.default_rng([seed, 10 + index])
    return Score(
        planner_return=float(points[0]),
        planner_laps=float(sg.play(sailing, track, planned, limit).laps.mean()),
        learned_return=float(points[1]),
        learned_laps=float(
            sg.play(sailing, track, learned, limit, config.n_eval_episodes, rng).laps.mean()
        ),
    )


EXERCISES = {
    "race_reward": Exercise(
        id="race_reward",
        notebook=NOTEBOOK,
        title="A reward that cannot be gamed",
        reference=race_reward,
        cases=_cases,
        mistakes=(
            Mistake(
                _checkpoints,
                "pay for every checkpoint entered clockwise, as the written reward does: "
                "stepping back off a checkpoint and onto it again pays every time",
            ),
            Mistake(
                _finish_line,
                "pay only for crossing the finish line: the boat can step back and cross it "
                "again every second step, so it dithers there (caveat 2 of section 6)",
            ),
            Mistake(
                _nothing,
                "pay the same for every move (for example nothing): then every way of sailing "
                "is as good as racing, and the planner has no reason to race",
            ),
            Mistake(
                _either_way,
                "pay for sailing a cell whichever way: sailing back and forth then pays as "
                "much as racing",
            ),
        ),
        hints=(
            "ask what a perfect optimizer would do with your reward: it finds the best-paid "
            "way to sail, loopholes included. Going back and forth must never pay as much "
            "as going round.",
            "the written reward pays for *entering* a checkpoint, whatever came before. "
            "Either pay checkpoints only in race order (`entered == next_checkpoint`), or "
            "pay what the designer wants directly: progress round the track.",
            "`progress` is +1 for a cell sailed clockwise and -1 for one sailed back: "
            "returning it (as floats) makes backing up cost what going forward earned.",
        ),
        compare=compare_races,
        passes="makes the planner race clockwise from every cell, on all {n} tracks",
    ),
}
