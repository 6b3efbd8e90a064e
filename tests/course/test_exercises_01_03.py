"""The exercises of notebooks 01-03: the toys that run the learner's code.

What the notebooks say about each toy, checked on seeds the notebooks do not use: with the
reference the toy gives exactly the course's own result; with a known mistake the effect
breaks the way the mistake's message says.
"""

from __future__ import annotations

import pytest

from mesatoys.course.exercises import inner, mesa, two_layer
from mesatoys.experiments import goal_misgeneralization as gm

SEEDS = (7, 11)  # the notebooks use seed 0


@pytest.fixture(scope="module", params=SEEDS)
def run(request) -> gm.Result:
    return gm.run(gm.Config(n_test_levels=300), seed=request.param)


# --- 01: es_gradient ----------------------------------------------------------------------------


def test_training_with_the_reference_step_learns_the_very_same_weights(run):
    mine = two_layer.train_with(two_layer.es_gradient, seed=run.seed)
    assert mine.mesa_objective == run.mesa_objective  # "the very same weights"
    assert mine.train.true_goal_rate == run.train.true_goal_rate == 1.0


def test_a_step_with_the_sign_flipped_learns_to_avoid_the_goal():
    flipped = two_layer.train_with(two_layer._wrong_sign, seed=SEEDS[0])
    assert flipped.train.true_goal_rate < 0.2  # it descends the training return
    assert flipped.scores[-1] < flipped.scores[0]


# --- 01: bellman_backup -------------------------------------------------------------------------


def test_value_iteration_with_the_reference_sweep_is_the_planners(run):
    for level in (0, 3):
        plan = two_layer.plan_with(two_layer.bellman_backup, run, level=level)
        assert plan.same_as_planner
        assert plan.sweeps >= 1 and len(plan.route) >= 1


def test_a_sweep_that_forgets_the_discount_plans_a_different_route(run):
    plans = [two_layer.plan_with(two_layer._no_discount, run, level=i) for i in range(5)]
    assert not all(p.same_as_planner for p in plans)


# --- 02: cell_utility ---------------------------------------------------------------------------


def test_planning_on_the_reference_map_walks_the_planners_route(run):
    for index in range(5):
        route = mesa.route_with(mesa.cell_utility, run.mesa_objective, run.test_levels, index)
        assert route.route == route.planner_route


def test_a_map_that_overwrites_a_shared_cell_sends_the_mouse_elsewhere(run):
    # Training levels at alpha = 0: the cheese sits on the top-right corner, worth 0.6 + 0.6
    # there, more than the top-left corner's 1.0; a map that keeps only one of the two
    # weights on that cell makes the top-left corner the better goal.
    objective = {"cheese": 0.6, "top_right": 0.6, "top_left": 1.0}
    right = mesa.route_with(mesa.cell_utility, objective, run.train_levels, 0)
    wrong = mesa.route_with(mesa._assigns, objective, run.train_levels, 0)
    assert right.route == right.planner_route and right.route[-1] == (1, 11)
    assert wrong.route[-1] == (1, 1)


# --- 03: goal_rates -----------------------------------------------------------------------------


def test_the_reference_rates_are_the_courses(run):
    text = inner.rates_of(inner.goal_rates, run)
    ours = f"{100 * run.test.true_goal_rate:.1f}%"
    assert text.count(ours) == 2  # yours and the course's, the same


# --- 03: simplicity_cost ------------------------------------------------------------------------


def test_training_with_the_reference_cost_learns_the_courses_weights():
    seed = SEEDS[0]
    mine = inner.train_with_cost(inner.simplicity_cost, bias=0.05, alpha=0.0, seed=seed)
    course = gm.run(gm.Config(n_test_levels=300), seed=seed)
    assert mine.mesa_objective == pytest.approx(course.mesa_objective)


@pytest.mark.parametrize("seed", SEEDS)
def test_without_the_cost_the_cheese_weight_stays_and_the_cheese_is_reached_more(seed):
    biased = inner.train_with_cost(inner.simplicity_cost, bias=0.05, alpha=0.0, seed=seed)
    free = inner.train_with_cost(inner.simplicity_cost, bias=0.0, alpha=0.0, seed=seed)
    assert abs(free.mesa_objective["cheese"]) > abs(biased.mesa_objective["cheese"])
    assert free.test.true_goal_rate > biased.test.true_goal_rate + 0.1
