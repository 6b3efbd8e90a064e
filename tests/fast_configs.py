"""Small settings for tests that exercise plumbing, not results: quick to train."""

from mesatoys.experiments import goal_misgeneralization as gm
from mesatoys.optimize import ESConfig

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def fast_maze_config(generations: int = 3, n_test_levels: int = 20) -> gm.Config:
    """A cheese-maze run of a few generations on few levels."""
    return gm.Config(
        n_train_levels=32,
        n_test_levels=n_test_levels,
        levels_per_generation=8,
        es=ESConfig(generations=generations, pairs=2),
    )
