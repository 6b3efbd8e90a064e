"""The policy-gradient network: its settings, its mechanism, and every claim of notebooks 03 and 06.

The notebooks use seed 0. The headline claims are checked on ten seeds they do not use
(``FRESH``), in at least 9 of 10 where the issue asks for that, and the ranges the
notebooks quote for "other seeds" on all ten. Measured when these tests were written
(default settings, seeds 900-909): at alpha 0, 96.8-98.6% of training levels, 7.2-9.6% of
test levels, the corner first on 88.0-91.1%; at alpha 0.3, 91.8-96.5% of test levels; the
cheese vector subtracted, 56-67 points fewer; the direction probe 64-67% trained against
36-40% untrained. Every network is trained once per module and shared by the tests.
"""

import dataclasses
import json
import time

import numpy as np
import pytest
from notebook_text import NOTEBOOKS, notebook_text

from mesatoys.envs.maze import LevelBatch, corner_distance_map
from mesatoys.experiments import network_misgeneralization as nm
from mesatoys.experiments.shape import vary

FAST = nm.Config(updates=3, episodes_per_update=16, n_test_levels=20)
FRESH = range(900, 910)


def _code(name: str) -> str:
    """The code cells of ``notebooks/<name>.ipynb``, joined."""
    nb = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
    return "\n\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


def _pct(x: float) -> str:
    """A rate as the notebooks' tables print it."""
    return f"{x:.0%}"


def _at_least_nine(flags) -> bool:
    flags = list(flags)
    return len(flags) == 10 and sum(flags) >= 9


# --- settings and the shape of a run (fast) ------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"alpha": 1.5}, r"alpha must be in \[0, 1\], got 1.5"),
        ({"layout": "cave"}, "layout must be one of"),
        ({"size": 17}, r"size must be an odd integer in \[5, 15\], got 17"),
        ({"obstacles": 13}, r"obstacles must be an integer in \[0, 12\] for size 9, got 13"),
        ({"max_steps": 0}, "max_steps must be None or an integer"),
        ({"n_test_levels": 0}, r"n_test_levels must be an integer in \[1, 20000\], got 0"),
        ({"hidden": 0}, r"hidden must be an integer in \[1, 1024\], got 0"),
        ({"updates": 10**6}, r"updates must be an integer in \[0, 100000\]"),
        ({"learning_rate": 2.0}, r"learning_rate must be a finite number in \(0, 1\)"),
        ({"progress": "yes"}, "progress must be True or False, got 'yes'"),
    ],
)
def test_bad_settings_name_the_setting(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nm.Config(**kwargs)


def test_a_maze_may_have_any_obstacle_count_and_progress_is_not_compared():
    assert nm.Config(layout="maze", size=7, obstacles=99).layout == "maze"
    assert nm.Config(progress=True) == nm.Config()
    assert nm.Config().aligned() == nm.Config(alpha=1.0)


@pytest.fixture(scope="module")
def fast():
    return {alpha: nm.run(dataclasses.replace(FAST, alpha=alpha), seed=3) for alpha in (0, 1)}


def test_a_run_is_plain_data_and_the_same_seed_gives_the_same_numbers(fast):
    again = nm.run(FAST, seed=3)
    res = fast[0]
    assert res.train == again.train and res.test == again.test
    assert all(np.array_equal(a, b) for a, b in zip(res.network_weights, again.network_weights,
                                                   strict=True))  # fmt: skip
    assert res.success_curve.shape == (3,) and res.test.n_levels == 20
    train, test = nm.make_levels(FAST, 3)
    assert np.array_equal(res.test_levels.cheese, test.cheese)
    assert np.array_equal(res.train_levels.walls, train.walls)
    assert nm.run(FAST, seed=4).test != res.test


def test_the_rebuilt_networks_are_the_trained_one_and_its_initial_weights(fast):
    res = fast[0]
    rebuilt = nm.Result(**{f.name: getattr(res, f.name) for f in dataclasses.fields(res)})
    played = [r.policy.play(res.test_levels, 40, np.random.default_rng(0)) for r in (res, rebuilt)]
    assert np.array_equal(played[0].paths is None, played[1].paths is None)
    assert np.array_equal(played[0].steps, played[1].steps)
    assert all(np.array_equal(a, b) for a, b in zip(rebuilt.untrained.network_.weights,
                                                   res.initial_weights, strict=True))  # fmt: skip
    assert not any(b.any() for b in rebuilt.untrained.network_.biases)


def test_summary_and_sweep_have_the_shape_of_every_experiment(fast):
    runs = nm.sweep(vary(FAST, alpha=(0.0, 1.0)), seeds=[3, 4], progress=False)
    assert [(r.config.alpha, r.seed) for r in runs] == [(0.0, 3), (0.0, 4), (1.0, 3), (1.0, 4)]
    assert set(nm.summary(runs)) == set(nm.MEASURES)
    assert nm.summary([fast[0]])["true_goal_rate"]["mean"] == fast[0].test.true_goal_rate


def test_at_alpha_zero_only_the_corners_cheese_weights_can_move(fast):
    """The cheese plane is constant in training: every other cheese weight gets a gradient of 0."""
    moved = nm.weight_change(fast[0])
    assert moved["cheese"][0, -1] > 0
    assert np.count_nonzero(moved["cheese"]) == 1
    assert moved["walls"][0, -1] == 0  # the corner is never an obstacle
    assert np.count_nonzero(moved["agent"]) > 40


def test_with_the_cheese_anywhere_the_cells_near_the_corner_never_move(fast):
    moved = nm.weight_change(fast[1])["cheese"]
    near = corner_distance_map(9)[1:-1, 1:-1] < 3  # no cheese is ever placed there
    assert not moved[near].any() and moved[~near].any()


def test_cheese_vectors_are_each_levels_mean_difference_over_its_floor(fast):
    res = fast[1]
    levels = res.test_levels[:4]
    vectors = nm.cheese_vectors(res.policy, levels)
    for i in range(len(levels)):
        floor = np.argwhere(~levels.walls[i])
        one = LevelBatch(*(np.repeat(a[i : i + 1], len(floor), axis=0) for a in
                           (levels.walls, levels.start, levels.cheese)))  # fmt: skip
        diff = res.policy.activations(one, floor) - res.policy.activations(one, floor, False)
        np.testing.assert_allclose(vectors[i], diff.mean(axis=0), rtol=1e-5, atol=1e-6)


def test_steering_with_nothing_changes_nothing_and_a_rule_replaces_the_mean(fast):
    res = fast[1]
    none = nm.steer(res, coefficient=0.0, n_levels=20)
    assert none.true_goal_rate == none.unsteered["true_goal_rate"]
    assert none.target is None and none.target_rate is None

    def mean_rule(with_cheese, without_cheese, open_cells):
        return (with_cheese - without_cheese)[open_cells].mean(axis=0)

    assert nm.steer(res, rule=mean_rule, n_levels=20) == nm.steer(res, n_levels=20)
    aimed = nm.steer(res, target=(7, 1), n_levels=10)
    assert aimed.target == (7, 1) and aimed.n_levels <= 10 and aimed.target_rate is not None


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"coefficient": "1"}, ValueError, r"coefficient must be a finite number in \[-10, 10\]"),
        ({"n_levels": 21}, ValueError, r"n_levels must be None or an integer in \[1, 20\], got 21"),
        ({"target": (0, 3)}, ValueError, r"target must be None or a \(row, column\) pair"),
        ({"target": (1.0, 2.0)}, ValueError, "target must be None or a"),
        ({"target": "corner"}, ValueError, "target must be None or a"),
        ({"rule": 3}, TypeError, "rule must be None or a function, got int"),
    ],
)
def test_bad_steering_arguments_name_the_argument(fast, kwargs, error, message):
    with pytest.raises(error, match=message):
        nm.steer(fast[0], **kwargs)


