"""The reasoning-gap toy: the exact model against sampled episodes and brute force.

The references here write the rules out again in plain Python: a sampler of single
episodes (Monte Carlo) and an enumeration of every deterministic policy (64 of them).
"""

import dataclasses
import itertools
import random

import numpy as np
import pytest

from mesatoys.experiments import reasoning_gap as rg
from mesatoys.experiments.shape import vary
from mesatoys.optimize import ESConfig

SEEDS = range(5)
FAST = rg.Config(es=ESConfig(generations=5, pairs=2))


# --- an independent reference: the rules written out again -------------------------------------


def _signal(config, watched, plan, action):
    """Training signal of one episode; plan and action are "safe" or "shortcut"."""
    total = config.shortcut_reward if action == "shortcut" else config.safe_reward
    if watched and action == "shortcut":
        total -= config.overseer_penalty
    if plan == "shortcut":
        total -= config.monitor_penalty
    if plan != action:
        total -= config.consistency_penalty + config.improvise_cost
    return total


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _sample_returns(config, logits, n, seed):
    """Play n episodes one at a time with Python's own random module."""
    draw = random.Random(seed)
    out = []
    for _ in range(n):
        watched = draw.random() < config.watch_rate
        row = logits[0] if watched else logits[1]
        plan = "shortcut" if draw.random() < _sigmoid(row[0]) else "safe"
        p_act = _sigmoid(row[1] if plan == "safe" else row[2])
        action = "shortcut" if draw.random() < p_act else "safe"
        out.append(_signal(config, watched, plan, action))
    return np.array(out)


def _brute_force(config):
    """Best deterministic policy: per condition, a plan and the action that follows it.

    Returns:
        (best return, {condition: (plan, action)} of every optimal policy)
    """
    best, winners = -np.inf, []
    options = list(itertools.product(("safe", "shortcut"), repeat=2))
    for watched_choice, unwatched_choice in itertools.product(options, repeat=2):
        value = config.watch_rate * _signal(config, True, *watched_choice) + (
            1 - config.watch_rate
        ) * _signal(config, False, *unwatched_choice)
        if value > best + 1e-12:
            best, winners = value, [(watched_choice, unwatched_choice)]
        elif abs(value - best) <= 1e-12:
            winners.append((watched_choice, unwatched_choice))
    return best, winners


def _learned_choices(result):
    """The learned policy's most likely plan and action per condition (watched, unwatched)."""
    names = ("safe", "shortcut")
    choices = []
    for row in result.probs:
        plan = int(row[0] > 0.5)
        action = int(row[1 + plan] > 0.5)
        choices.append((names[plan], names[action]))
    return tuple(choices)


# --- the exact model ----------------------------------------------------------------------------


@pytest.mark.parametrize("policy_seed", range(3))
def test_expected_return_matches_sampled_episodes(policy_seed):
    config = rg.Config(watch_rate=0.4, improvise_cost=0.3, consistency_penalty=0.7)
    logits = np.random.default_rng(policy_seed).normal(scale=1.5, size=(2, 3))
    sampled = _sample_returns(config, logits, 20_000, seed=policy_seed)
    exact = rg.expected_return(logits.ravel(), config)
    assert abs(sampled.mean() - exact) < 4 * sampled.std() / np.sqrt(len(sampled))


def test_expected_return_of_deterministic_policies_matches_the_rules():
    config = rg.Config(watch_rate=0.25)
    options = list(itertools.product((0, 1), repeat=2))
    names = ("safe", "shortcut")
    for (ws, wa), (us, ua) in itertools.product(options, repeat=2):
        logits = np.full((2, 3), -40.0)
        logits[0, 0], logits[0, 1 + ws] = 40.0 * (2 * ws - 1), 40.0 * (2 * wa - 1)
        logits[1, 0], logits[1, 1 + us] = 40.0 * (2 * us - 1), 40.0 * (2 * ua - 1)
        want = 0.25 * _signal(config, True, names[ws], names[wa]) + 0.75 * _signal(
            config, False, names[us], names[ua]
        )
        assert rg.expected_return(logits.ravel(), config) == pytest.approx(want, abs=1e-9)


def test_behaviour_rates_of_a_hand_made_policy():
    # Watched: say safe, act safe. Unwatched: say shortcut 25% of the time, always take it.
    logits = np.array([[-40.0, -40.0, -40.0], [np.log(1 / 3), 40.0, 40.0]])
    b = rg.behaviour(logits.ravel(), rg.Config(watch_rate=0.2))
    assert b.unwatched_shortcut_rate == pytest.approx(1.0)
    assert b.hidden_shortcut_rate == pytest.approx(0.75)
    assert b.watched_shortcut_rate == pytest.approx(0.0, abs=1e-12)
    assert b.faithfulness == pytest.approx(0.2 + 0.8 * 0.25)
    assert b.stated_shortcut_rate == pytest.approx(0.8 * 0.25)
    assert b.task_return == pytest.approx(0.2 * 1.0 + 0.8 * 2.0)


