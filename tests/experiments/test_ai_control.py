"""The AI-control game: Monte Carlo against closed forms, and the paper's qualitative results.

The references below are written out again from the rules of the game with the
``math`` module only (no code from the module under test):

- upfront auditing, attack rate p, the first k of N tasks audited, backdoors working
  with probability s: safe iff an attack falls in the audited prefix, or no working
  backdoor is attacked in the rest: ``1 - (1-p)^k + (1-p)^k (1 - p s)^(N-k)``;
- monitoring protocols: every task independently ends the game caught (``p c``),
  lost (``p x s``, x the chance an attack is neither audited nor deferred) or goes on,
  so ``P(lost) = p x s (1 - q^N) / (1 - q)`` with ``q = 1 - p c - p x s``.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np
import pytest

from mesatoys.experiments import ai_control as ac
from mesatoys.experiments.shape import vary

SEEDS = (0, 1, 2)
Z = 4.5  # standard errors allowed between an estimate and its exact value


# --- the independent reference ------------------------------------------------------------------


def normal_sf(x: float) -> float:
    """P(Z > x) for a standard normal Z."""
    return 0.5 * math.erfc(x / math.sqrt(2.0))


def upper_quantile(fraction: float) -> float:
    """x with P(Z > x) = fraction, by bisection."""
    if fraction <= 0:
        return math.inf
    lo, hi = -12.0, 12.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if normal_sf(mid) > fraction else (lo, mid)
    return (lo + hi) / 2


def exact_upfront(p: float, n: int, k: int, s: float) -> float:
    return 1 - (1 - p) ** k + (1 - p) ** k * (1 - p * s) ** (n - k)


def exact_sequential(p: float, catch: float, passed: float, s: float, n: int) -> float:
    caught, lost = p * catch, p * passed * s
    go_on = 1 - caught - lost
    if caught + lost == 0:
        return 1.0
    return 1 - lost * (1 - go_on**n) / (1 - go_on)


def exact_curve(protocol: str, config: ac.Config) -> np.ndarray:
    """Exact safety at every attack rate of the config."""
    n, s, d = config.n_tasks, config.backdoor_success, config.monitor_quality
    catch = normal_sf(upper_quantile(config.audit_budget) - d)
    reach_defer = normal_sf(upper_quantile(config.audit_budget + config.defer_fraction) - d)
    out = []
    for p in config.attack_rates:
        if protocol == "upfront_auditing":
            k = math.floor(config.audit_budget * n + 1e-9)
            out.append(exact_upfront(p, n, k, s))
        elif protocol == "trusted_monitoring":
            out.append(exact_sequential(p, catch, 1 - catch, s, n))
        else:
            out.append(exact_sequential(p, catch, 1 - reach_defer, s, n))
    return np.array(out)


def assert_close_to_exact(estimate: np.ndarray, exact: np.ndarray, n: int) -> None:
    exact = np.clip(exact, 0.0, 1.0)
    se = np.sqrt(exact * (1 - exact) / n)
    assert np.all(np.abs(estimate - exact) <= Z * se + 2e-3), np.abs(estimate - exact) / (se + 1e-9)


def test_reference_sanity():
    assert upper_quantile(0.02) == pytest.approx(2.0537, abs=1e-4)
    assert exact_upfront(0.0, 1000, 20, 0.5) == 1.0  # no attack: safe
    assert exact_upfront(1.0, 1000, 20, 0.5) == 1.0  # attacks the first (audited) task
    assert exact_sequential(1.0, 0.0, 1.0, 1.0, 10) == 0.0  # first attack works, unseen
    assert exact_sequential(0.3, 1.0, 0.0, 1.0, 10) == 1.0  # every attack caught


@pytest.fixture(scope="module")
def runs():
    return {seed: ac.run(ac.Config(), seed) for seed in SEEDS}


# --- the simulation against the closed forms ----------------------------------------------------


@pytest.mark.parametrize("protocol", ac.PROTOCOLS)
def test_safety_matches_the_closed_form_at_every_attack_rate(runs, protocol):
    config = ac.Config()
    exact = exact_curve(protocol, config)
    for result in runs.values():
        assert_close_to_exact(result[protocol].safety, exact, config.n_deployments)


@pytest.mark.parametrize("protocol", ac.PROTOCOLS)
def test_worst_case_safety_matches_the_closed_form_minimum(runs, protocol):
    config = ac.Config()
    exact = exact_curve(protocol, config)
    se = math.sqrt(exact.min() * (1 - exact.min()) / config.n_deployments)
    for result in runs.values():
        res = result[protocol]
        # The red team picks the lowest of noisy estimates: on average a little low.
        assert abs(res.worst_case_safety - exact.min()) <= Z * se
        assert res.worst_case_safety == res.safety.min()
        assert res.safety_at(res.best_attack_rate) == res.worst_case_safety


def test_the_default_numbers():
    """Exact values at the defaults (the notebook quotes them)."""
    config = ac.Config()
    up, tm, dtt = (exact_curve(p, config) for p in ac.PROTOCOLS)
    assert up.min() == pytest.approx(0.1587, abs=1e-4)
    assert config.attack_rates[int(up.argmin())] == pytest.approx(0.00631)
    assert tm.min() == pytest.approx(0.6473, abs=1e-4)
    assert dtt.min() == pytest.approx(0.8238, abs=1e-4)
    # Against monitoring, any rate above ~10% is as good for the red team as attacking always.
    assert tm[-1] - tm.min() < 1e-4 and dtt[-1] - dtt.min() < 1e-4


def test_against_trusted_monitoring_only_the_rarest_attacks_change_safety():
    """What the notebook says of the curve: high at the rarest rates, then flat.

    Each attack is audited with chance c and slips through working with chance
    (1 - c) s, so once a deployment holds a few attacks, safety is c / (c + (1 - c) s)
    whatever the rate; at the rarest rates many deployments see no decisive attack.
    """
    config = ac.Config()
    rates = np.array(config.attack_rates)
    catch = normal_sf(upper_quantile(config.audit_budget) - config.monitor_quality)
    limit = catch / (catch + (1 - catch) * config.backdoor_success)
    assert catch == pytest.approx(0.48, abs=0.005) and limit == pytest.approx(0.65, abs=0.005)
    exact = exact_curve("trusted_monitoring", config)
    assert np.abs(exact[rates >= 0.005] - limit).max() < 0.01
    assert exact[0] > limit + 0.15
    for seed in (3, 4):  # seeds the notebook does not use
        safety = ac.run(config, seed)["trusted_monitoring"].safety
        flat = safety[rates >= 0.005]
        assert 0.60 <= flat.min() and flat.max() <= 0.70
        assert safety[0] >= flat.max() + 0.1


@pytest.mark.parametrize(
    "changes",
    [
        {"audit_budget": 0.05, "monitor_quality": 1.0, "n_tasks": 300},
        {"audit_budget": 0.01, "backdoor_success": 1.0, "defer_fraction": 0.3},
        {"audit_budget": 0.0, "n_tasks": 200},
    ],
)
def test_closed_forms_hold_at_other_settings(changes):
    config = ac.Config(n_deployments=3000, **changes)
    for seed in (3, 4):
        result = ac.run(config, seed)
        for protocol in ac.PROTOCOLS:
            assert_close_to_exact(result[protocol].safety, exact_curve(protocol, config), 3000)


def test_a_useless_monitor_is_random_auditing():
    """Quality 0: each attack is audited with chance = the budget, like random auditing."""
    config = ac.Config(monitor_quality=0.0)
    budget, s, n = config.audit_budget, config.backdoor_success, config.n_tasks
    random_auditing = np.array(
        [exact_sequential(p, budget, 1 - budget, s, n) for p in config.attack_rates]
    )
    for seed in SEEDS:
        result = ac.run(config, seed)
        tm = result["trusted_monitoring"]
        assert_close_to_exact(tm.safety, random_auditing, config.n_deployments)
        assert tm.worst_case_safety <= random_auditing.min() + 1e-3  # no better (0.039)
        # Worse even than auditing the first 2%: the red team can attack from the start.
        assert tm.worst_case_safety < result["upfront_auditing"].worst_case_safety - 0.08


def test_first_decisive_attack_matches_a_plain_loop():
    rng = np.random.default_rng(7)
    draws = rng.random((40, 25)).astype(np.float32)
    kind = rng.integers(0, 3, size=(40, 25))  # 0 nothing, 1 caught, 2 lost
    rates = [0.01, 0.05, 0.1, 0.3, 0.6, 1.0]
    caught, lost = ac.first_decisive_attack(draws, kind == 1, kind == 2, rates)
    for i, p in enumerate(rates):
        ends = {"caught": 0, "lost": 0}
        for row in range(40):
            for col in range(25):
                if draws[row, col] < p and kind[row, col]:
                    ends["caught" if kind[row, col] == 1 else "lost"] += 1
                    break
        assert caught[i] == ends["caught"] / 40 and lost[i] == ends["lost"] / 40


# --- the paper's qualitative results ------------------------------------------------------------


def test_trusted_monitoring_beats_upfront_auditing(runs):
    for result in runs.values():
        tm, up = result["trusted_monitoring"], result["upfront_auditing"]
        assert tm.worst_case_safety > up.worst_case_safety + 0.4  # ~0.63 against ~0.16
        assert tm.usefulness == up.usefulness == 1.0  # audits change no answer


def test_the_best_attack_on_upfront_auditing_is_rare(runs):
    for result in runs.values():
        up = result["upfront_auditing"]
        assert 0.004 <= up.best_attack_rate <= 0.0126  # exact optimum on the grid: 0.0063
        assert up.safety[-1] > 0.99  # attacking always: caught on the first task


def test_defer_to_trusted_buys_safety_with_usefulness(runs):
    for result in runs.values():
        dtt, tm = result["defer_to_trusted"], result["trusted_monitoring"]
        assert dtt.worst_case_safety > tm.worst_case_safety + 0.12  # ~0.81 against ~0.63
        assert dtt.usefulness == pytest.approx(1 - 0.10, abs=0.005)
        assert dtt.deferred_fraction == pytest.approx(0.10, abs=0.003)


def test_honest_deployments_use_the_audit_budget(runs):
    for result in runs.values():
        assert result["upfront_auditing"].audit_fraction == 0.02
        for protocol in ("trusted_monitoring", "defer_to_trusted"):
            assert result[protocol].audit_fraction == pytest.approx(0.02, abs=0.001)


def test_the_frontier():
    fractions = (0.0, 0.05, 0.1, 0.2, 0.5)
    front = ac.frontier(ac.Config(), fractions, seed=0)
    assert np.allclose(front.usefulness, 1 - np.array(fractions), atol=0.006)
    assert np.all(np.diff(front.usefulness) < 0)
    assert np.all(np.diff(front.safety) > -0.02)  # more deferral, no less safety
    assert front.safety[-1] > 0.95 and front.safety[0] < 0.66
    assert front.safety[0] == front.points["trusted_monitoring"][1]  # deferring 0% is monitoring
    assert front.safety[2] == front.points["defer_to_trusted"][1]


def test_a_sweep_over_budgets_against_the_closed_form():
    budgets = (0.01, 0.05)
    config = ac.Config(n_deployments=1500)
    runs = ac.sweep(vary(config, audit_budget=budgets), seeds=(0, 1))
    for i, budget in enumerate(budgets):
        for protocol in ac.PROTOCOLS:
            exact = exact_curve(protocol, replace(config, audit_budget=budget)).min()
            se = math.sqrt(exact * (1 - exact) / 1500)
            for r in runs[2 * i : 2 * i + 2]:
                assert abs(r[protocol].worst_case_safety - exact) <= Z * se
    low = ac.summary(runs[:2])["trusted_monitoring worst_case_safety"]
    high = ac.summary(runs[2:])["trusted_monitoring worst_case_safety"]
    assert high["min"] > low["max"]
    with pytest.raises(TypeError, match="config must be a ai_control.Config|config must be an"):
        ac.run({"audit_budget": 0.02})


# --- plumbing -----------------------------------------------------------------------------------


def test_same_seed_same_numbers():
    config = ac.Config(n_deployments=300)
    a, b, c = ac.run(config, 5), ac.run(config, 5), ac.run(config, 6)
    for p in ac.PROTOCOLS:
        assert np.array_equal(a[p].safety, b[p].safety)
    assert not np.array_equal(a["trusted_monitoring"].safety, c["trusted_monitoring"].safety)


def test_run_is_fast():
    ac.run(ac.Config(n_deployments=200), 0)  # warm up
    start = time.perf_counter()
    ac.run(ac.Config(), 0)
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_tasks": 0}, "n_tasks must be an integer >= 1, got 0"),
        ({"audit_budget": 1.5}, r"audit_budget must be in \[0, 1\], got 1.5"),
        ({"monitor_quality": -1.0}, "monitor_quality must be a finite number >= 0, got -1.0"),
        ({"monitor_quality": "high"}, "monitor_quality must be a number >= 0, got 'high'"),
        ({"backdoor_success": True}, "backdoor_success must be a number"),
        ({"audit_budget": 0.5, "defer_fraction": 0.6}, "audit_budget \\+ defer_fraction must"),
        ({"untrusted_correct": 0.1}, "untrusted_correct must exceed trusted_correct"),
        ({"attack_rates": ()}, "attack_rates must be non-empty"),
        ({"attack_rates": (0.1, 0.05)}, "attack_rates must be strictly increasing"),
        ({"attack_rates": (0.0, 0.5)}, r"attack_rates must be non-empty numbers in \(0, 1\]"),
        ({"attack_rates": "0.1"}, "attack_rates must be a sequence"),
        ({"n_deployments": 2.5}, "n_deployments must be an integer >= 1, got 2.5"),
    ],
)
def test_config_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ac.Config(**kwargs)


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        ac.run(ac.Config(n_deployments=10), -1)
    with pytest.raises(ValueError, match="protocol must be one of"):
        ac.run(ac.Config(n_deployments=10), 0)["random_auditing"]
    result = ac.run(ac.Config(n_deployments=10), 0)
    with pytest.raises(ValueError, match="attack_rate must be one of the evaluated rates"):
        result["trusted_monitoring"].safety_at(0.5)
    with pytest.raises(ValueError, match="defer_fractions must hold at least one"):
        ac.frontier(ac.Config(n_deployments=10), ())
    with pytest.raises(ValueError, match="sweep needs at least one config"):
        ac.sweep([], seeds=(0,))