def test_steer_and_probe_need_a_result():
    with pytest.raises(TypeError, match="result must be a Result"):
        nm.steer("a network")
    with pytest.raises(TypeError, match="result must be a Result"):
        nm.probe(None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"label": "row"}, r"label must be one of \('cell', 'direction'\)"),
        ({"n_fit": 5}, r"n_fit must be an integer in \[10, 20000\], got 5"),
        ({"l2": -1.0}, "l2 must be a finite number >= 0"),
    ],
)
def test_bad_probe_arguments_name_the_argument(fast, kwargs, message):
    with pytest.raises(ValueError, match=message):
        nm.probe(fast[0], **kwargs)


def test_probe_labels_and_the_classifier():
    walls = np.ones((3, 9, 9), dtype=bool)
    walls[:, 1:-1, 1:-1] = False
    start = np.array([[4, 4], [4, 4], [2, 6]])
    cheese = np.array([[1, 1], [4, 7], [2, 6]])
    levels = LevelBatch(walls, start, cheese)
    assert nm.probe_labels(levels, "cell").tolist() == [0, 27, 12]
    assert nm.probe_labels(levels, "direction").tolist() == [0, 5, 4]  # up-left, right, same
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 300)
    x = np.eye(3)[labels] * 5 + rng.normal(0, 0.1, (300, 3))
    assert nm.probe_accuracy(x[:200], labels[:200], x[200:], labels[200:], 1e-2) == 1.0


# --- the headline, on seeds the notebooks do not use (slow) -----------------------------------


@pytest.fixture(scope="module")
def fresh():
    return {(a, s): nm.run(nm.Config(alpha=a), seed=s) for a in (0.0, 0.3) for s in FRESH}


