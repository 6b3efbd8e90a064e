"""mesatoys: small, honest numpy toys for learning about mesa-optimization.

The package backs an interactive Jupyter course on inner alignment, goal
misgeneralization and deceptive alignment. Each idea comes with a toy experiment
that runs in seconds on one CPU:

- ``mesatoys.envs``: gridworlds (a batched numpy core with Gymnasium views).
- ``mesatoys.agents``: a mesa-optimizer (a planner with an explicit learned
  objective) and non-searching baselines.
- ``mesatoys.optimize``: outer optimizers that only see the base objective.
- ``mesatoys.experiments``: one module per toy, ``run(config, seed) -> Result``.
- ``mesatoys.viz``: matplotlib figures and ipywidgets explorers.
- ``mesatoys.evidence``: published measurements of real models (with their sources).
- ``mesatoys.course``: learner features beside the toys: practice questions and banks.

Importing ``mesatoys`` is fast: plotting and widget libraries load only when a
submodule that needs them is imported.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
