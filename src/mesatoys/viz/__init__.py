"""Figures and widgets for the course: thin layers over :mod:`mesatoys.experiments`.

- :mod:`mesatoys.viz.palette`: the colour-blind-safe colours every figure uses.
- :mod:`mesatoys.viz.maze_plots`: matplotlib figures of mazes, objectives and sweeps.
- :mod:`mesatoys.viz.explorer`: an ipywidgets explorer of the goal-misgeneralization toy.
- :mod:`mesatoys.viz.practice`: a single-choice practice question with feedback.

Import the submodule you need; importing this package alone loads neither matplotlib
nor ipywidgets.
"""