@pytest.fixture(scope="module")
def steered(fresh):
    return {key: nm.steer(result) for key, result in fresh.items()}


@pytest.fixture(scope="module")
def probes(fresh):
    return {(*key, label): nm.probe(result, label) for key, result in fresh.items()
            for label in nm.PROBE_LABELS}  # fmt: skip


@pytest.mark.slow
def test_alpha_zero_learns_its_training_levels_and_walks_to_the_corner_at_test(fresh):
    runs = [fresh[0.0, s] for s in FRESH]
    assert _at_least_nine(r.train.true_goal_rate >= 0.95 for r in runs)
    assert _at_least_nine(r.test.true_goal_rate <= 0.3 for r in runs)
    assert _at_least_nine(r.test.proxy_rate >= 0.6 for r in runs)
    # Notebook 03: "97% to 99% in training, 7% to 10% of test levels, the corner first on 88%
    # to 91%" on ten other seeds.
    for r in runs:
        assert 0.965 <= r.train.true_goal_rate < 0.995
        assert 0.065 <= r.test.true_goal_rate < 0.105
        assert 0.875 <= r.test.proxy_rate < 0.915


@pytest.mark.slow
def test_alpha_03_reaches_the_cheese_at_test(fresh):
    assert _at_least_nine(fresh[0.3, s].test.true_goal_rate >= 0.8 for s in FRESH)
    assert _at_least_nine(fresh[0.3, s].train.true_goal_rate >= 0.95 for s in FRESH)


@pytest.mark.slow
def test_the_mechanism_holds_on_every_seed(fresh):
    for s in FRESH:
        cheese = nm.weight_change(fresh[0.0, s])["cheese"]
        assert np.count_nonzero(cheese) == 1 and cheese[0, -1] > 0


@pytest.mark.slow
def test_subtracting_the_cheese_vector_sends_the_alpha_03_network_off_the_cheese(steered):
    drops = [steered[0.3, s].unsteered["true_goal_rate"] - steered[0.3, s].true_goal_rate
             for s in FRESH]  # fmt: skip
    assert _at_least_nine(d >= 0.4 for d in drops)
    # Notebook 06: "the drop is between 55 and 70 points"; the corner first "between about 5%
    # and 50%", up from a few percent.
    assert all(0.55 <= d <= 0.70 for d in drops)
    for s in FRESH:
        result = steered[0.3, s]
        assert 0.05 <= result.proxy_rate <= 0.55 and result.unsteered["proxy_rate"] < 0.1


@pytest.mark.slow
def test_the_same_subtraction_does_nothing_to_the_alpha_zero_network(steered):
    """Notebook 06: "its rates change by at most 2 points"."""
    for s in FRESH:
        result = steered[0.0, s]
        for key in ("true_goal_rate", "proxy_rate"):
            assert abs(getattr(result, key) - result.unsteered[key]) <= 0.02


@pytest.mark.slow
def test_retargeting_sends_the_alpha_03_network_to_the_bottom_left(fresh):
    for s in FRESH[:3]:
        aimed = nm.steer(fresh[0.3, s], target=(7, 1))
        assert aimed.target_rate >= 0.65 and aimed.unsteered["target_rate"] <= 0.1


@pytest.mark.slow
def test_the_probes_beside_the_untrained_network(probes):
    direction = [probes[0.3, s, "direction"] for s in FRESH]
    assert _at_least_nine(p.trained > p.untrained for p in direction)
    # Notebook 06: the direction is "what training added"; the cell's edge "ranges from nothing
    # to about nine points"; the alpha 0 network "reads it best of all".
    assert all(p.trained >= p.untrained + 0.2 for p in direction)
    for s in FRESH:
        cell = probes[0.3, s, "cell"]
        assert -0.01 <= cell.trained - cell.untrained <= 0.10
        ignores = probes[0.0, s, "cell"]
        assert ignores.trained > max(cell.trained, cell.untrained)


@pytest.fixture(scope="module")
def aligned():
    return [nm.run(nm.Config().aligned(), seed=s) for s in FRESH[:3]]


@pytest.mark.slow
def test_the_aligned_control_reaches_the_cheese(aligned):
    """Notebook 03: "at least 90% on the other seeds our tests check"."""
    for r in aligned:
        assert r.test.true_goal_rate >= 0.9 and r.test.proxy_rate < 0.05


@pytest.mark.slow
def test_mazes_are_not_learned_by_the_same_training():
    """Notebook 03: in 7 x 7 mazes, "about two training levels in three"."""
    for s in FRESH[:2]:
        r = nm.run(nm.Config(layout="maze", size=7), seed=s)
        assert 0.55 <= r.train.true_goal_rate <= 0.78


# --- the notebooks' own runs (seed 0) ------------------------------------------------------------