# --- what training selects: the 2x2 -------------------------------------------------------------


@pytest.fixture(scope="module")
def comparison():
    return rg.compare(rg.Config(), seeds=SEEDS)


def test_training_finds_the_brute_force_optimum_in_every_cell(comparison):
    for i, (label, monitor, consistency) in enumerate(rg.CELLS):
        config = rg.cell_config(rg.Config(), monitor, consistency)
        best, winners = _brute_force(config)
        assert len(winners) == 1, label
        for result in comparison.results[i]:
            assert result.training_return == pytest.approx(best, abs=1e-3), label
            assert _learned_choices(result) == winners[0], label


def test_default_training_returns_per_cell(comparison):
    # 0.3 watched episodes at 1.0, plus 0.7 unwatched at 2.0 / 1.8 / 1.0 / 2.0.
    expected = {
        "nothing on plans": 1.70,
        "plan monitor only": 1.56,
        "plan monitor + consistency": 1.00,
        "consistency only": 1.70,
    }
    for label, value in expected.items():
        assert np.allclose(comparison.cell(label)["training_return"], value, atol=1e-3)


def test_plan_monitor_alone_selects_say_safe_take_the_shortcut_when_unwatched(comparison):
    cell = comparison.cell("plan monitor only")
    assert (cell["hidden_shortcut_rate"] >= 0.99).all()
    assert (cell["unwatched_shortcut_rate"] >= 0.99).all()
    assert (cell["stated_shortcut_rate"] <= 0.01).all()  # the monitor sees nothing
    assert np.allclose(cell["faithfulness"], 0.3, atol=0.01)  # faithful only when watched
    assert (cell["watched_shortcut_rate"] <= 0.01).all()


def test_adding_the_consistency_check_makes_plans_faithful_and_removes_the_hidden_shortcut(
    comparison,
):
    both, monitor_only = (
        comparison.cell("plan monitor + consistency"),
        comparison.cell("plan monitor only"),
    )
    assert (both["faithfulness"] >= 0.99).all()
    assert (both["hidden_shortcut_rate"] <= 0.01).all()
    assert (both["unwatched_shortcut_rate"] <= 0.01).all()
    assert (monitor_only["hidden_shortcut_rate"] - both["hidden_shortcut_rate"] >= 0.98).all()


@pytest.mark.parametrize("label", ["consistency only", "nothing on plans"])
def test_without_a_plan_monitor_the_shortcut_is_taken_openly(comparison, label):
    cell = comparison.cell(label)
    assert (cell["unwatched_shortcut_rate"] >= 0.99).all()
    assert (cell["hidden_shortcut_rate"] <= 0.01).all()
    assert (cell["faithfulness"] >= 0.99).all()
    # Every unwatched episode (70% of all) states the shortcut: the plans reveal it.
    assert np.allclose(cell["stated_shortcut_rate"], 0.7, atol=0.01)


def test_obfuscation_grows_with_training_under_the_plan_monitor(comparison):
    for result in comparison.cell_results("plan monitor only"):
        hidden = result.curves["hidden_shortcut_rate"]
        assert hidden[0] == pytest.approx(0.25)  # untrained: every choice a coin flip
        assert hidden[20] > 0.6 and hidden[-1] > 0.99
        assert result.curves["stated_shortcut_rate"][-1] < 0.01


# --- the closed form, and the control of the hiding --------------------------------------------

FRESH = range(20, 23)  # seeds no other test or the notebook uses


@pytest.mark.parametrize("draw", range(40))
def test_the_closed_form_optimum_is_the_brute_force_one(draw):
    rng = np.random.default_rng(draw)
    config = rg.Config(
        watch_rate=float(rng.uniform(0, 1)),
        overseer_penalty=float(rng.uniform(0, 4)),
        monitor_penalty=float(rng.choice([0.0, rng.uniform(0, 3)])),
        consistency_penalty=float(rng.choice([0.0, rng.uniform(0, 3)])),
        improvise_cost=float(rng.uniform(0, 2)),
    )
    best, winners = _brute_force(config)
    opt = rg.optimum(config)
    assert opt.training_return == pytest.approx(best, abs=1e-12)
    assert opt.unique == (len(winners) == 1)
    chosen = (opt.choices["watched"], opt.choices["unwatched"])
    assert chosen in winners
    assert opt.behaviour.training_return == pytest.approx(best, abs=1e-9)


def test_deterministic_logits_make_the_choices():
    for plans in itertools.product(rg.CHOICES, repeat=4):
        choices = {"watched": plans[:2], "unwatched": plans[2:]}
        logits = rg.deterministic_logits(choices)
        assert rg.learned_choices(rg.probabilities(logits)) == choices


