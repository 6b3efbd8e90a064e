"""Many cheese-maze levels stepped at once: the batched core as a Gymnasium ``VectorEnv``."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from mesatoys.checks import (
    check_choice,
    check_count,
    check_fraction,
    check_options,
    check_render_mode,
)
from mesatoys.envs.cheese_maze import AGENT, CHEESE_SEEN, render_grid
from mesatoys.envs.features import check_radius, cheese_in_view
from mesatoys.envs.hand_mazes import check_level
from mesatoys.envs.maze import (
    ACTION_NAMES,
    LAYOUTS,
    MAX_BATCH_CELLS,
    SPLITS,
    LevelBatch,
    base_return,
    check_obstacles,
    check_size,
    generate_levels,
    step_positions,
)

OPTION_KEYS = ("levels",)
INFO_KEYS = ("reached_cheese", "reached_corner", "proxy", "cheese", "distinguishing")


class CheeseMazeVectorEnv(VectorEnv):
    """``num_envs`` cheese-maze levels, stepped together by the batched numpy core.

    ## Description
    The vectorized counterpart of :class:`~mesatoys.envs.CheeseMazeEnv`: the same
    arguments (split, alpha, size, layout, view, step limit), the same observations,
    rewards and ``info``, and the same levels for a seed: ``reset(seed=s)`` plays
    ``generate_levels(num_envs, ..., rng=np.random.default_rng(s))``. A step moves every
    agent with one call of :func:`mesatoys.envs.maze.step_positions`.

    ## Action Space
    ``MultiDiscrete([5] * num_envs)``: one action per level, 0 stay, 1 up, 2 right,
    3 down, 4 left.

    ## Observation
    ``Box(0, 3, (num_envs, size, size), int8)``: each level's grid as the single
    environment shows it (0 open, 1 wall, 2 the mouse, 3 the cheese once seen).

    ## Rewards
    Per level, ``1 - 0.9 * steps / max_steps`` on reaching the cheese, 0 otherwise.

    ## Termination
    A level terminates on the cheese and is truncated after ``max_steps`` steps.

    ## Autoreset
    Next step (``AutoresetMode.NEXT_STEP``, Gymnasium's default): on the step after a
    level's episode ended, that level is replaced by a new one, whose first observation
    is returned with reward 0, not terminated and not truncated; the action given for it
    is ignored. New levels are drawn from this environment's ``np_random``,
    ``num_envs`` at a time, and handed out in order.

    ## Info
    Arrays with one entry per level: ``reached_cheese``, ``reached_corner`` (before any
    cheese), ``proxy``, ``cheese`` (``(num_envs, 2)`` cells, also of cheese not yet
    seen) and ``distinguishing``, as in the single environment; each key ``k`` comes
    with a mask ``_k`` (every entry True), as Gymnasium's vector environments give.

    ## Options of ``reset``
    ``levels``: a :class:`LevelBatch` of ``num_envs`` playable levels of side ``size``
    to play instead of drawn ones (the next levels are drawn as usual).

    ## Registered Configurations
    Every ``mesatoys/CheeseMaze-*`` and ``mesatoys/CheeseRoom-*`` id:
    ``gymnasium.make_vec(env_id, num_envs=64)``.

    Example:
        >>> envs = CheeseMazeVectorEnv(num_envs=4, split="test", size=9)
        >>> obs, info = envs.reset(seed=0)
        >>> obs.shape, info["cheese"].shape
        ((4, 9, 9), (4, 2))
    """

    metadata = {
        "render_modes": ["ansi", "rgb_array"],
        "render_fps": 8,
        "autoreset_mode": AutoresetMode.NEXT_STEP,
    }

    def __init__(
        self,
        num_envs: int = 1,
        split: str = "train",
        alpha: float = 0.0,
        size: int = 13,
        cheese_radius: int | None = None,
        extra_openings: float = 0.2,
        max_steps: int | None = None,
        render_mode: str | None = None,
        layout: str = "maze",
        obstacles: int = 3,
    ):
        self.split = check_choice("split", split, SPLITS)
        self.alpha = check_fraction("alpha", alpha)
        self.size = check_size(size)
        self.num_envs = check_count("num_envs", num_envs, 1, MAX_BATCH_CELLS // self.size**2)
        self.cheese_radius = check_radius(cheese_radius)
        self.extra_openings = check_fraction("extra_openings", extra_openings)
        self.layout = check_choice("layout", layout, LAYOUTS)
        self.obstacles = check_obstacles(obstacles, self.size) if layout == "room" else obstacles
        max_steps = check_count("max_steps", max_steps, optional=True)
        self.max_steps = max_steps if max_steps is not None else self.size * self.size // 2
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.single_action_space = spaces.Discrete(len(ACTION_NAMES))
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.single_observation_space = spaces.Box(0, 3, (self.size, self.size), dtype=np.int8)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.levels: LevelBatch | None = None

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a new episode on every level: drawn ones, or ``options["levels"]``.

        Raises:
            ValueError: On an unknown option or levels that are not ``num_envs``
                playable levels of side ``size``.
        """
        super().reset(seed=seed)
        options = check_options(options, OPTION_KEYS)
        n = self.num_envs
        levels = self._check_levels(options["levels"]) if "levels" in options else self._draw(n)
        self.levels = LevelBatch(levels.walls.copy(), levels.start.copy(), levels.cheese.copy())
        self._spare, self._next_spare = None, 0
        self.pos = self.levels.start.copy()
        self.steps = np.zeros(n, dtype=np.int64)
        self.reached_corner = np.zeros(n, dtype=bool)
        self.seen = self._in_view()
        self._ended = np.zeros(n, dtype=bool)
        return self._observation(), self._info(np.zeros(n, dtype=bool))

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Move every level's mouse; replace the levels whose episode ended last step."""
        if self.levels is None:
            raise RuntimeError("call reset() before step()")
        actions = self._check_actions(actions)
        going = ~self._ended
        if not going.all():
            self._new_levels(np.flatnonzero(~going))
        moving = np.flatnonzero(going)
        walls = self.levels.walls[moving]
        self.pos[moving] = step_positions(walls, self.pos[moving], actions[moving])
        self.steps[moving] += 1
        self.seen |= self._in_view()
        on_cheese = going & (self.pos == self.levels.cheese).all(axis=1)
        on_corner = (self.pos == self.levels.corner).all(axis=1)
        self.reached_corner |= going & on_corner & ~on_cheese
        reward = np.where(on_cheese, base_return(self.steps, self.max_steps), 0.0)
        truncated = going & ~on_cheese & (self.steps >= self.max_steps)
        self._ended = on_cheese | truncated
        return self._observation(), reward, on_cheese, truncated, self._info(on_cheese)

    def _draw(self, n: int) -> LevelBatch:
        return generate_levels(
            n,
            self.size,
            self.alpha,
            self.split,
            self.np_random,
            extra_openings=self.extra_openings,
            layout=self.layout,
            obstacles=self.obstacles,
        )

    def _take(self, k: int) -> LevelBatch:
        """The next ``k`` new levels (drawn ``num_envs`` at a time: a batch costs one call)."""
        parts = []
        while k > 0:
            if self._spare is None or self._next_spare == len(self._spare):
                self._spare, self._next_spare = self._draw(self.num_envs), 0
            got = min(k, len(self._spare) - self._next_spare)
            parts.append(self._spare[self._next_spare : self._next_spare + got])
            self._next_spare += got
            k -= got
        return LevelBatch(
            np.concatenate([part.walls for part in parts]),
            np.concatenate([part.start for part in parts]),
            np.concatenate([part.cheese for part in parts]),
        )

    def _new_levels(self, index: np.ndarray) -> None:
        """Give the sub-environments at ``index`` new levels and start them."""
        fresh = self._take(len(index))
        self.levels.walls[index] = fresh.walls
        self.levels.start[index] = fresh.start
        self.levels.cheese[index] = fresh.cheese
        self.pos[index] = fresh.start
        self.steps[index] = 0
        self.reached_corner[index] = False
        self.seen[index] = self._in_view()[index]
        self._ended[index] = False

    def _check_levels(self, levels: object) -> LevelBatch:
        if (
            not isinstance(levels, LevelBatch)
            or len(levels) != self.num_envs
            or levels.size != self.size
        ):
            got = (
                f"a LevelBatch of {len(levels)} level(s) of size {levels.size}"
                if isinstance(levels, LevelBatch)
                else f"{type(levels).__name__}: {levels!r}"
            )
            raise ValueError(
                f"options['levels'] must be a LevelBatch of {self.num_envs} levels of size "
                f"{self.size}, got {got}"
            )
        for i in range(len(levels)):
            try:
                check_level(levels.walls[i], levels.start[i], levels.cheese[i])
            except ValueError as error:
                raise ValueError(
                    f"options['levels'][{i}] is not a playable maze: {error}"
                ) from None
        return levels

    def _check_actions(self, actions: object) -> np.ndarray:
        array = np.asarray(actions)
        ok = (
            array.shape == (self.num_envs,)
            and array.dtype.kind in "iu"
            and ((array >= 0) & (array < len(ACTION_NAMES))).all()
        )
        if not ok:
            raise ValueError(
                f"actions must be {self.num_envs} integers in [0, {len(ACTION_NAMES) - 1}] "
                f"(one per level), got {actions!r}"
            )
        return array.astype(np.int64)

    def _in_view(self) -> np.ndarray:
        return cheese_in_view(self.pos, self.levels.cheese, self.cheese_radius)

    def _observation(self) -> np.ndarray:
        grid = self.levels.walls.astype(np.int8)
        rows = np.arange(self.num_envs)
        shown = rows[self.seen]
        grid[shown, self.levels.cheese[shown, 0], self.levels.cheese[shown, 1]] = CHEESE_SEEN
        grid[rows, self.pos[:, 0], self.pos[:, 1]] = AGENT
        return grid

    def _info(self, on_cheese: np.ndarray) -> dict[str, Any]:
        values = {
            "reached_cheese": on_cheese.copy(),
            "reached_corner": self.reached_corner.copy(),
            "proxy": self.reached_corner & ~on_cheese,
            "cheese": self.levels.cheese.copy(),
            "distinguishing": (self.levels.cheese != self.levels.corner).any(axis=1),
        }
        masks = {f"_{key}": np.ones(self.num_envs, dtype=bool) for key in INFO_KEYS}
        return values | masks

    def render(self) -> tuple[str | np.ndarray, ...] | None:
        """Each level as text (``ansi``) or a small RGB image (``rgb_array``)."""
        if self.render_mode is None or self.levels is None:
            return None
        return tuple(render_grid(grid, self.render_mode) for grid in self._observation())


__all__ = ["CheeseMazeVectorEnv", "INFO_KEYS"]
