"""Figures and widgets for the course: thin layers over :mod:`mesatoys.experiments`.

- :mod:`mesatoys.viz.palette`: the colour-blind-safe colours every figure uses.
- :mod:`mesatoys.viz.maze_plots`: matplotlib figures of mazes, objectives and sweeps.
- :mod:`mesatoys.viz.explorer`: an ipywidgets explorer of the goal-misgeneralization toy.
- :mod:`mesatoys.viz.practice`: a single-choice practice question with feedback.
- :mod:`mesatoys.viz.two_layer`: the outer and inner loops side by side (01).
- :mod:`mesatoys.viz.maze_editor`: a maze picker/editor for the planner and the lookup table (02).
- :mod:`mesatoys.viz.keys_chests_plots`: figures of the keys-and-chests toy (03).
- :mod:`mesatoys.viz.outer_alignment`: boat race and the failure-mode exercise (04).

Import the submodule you need; importing this package alone loads neither matplotlib
nor ipywidgets.
"""
