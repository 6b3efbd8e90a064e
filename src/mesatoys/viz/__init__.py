"""Figures and widgets for the course: thin layers over :mod:`mesatoys.experiments`.

- :mod:`mesatoys.viz.palette`: the colour-blind-safe colours every figure uses.
- :mod:`mesatoys.viz.picture`: a widget's picture shown with its text alternative.
- :mod:`mesatoys.viz.maze_plots`: matplotlib figures of mazes, objectives and sweeps.
- :mod:`mesatoys.viz.explorer`: an ipywidgets explorer of the goal-misgeneralization toy.
- :mod:`mesatoys.viz.two_layer`: the outer and inner loops side by side (01).
- :mod:`mesatoys.viz.maze_editor`: a maze picker/editor for the planner and the lookup table (02).
- :mod:`mesatoys.viz.keys_chests_plots`: figures of the keys-and-chests toy (03).
- :mod:`mesatoys.viz.network_plots`: the policy-gradient network, its paths and steering (03, 06).
- :mod:`mesatoys.viz.outer_alignment`: boat race and the failure-mode exercise (04).
- :mod:`mesatoys.viz.absent_supervisor`: the absent-supervisor routes and model organisms (05, 06).
- :mod:`mesatoys.viz.deception`: the selection simulation explorer and honeypot power (05, 06).
- :mod:`mesatoys.viz.evidence`: the 2024-2025 scheming measurements of real models (05).
- :mod:`mesatoys.viz.interpretability`: reading objectives and probing activations (06).
- :mod:`mesatoys.viz.reasoning_gap`: what a plan-action consistency penalty selects (06).
- :mod:`mesatoys.viz.ai_control`: safety and usefulness of control protocols (06).

Practice questions live in :mod:`mesatoys.course.practice`.

Import the submodule you need; importing this package alone loads neither matplotlib
nor ipywidgets.
"""