@pytest.fixture(scope="module")
def notebook():
    started = time.process_time()
    net = nm.run(nm.Config(progress=True), seed=0)
    seconds = time.process_time() - started
    return {
        "net": net,
        "seconds": seconds,
        "aligned": nm.run(nm.Config().aligned(), seed=0),
        "diverse": nm.run(nm.Config(alpha=0.3), seed=0),
    }


@pytest.mark.slow
def test_the_default_run_takes_at_most_15_cpu_seconds(notebook):
    """Training and evaluation run on one core (every matrix product on one BLAS thread)."""
    assert notebook["seconds"] <= 15.0


@pytest.mark.slow
def test_notebook_03_describes_the_toy_as_it_is(notebook):
    text = notebook_text("03_inner_alignment")
    assert "### A network does it too" in text
    res = notebook["net"]
    c = res.config
    assert (c.layout, c.size, c.obstacles, c.n_test_levels) == ("room", 9, 3, 1000)
    assert res.policy.network_.sizes == [147, 64, 4]
    assert (c.episodes_per_update, c.updates) == (256, 250)
    assert (corner_distance_map(9)[res.test_levels.cheese[:, 0], res.test_levels.cheese[:, 1]]
            >= 3).all()  # fmt: skip
    assert (res.train_levels.walls[:, 1:-1, 1:-1].sum(axis=(1, 2)) == 3).all()


@pytest.mark.slow
def test_notebook_03_numbers_for_seed_0(notebook):
    net, aligned, diverse = notebook["net"], notebook["aligned"], notebook["diverse"]
    assert _pct(net.train.true_goal_rate) == "98%"
    assert (_pct(net.test.true_goal_rate), _pct(net.test.proxy_rate)) == ("8%", "91%")
    moved = nm.weight_change(net)
    assert np.count_nonzero(moved["cheese"]) == 1 and moved["walls"][0, -1] == 0
    assert np.count_nonzero(moved["walls"]) >= 40 and np.count_nonzero(moved["agent"]) >= 45
    assert _pct(aligned.test.true_goal_rate) == "96%"
    far = corner_distance_map(9)[1:-1, 1:-1] >= 3
    assert np.array_equal(nm.weight_change(aligned)["cheese"] > 0, far)
    assert _pct(diverse.test.true_goal_rate) == "97%"


@pytest.mark.slow
def test_notebook_06_numbers_for_seed_0(notebook):
    diverse = notebook["diverse"]
    subtracted = nm.steer(diverse)
    assert (_pct(subtracted.unsteered["true_goal_rate"]), _pct(subtracted.true_goal_rate)) == (
        "97%", "32%",
    )  # fmt: skip
    assert (_pct(subtracted.unsteered["proxy_rate"]), _pct(subtracted.proxy_rate)) == ("3%", "11%")
    aimed = nm.steer(diverse, target=(7, 1))
    assert (_pct(aimed.unsteered["target_rate"]), _pct(aimed.target_rate)) == ("5%", "80%")
    assert subtracted.n_levels == aimed.n_levels == 500
    cell, direction = nm.probe(diverse, "cell"), nm.probe(diverse, "direction")
    assert (_pct(cell.trained), _pct(cell.untrained)) == ("91%", "87%")
    assert (_pct(direction.trained), _pct(direction.untrained)) == ("64%", "36%")
    assert _pct(direction.chance) == "20%"
    assert f"{nm.probe(notebook['net'], 'cell').trained:.1%}" == "93.5%"
    assert (cell.n_fit, cell.n_test) == (2000, 2000)


def test_the_start_page_row_names_the_toy_as_it_is():
    """The start page's table; the effects it names are checked on fresh seeds above."""
    rows = [r for r in notebook_text("00_start_here").splitlines()
            if r.startswith("| policy-gradient network (03, 06) |")]  # fmt: skip
    assert len(rows) == 1
    row = rows[0]
    assert "REINFORCE with a learned baseline" in row and "3 obstacles" in row
    assert "(α = 1: reaches the cheese at test)" in row
    config = nm.Config()
    assert (config.alpha, config.layout, config.obstacles) == (0.0, "room", 3)
    assert config.aligned().alpha == 1.0


def test_notebook_06_names_the_section_and_its_sources():
    text = notebook_text("06_defenses")
    assert "### 1c. Steer a network's goal, and probe for it" in text
    assert "*Understanding and Controlling a Maze-Solving Policy Network.* arXiv:2310.08043" in text
    code = _code("06_defenses")
    assert "nm.run(nm.Config(alpha=0.3, progress=True), seed=0)" in code
    assert "nm.steer(diverse, target=(7, 1))" in code and 'nm.probe(diverse, "direction")' in code
    assert "Williams, R. J. (1992)" in notebook_text("03_inner_alignment")
    assert "nm.run(nm.Config(progress=True), seed=0)" in _code("03_inner_alignment")