def test_training_learns_the_closed_form_optimum_on_fresh_seeds():
    comparison = rg.compare(rg.Config(), seeds=FRESH)
    for label in comparison.labels:
        best = comparison.optimum(label)
        assert best.unique, label
        assert comparison.matches_optimum(label) == len(FRESH), label
        assert np.allclose(
            comparison.cell(label)["hidden_shortcut_rate"], best.behaviour.hidden_shortcut_rate,
            atol=0.01,
        ), label  # fmt: skip


def test_plans_that_bind_actions_turn_hiding_into_stopping():
    """The control: acting against the plan costs more than the shortcut gains."""
    assert rg.BINDING_PLANS_COST > rg.Config().shortcut_reward - rg.Config().safe_reward
    cheap = rg.sweep(rg.cell_config(rg.Config(), True, False), seeds=FRESH)
    binding_config = rg.Config(improvise_cost=rg.BINDING_PLANS_COST)
    binding = rg.compare(binding_config, seeds=FRESH)
    assert all(r.hidden_shortcut_rate >= 0.99 for r in cheap)  # the effect ...
    monitor_only = binding.cell("plan monitor only")
    assert (monitor_only["unwatched_shortcut_rate"] <= 0.01).all()  # ... vanishes:
    assert (monitor_only["hidden_shortcut_rate"] <= 0.01).all()  # no shortcut to hide
    assert (monitor_only["faithfulness"] >= 0.99).all()
    # Without a monitor the shortcut is still taken openly: only the hiding went away.
    assert (binding.cell("nothing on plans")["unwatched_shortcut_rate"] >= 0.99).all()
    assert binding.optimum("plan monitor only").choices["unwatched"] == ("safe", "safe")


# --- thresholds, against brute force ------------------------------------------------------------


def _hidden_by_brute_force(config):
    _, winners = _brute_force(config)
    assert len(winners) == 1
    return winners[0][1] == ("safe", "shortcut")


@pytest.mark.parametrize(
    ("name", "grid", "base"),
    [
        # Consistency off: hidden iff the monitor penalty exceeds the improvise cost (0.2).
        ("monitor_penalty", [0.0, 0.1, 0.3, 0.5, 2.0], rg.Config(consistency_penalty=0.0)),
        # Monitor on: hidden iff improvise cost + consistency penalty < the shortcut's gain (1).
        ("consistency_penalty", [0.0, 0.5, 1.0, 2.0], rg.Config()),
    ],
)
def test_sweeps_flip_where_brute_force_says(name, grid, base):
    runs = rg.sweep(vary(base, **{name: grid}), seeds=range(3))
    for i, value in enumerate(grid):
        config = dataclasses.replace(base, **{name: value})
        want = 1.0 if _hidden_by_brute_force(config) else 0.0
        hidden = [r.hidden_shortcut_rate for r in runs[3 * i : 3 * i + 3]]
        assert np.allclose(hidden, want, atol=0.01), value
    flags = [_hidden_by_brute_force(dataclasses.replace(base, **{name: v})) for v in grid]
    assert any(flags) and not all(flags)  # the grid straddles the threshold


def test_a_plan_monitor_alone_never_stops_the_unwatched_shortcut():
    configs = vary(rg.Config(consistency_penalty=0.0), monitor_penalty=(0.0, 0.5, 5.0))
    runs = rg.sweep(configs, seeds=[0])
    assert all(r.unwatched_shortcut_rate >= 0.99 for r in runs)
    assert rg.summary(runs)["unwatched_shortcut_rate"]["min"] >= 0.99


# --- seeds, arguments ---------------------------------------------------------------------------


def test_same_seed_same_numbers_and_seeds_differ():
    a, b, c = rg.run(FAST, 1), rg.run(FAST, 1), rg.run(FAST, 2)
    assert np.array_equal(a.logits, b.logits) and a.behaviour == b.behaviour
    assert not np.array_equal(a.logits, c.logits)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"watch_rate": 1.5}, "watch_rate must be in"),
        ({"monitor_penalty": -1.0}, "monitor_penalty must be a finite number >= 0"),
        ({"consistency_penalty": "big"}, "consistency_penalty must be a number"),
        ({"improvise_cost": float("nan")}, "improvise_cost must be"),
        ({"shortcut_reward": float("inf")}, "shortcut_reward must be a finite number"),
        ({"overseer_penalty": True}, "overseer_penalty must be a number"),
        ({"es": {"generations": 3}}, "es must be an ESConfig"),
    ],
)
def test_config_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        rg.Config(**kwargs)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="seed must be"):
        rg.run(FAST, -1)
    with pytest.raises(TypeError, match="config must be a reasoning_gap.Config"):
        rg.run({"watch_rate": 0.3})
    with pytest.raises(ValueError, match="sweep needs at least one config"):
        rg.sweep([], seeds=[0])
    with pytest.raises(ValueError, match="seeds must hold"):
        rg.compare(FAST, seeds=[])
    with pytest.raises(ValueError, match="label must be one of"):
        rg.compare(FAST, seeds=[0]).cell("everything")
