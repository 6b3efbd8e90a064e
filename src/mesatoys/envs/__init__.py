"""Gridworld environments: a batched numpy core and Gymnasium views.

Importing this package registers the environment ids under the ``mesatoys/``
namespace, so ``gymnasium.make("mesatoys/CheeseMaze-Train-v0")`` works.
"""

from gymnasium.envs.registration import register, registry

from mesatoys.envs.cheese_maze import CheeseMazeEnv
from mesatoys.envs.maze import LevelBatch, generate_levels

_CHEESE = "mesatoys.envs.cheese_maze:CheeseMazeEnv"
_KEYS = "mesatoys.envs.keys_chests:KeysAndChestsEnv"
_BOAT = "mesatoys.envs.boat_race:BoatRaceEnv"
_ABSENT = "mesatoys.envs.absent_supervisor:AbsentSupervisorEnv"

# id -> (entry point, keyword arguments)
REGISTERED_IDS = {
    "mesatoys/CheeseMaze-Train-v0": (_CHEESE, {"split": "train", "alpha": 0.0}),
    "mesatoys/CheeseMaze-Train-Diverse-v0": (_CHEESE, {"split": "train", "alpha": 0.3}),
    "mesatoys/CheeseMaze-Test-v0": (_CHEESE, {"split": "test"}),
    "mesatoys/KeysAndChests-Train-v0": (_KEYS, {"split": "train"}),
    "mesatoys/KeysAndChests-Test-v0": (_KEYS, {"split": "test"}),
    "mesatoys/BoatRace-v0": (_BOAT, {"reward": "checkpoints"}),
    "mesatoys/BoatRace-Fixed-v0": (_BOAT, {"reward": "ordered"}),
    "mesatoys/AbsentSupervisor-v0": (_ABSENT, {"split": "train"}),
    "mesatoys/AbsentSupervisor-Test-v0": (_ABSENT, {"split": "test"}),
}

for _env_id, (_entry_point, _kwargs) in REGISTERED_IDS.items():
    if _env_id not in registry:
        register(id=_env_id, entry_point=_entry_point, kwargs=_kwargs)

__all__ = ["REGISTERED_IDS", "CheeseMazeEnv", "LevelBatch", "generate_levels"]
