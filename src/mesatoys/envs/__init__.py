"""Gridworld environments: a batched numpy core and Gymnasium views.

Importing this package registers the environment ids under the ``mesatoys/``
namespace, so ``gymnasium.make("mesatoys/CheeseMaze-Train-v0")`` works. The cheese
ids also have a vector entry point, :class:`~mesatoys.envs.vector.CheeseMazeVectorEnv`:
``gymnasium.make_vec("mesatoys/CheeseMaze-Train-v0", num_envs=64)`` steps 64 levels at once.
"""

from gymnasium.envs.registration import register, registry

from mesatoys.envs.cheese_maze import CheeseMazeEnv
from mesatoys.envs.maze import LevelBatch, generate_levels

_CHEESE = "mesatoys.envs.cheese_maze:CheeseMazeEnv"
_CHEESE_VECTOR = "mesatoys.envs.vector:CheeseMazeVectorEnv"
_ROOM = {"layout": "room", "size": 9, "obstacles": 3}
_KEYS = "mesatoys.envs.keys_chests:KeysAndChestsEnv"
_BOAT = "mesatoys.envs.boat_race:BoatRaceEnv"
_ABSENT = "mesatoys.envs.absent_supervisor:AbsentSupervisorEnv"

# id -> (entry point, keyword arguments)
REGISTERED_IDS = {
    "mesatoys/CheeseMaze-Train-v0": (_CHEESE, {"split": "train", "alpha": 0.0}),
    "mesatoys/CheeseMaze-Train-Diverse-v0": (_CHEESE, {"split": "train", "alpha": 0.3}),
    "mesatoys/CheeseMaze-Test-v0": (_CHEESE, {"split": "test"}),
    "mesatoys/CheeseRoom-Train-v0": (_CHEESE, {"split": "train", "alpha": 0.0, **_ROOM}),
    "mesatoys/CheeseRoom-Train-Diverse-v0": (_CHEESE, {"split": "train", "alpha": 0.3, **_ROOM}),
    "mesatoys/CheeseRoom-Test-v0": (_CHEESE, {"split": "test", **_ROOM}),
    "mesatoys/KeysAndChests-Train-v0": (_KEYS, {"split": "train"}),
    "mesatoys/KeysAndChests-Test-v0": (_KEYS, {"split": "test"}),
    "mesatoys/BoatRace-v0": (_BOAT, {"reward": "checkpoints"}),
    "mesatoys/BoatRace-Fixed-v0": (_BOAT, {"reward": "ordered"}),
    "mesatoys/AbsentSupervisor-v0": (_ABSENT, {"split": "train"}),
    "mesatoys/AbsentSupervisor-Test-v0": (_ABSENT, {"split": "test"}),
}

#: The ids whose levels can also be stepped many at once (``gymnasium.make_vec``).
VECTOR_IDS = tuple(i for i, (entry, _) in REGISTERED_IDS.items() if entry == _CHEESE)

for _env_id, (_entry_point, _kwargs) in REGISTERED_IDS.items():
    if _env_id not in registry:
        _vector = _CHEESE_VECTOR if _env_id in VECTOR_IDS else None
        register(id=_env_id, entry_point=_entry_point, vector_entry_point=_vector, kwargs=_kwargs)

__all__ = ["REGISTERED_IDS", "VECTOR_IDS", "CheeseMazeEnv", "LevelBatch", "generate_levels"]
