"""The one shape every experiment module has, and the pieces they share.

Every module of :mod:`mesatoys.experiments` provides:

- ``Config``: a frozen dataclass of documented defaults, validated in
  ``__post_init__`` (errors name the field, the value and what is allowed);
- ``run(config: Config | None = None, seed: int = 0) -> Result``: ``config`` None
  means the defaults, and the same seed gives the same numbers; ``run`` given
  anything but its own ``Config`` raises a ``TypeError`` that says so, and a seed
  that is not a non-negative integer a ``ValueError`` (:func:`start` checks both);
- ``Result``: a frozen dataclass of plain numbers, arrays, dicts and its ``Config``
  and seed; what is heavy to keep (levels, worlds, fitted models) is rebuilt on
  request from the config and seed, not carried;
- ``sweep(configs, seeds) -> list[Result]``: one ``run`` per (config, seed),
  config-major, made by :func:`make_sweep` (a loop over :func:`sweep_runs`);
- ``summary(results) -> dict[str, dict[str, float]]``: for each headline measure,
  its ``"mean"``, ``"min"`` and ``"max"`` over the runs (:func:`summarize`).

:func:`vary` makes the configs of a sweep that changes one setting.

Example:
    >>> from mesatoys.experiments import goal_misgeneralization as gm
    >>> configs = vary(gm.Config(n_test_levels=20), alpha=(0.0, 0.3))
    >>> [c.alpha for c in configs]
    [0.0, 0.3]
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

from mesatoys.checks import check_config, check_seed

C = TypeVar("C")
R = TypeVar("R")


def sweep_runs(
    run: Callable[[C, int], R],
    configs: Iterable[C],
    seeds: Iterable[int],
    progress: bool = False,
    desc: str = "runs",
) -> list[R]:
    """One ``run(config, seed)`` per pair, config-major.

    Args:
        run: A module's ``run``.
        configs: The settings to run (e.g. from :func:`vary`).
        seeds: Non-negative integer seeds.
        progress: Show a progress bar.
        desc: The progress bar's label.

    Returns:
        The results, in the order of the loops.

    Raises:
        ValueError: On no configs, no seeds or a bad seed.
    """
    configs, seeds = list(configs), [check_seed(s) for s in seeds]
    if not configs or not seeds:
        raise ValueError(
            f"sweep needs at least one config and one seed, got {len(configs)} and {len(seeds)}"
        )
    from tqdm.auto import tqdm

    grid = [(c, s) for c in configs for s in seeds]
    return [run(c, s) for c, s in tqdm(grid, desc=desc, disable=not progress)]


def make_sweep(
    run: Callable[[C, int], R], config_class: type, desc: str, progress: bool = True
) -> Callable[..., list[R]]:
    """A module's ``sweep(configs, seeds, progress)``: a loop over :func:`sweep_runs`.

    Args:
        run: The module's ``run``.
        config_class: The module's ``Config`` (one config may be passed on its own).
        desc: The progress bar's label.
        progress: Whether the progress bar shows by default.

    Returns:
        The ``sweep`` function.
    """

    def sweep(configs: Any, seeds: Iterable[int] = range(5), progress: bool = progress) -> list[R]:
        """One ``run`` per (config, seed), config-major.

        Args:
            configs: One ``Config``, or several (e.g. from :func:`vary`).
            seeds: Non-negative integer seeds.
            progress: Show a progress bar.

        Returns:
            The results, in the order of the loops.
        """
        configs = [configs] if isinstance(configs, config_class) else configs
        return sweep_runs(run, configs, seeds, progress, desc)

    return sweep


def start(config: object, config_class: type, module: str, seed: object) -> tuple[Any, int]:
    """The checked ``(config, seed)`` a ``run`` begins with.

    Raises:
        TypeError: If ``config`` is neither None nor a ``config_class``.
        ValueError: On a bad seed.
    """
    return check_config(config, config_class, module), check_seed(seed)


def vary(config: C, **values: Sequence[Any]) -> list[C]:
    """Copies of ``config`` with one setting changed: ``vary(cfg, alpha=(0.0, 0.1))``.

    Raises:
        ValueError: Unless exactly one setting is given, with at least one value.
    """
    if len(values) != 1:
        raise ValueError(f"vary changes exactly one setting, got {sorted(values)}")
    ((name, options),) = values.items()
    options = list(options)
    if not options:
        raise ValueError(f"{name} needs at least one value to vary over")
    return [dataclasses.replace(config, **{name: value}) for value in options]


def by_setting(
    results: Sequence[R],
    setting: Callable[[R], Any],
    summary: Callable[[Sequence[R]], dict[str, dict[str, float]]],
    measure: str,
) -> dict[str, np.ndarray]:
    """One measure of a module's ``summary`` per value of a setting, over the other runs.

    Args:
        results: Runs at several values of one setting (and several seeds).
        setting: The setting's value in a run, e.g. ``lambda r: r.config.alpha``.
        summary: The module's ``summary``.
        measure: A key of what ``summary`` returns.

    Returns:
        ``values`` (sorted), and the ``mean``, ``low`` (min) and ``high`` (max) per value.

    Raises:
        ValueError: On no results or an unknown measure.
    """
    if not results:
        raise ValueError("results must hold at least one run")
    values = sorted({setting(r) for r in results})
    groups = [summary([r for r in results if setting(r) == v]) for v in values]
    if measure not in groups[0]:
        raise ValueError(f"measure must be one of {list(groups[0])}, got {measure!r}")
    column = lambda key: np.array([g[measure][key] for g in groups])  # noqa: E731
    return {"values": np.array(values), "mean": column("mean"), "low": column("min"),
            "high": column("max")}  # fmt: skip


def training_record(history: Any) -> dict[str, np.ndarray]:
    """A result's fields for an outer optimizer's trajectory, as plain arrays.

    Returns:
        ``training_weights`` ``(generations + 1, n)`` (the last row: the learned
        weights) and ``training_scores`` ``(generations,)``.
    """
    return {
        "training_weights": np.asarray(history.params),
        "training_scores": np.asarray(history.mean_fitness),
    }


class DrawsLevels:
    """Mixin of a result that does not keep its levels: they are drawn again on request.

    The result class provides ``_draw_levels()``, which returns ``(train, test)``
    levels from the result's config and seed; both are drawn once, on first use.
    """

    @functools.cached_property
    def _levels(self) -> tuple[Any, Any]:
        return self._draw_levels()

    @functools.cached_property
    def train_levels(self) -> Any:
        """The training levels of this run (drawn again from its config and seed)."""
        return self._levels[0]

    @functools.cached_property
    def test_levels(self) -> Any:
        """The test levels of this run (drawn again from its config and seed)."""
        return self._levels[1]

    def _draw_levels(self) -> tuple[Any, Any]:
        raise NotImplementedError


def keep(result: R, **drawn: Any) -> R:
    """Put what a run already drew (levels, a fitted model) into a result's cache.

    Results rebuild such things on request (``functools.cached_property``); a fresh
    result is handed the ones its run made, so the first request costs nothing.
    """
    result.__dict__.update(drawn)
    return result


def attributes(names: Iterable[str]) -> dict[str, Callable[[Any], Any]]:
    """``{name: result -> result.<name>}``: the measures of a :func:`summarize` call."""
    return {name: operator.attrgetter(name) for name in names}


def stats(values: Iterable[float]) -> dict[str, float]:
    """``{"mean", "min", "max"}`` of some numbers."""
    array = np.asarray(list(values), dtype=float)
    if array.size == 0:
        raise ValueError("stats needs at least one value")
    return {"mean": float(array.mean()), "min": float(array.min()), "max": float(array.max())}


def summarize(
    results: Iterable[R], measures: Mapping[str, Callable[[R], float]]
) -> dict[str, dict[str, float]]:
    """Mean, min and max over runs of each measure.

    Args:
        results: Runs of one module.
        measures: ``{name: function of a Result -> number}``.

    Returns:
        ``{name: {"mean", "min", "max"}}``.

    Raises:
        ValueError: On no results.
    """
    runs = list(results)
    if not runs:
        raise ValueError("results must hold at least one run")
    return {name: stats(get(r) for r in runs) for name, get in measures.items()}


__all__ = [
    "DrawsLevels",
    "attributes",
    "by_setting",
    "keep",
    "make_sweep",
    "start",
    "stats",
    "summarize",
    "sweep_runs",
    "training_record",
    "vary",
]
