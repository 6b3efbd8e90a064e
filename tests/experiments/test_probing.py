"""Linear probes find a learned network's goal; the pieces checked against references."""

import dataclasses
from collections import deque

import numpy as np
import pytest

from mesatoys.agents.network import MLP
from mesatoys.experiments import absent_supervisor as ab
from mesatoys.experiments import probing

SEEDS = (20, 21, 22, 23)


# --- the oracle against a plain-Python breadth-first search ---------------------------------------


def _bfs_optimal_moves(room, agent, goal, blocked):
    """Moves (indices into ACTIONS) that start a shortest path avoiding ``blocked``."""
    dist = {goal: 0}
    queue = deque([goal])
    while queue:
        r, c = queue.popleft()
        for dr, dc in ((-1, 0), (0, 1), (1, 0), (0, -1)):
            nxt = (r + dr, c + dc)
            if 0 <= nxt[0] < room and 0 <= nxt[1] < room and nxt != blocked and nxt not in dist:
                dist[nxt] = dist[(r, c)] + 1
                queue.append(nxt)
    here = dist[agent]
    moves = set()
    for k, (dr, dc) in enumerate(((-1, 0), (0, 1), (1, 0), (0, -1))):
        if dist.get((agent[0] + dr, agent[1] + dc), -1) == here - 1:
            moves.add(k)
    return moves


def test_oracle_matches_plain_bfs():
    room = 5
    states = probing.sample_states(300, room, np.random.default_rng(0))
    policy = probing.oracle_policy(states, room)
    np.testing.assert_allclose(policy.sum(axis=1), 1.0)
    for i in range(len(states)):
        goal = states.goal[i]
        cell = lambda rc: (int(rc[0]), int(rc[1]))  # noqa: E731
        expected = _bfs_optimal_moves(
            room, cell(states.agent[i]), cell(states.targets[i, goal]),
            cell(states.targets[i, 1 - goal]),
        )  # fmt: skip
        assert set(np.flatnonzero(policy[i])) == expected


def test_goal_is_the_xor_of_the_cues():
    states = probing.sample_states(1000, 4, np.random.default_rng(1), n_distractors=3)
    differ = states.cues[:, 0] != states.cues[:, 1]
    assert (states.goal[differ] == 0).all() and (states.goal[~differ] == 1).all()
    cells = np.stack([states.agent, states.targets[:, 0], states.targets[:, 1]], axis=1)
    flat = cells[..., 0] * 4 + cells[..., 1]
    assert all(len(set(row)) == 3 for row in flat)  # three distinct cells
    assert 0.45 < differ.mean() < 0.55
    assert states.distractors.shape == (1000, 3)
    assert probing.observe(states, 4).shape == (1000, 9)


# --- the network and its training ---------------------------------------------------------------
# The network's gradients are checked against finite differences in tests/agents/test_network.py
# and Adam against its formula in tests/test_optimize.py; here, that training uses them as written.


def test_training_is_minibatch_adam_on_the_cross_entropy():
    config = probing.Config(steps=5, batch=16, n_train_states=64, hidden=(8,))
    net, losses = probing.train_policy(config, np.random.default_rng(4))
    # The same steps by hand, from the same draws, with a plain-loop Adam.
    rng = np.random.default_rng(4)
    states = probing.sample_states(64, config.room, rng, config.n_distractors)
    x, y = probing.observe(states, config.room), probing.oracle_policy(states, config.room)
    ref = MLP.init(probing.layer_sizes(config), rng, dtype=np.float64)
    m = [np.zeros_like(p) for p in ref.params]
    v = [np.zeros_like(p) for p in ref.params]
    for t in range(1, 6):
        pick = rng.integers(0, 64, 16)
        logits, hidden = ref.forward(x[pick], return_hidden=True)
        logp = logits - logits.max(axis=1, keepdims=True)
        logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
        assert losses[t - 1] == pytest.approx(-(y[pick] * logp).sum() / 16, rel=1e-12)
        grads = ref.backward(x[pick], hidden, (np.exp(logp) - y[pick]) / 16)
        for p, g, mi, vi in zip(ref.params, grads, m, v, strict=True):
            mi[:] = 0.9 * mi + 0.1 * g
            vi[:] = 0.999 * vi + 0.001 * g * g
            p -= 0.01 * (mi / (1 - 0.9**t)) / (np.sqrt(vi / (1 - 0.999**t)) + 1e-8)
    for a, b in zip(net.params, ref.params, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


# --- the probe against closed forms -------------------------------------------------------------


def test_logistic_regression_matches_the_closed_form_for_one_binary_feature():
    # With one 0/1 feature and a bias, the maximum-likelihood fit reproduces the
    # empirical frequencies: sigmoid(b) = P(y=1 | x=0), sigmoid(b + w) = P(y=1 | x=1).
    x = np.array([0] * 10 + [1] * 10, dtype=float)[:, None]
    y = np.array([1] * 3 + [0] * 7 + [1] * 8 + [0] * 2)
    w, b = probing.fit_logistic(x, y, l2=0.0)
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    assert b == pytest.approx(logit(0.3), abs=1e-8)
    assert w[0] == pytest.approx(logit(0.8) - logit(0.3), abs=1e-8)


def test_logistic_regression_ridge_solves_its_optimality_condition():
    # Points x = +1 (y = 1) and x = -1 (y = 0): by symmetry b = 0 and w solves
    # sigmoid(-w) = l2 * w, found here by bisection.
    x, y, l2 = np.array([[1.0], [-1.0]]), np.array([1, 0]), 0.1
    lo, hi = 0.0, 100.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if 1 / (1 + np.exp(mid)) > l2 * mid else (lo, mid)
    w, b = probing.fit_logistic(x, y, l2=l2)
    assert w[0] == pytest.approx(lo, abs=1e-8)
    assert b == pytest.approx(0.0, abs=1e-8)


def test_probe_separates_separable_data_and_not_xor():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((400, 3))
    y = (x @ np.array([1.0, -2.0, 0.5]) > 0).astype(int)
    assert probing.probe_accuracy(x[:200], y[:200], x[200:], y[200:], 1e-4) >= 0.97
    bits = rng.integers(0, 2, (400, 2)).astype(float)
    xor = (bits[:, 0] != bits[:, 1]).astype(int)
    acc = probing.probe_accuracy(bits[:200], xor[:200], bits[200:], xor[200:], 1e-2)
    # A line puts at most 3 of the 4 XOR corners on the right side.
    assert acc <= 0.82


def test_fit_logistic_rejects_bad_input():
    with pytest.raises(ValueError, match="labels 0 and 1"):
        probing.fit_logistic(np.zeros((3, 1)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="x must be"):
        probing.fit_logistic(np.zeros(3), np.array([0, 1, 1]))


# --- the experiment across seeds ----------------------------------------------------------------


@pytest.fixture(scope="module")
def runs():
    return [probing.run(probing.Config(), s) for s in SEEDS]


def test_network_learns_the_task(runs):
    for r in runs:
        assert r.losses[-100:].mean() < r.losses[:100].mean() - 0.4
        assert r.oracle_agreement >= 0.93
        assert r.success_rate >= 0.88
        assert r.wrong_target_rate <= 0.12


def test_hidden_layer_reveals_the_goal_and_the_raw_input_does_not(runs):
    for r in runs:
        acc = r.probe_accuracy
        assert acc["hidden"] >= 0.90
        assert acc["layer_1"] >= 0.90
        assert acc["raw"] <= 0.60
        assert acc["hidden"] - acc["raw"] >= 0.30
        assert abs(acc["shuffled"] - 0.5) <= 0.08  # the control sits at chance
        assert acc["hidden"] - acc["untrained"] >= 0.15
        assert abs(r.chance - 0.5) <= 0.08
        assert r.n_probe_train >= 600 and r.n_probe_test >= 600
        assert 0.55 <= acc["untrained"] <= 0.75  # notebook 06: "about 67%, well below"
    summary = probing.summary(runs)
    assert summary["hidden"]["mean"] >= 0.93
    assert summary["raw"]["mean"] <= 0.55
    assert abs(summary["shuffled"]["mean"] - 0.5) <= 0.03


@pytest.mark.slow
def test_without_distractors_the_untrained_control_reads_the_goal_as_well(runs):
    """The control of the noise bits: they alone make the trained-vs-untrained gap.

    Two +-1 cue bits through random ReLU units already give a linearly readable XOR;
    mixed with noise bits they do not.
    """
    config = probing.Config(n_distractors=0)
    for seed, noisy in zip(SEEDS[:2], runs[:2], strict=True):
        clean = probing.run(config, seed)
        acc = clean.probe_accuracy
        assert acc["untrained"] >= 0.90
        assert acc["hidden"] - acc["untrained"] <= 0.05  # the gap is gone ...
        gap = noisy.probe_accuracy["hidden"] - noisy.probe_accuracy["untrained"]
        assert gap >= 0.15  # ... where, with the noise bits, it was large
        assert acc["raw"] <= 0.65 and abs(acc["shuffled"] - 0.5) <= 0.08
        assert clean.success_rate >= 0.9


def test_same_seed_same_numbers_and_sweep():
    config = probing.Config(steps=200, n_episodes=60)
    a, b = probing.run(config, 5), probing.run(config, 5)
    assert a.probe_accuracy == b.probe_accuracy
    np.testing.assert_array_equal(a.losses, b.losses)
    swept = probing.sweep([config], seeds=[5])
    assert len(swept) == 1 and swept[0].probe_accuracy == a.probe_accuracy


def test_summary_is_mean_min_max(runs):
    stats = probing.summary(runs)
    values = [r.probe_accuracy["raw"] for r in runs]
    assert stats["raw"] == {
        "mean": pytest.approx(np.mean(values)),
        "min": min(values),
        "max": max(values),
    }
    assert set(stats) == {"success_rate", "chance", *runs[0].probe_accuracy}


def test_the_result_holds_plain_data(runs):
    for f in dataclasses.fields(runs[0]):
        value = getattr(runs[0], f.name)
        assert isinstance(value, (int, float, dict, np.ndarray, probing.Config)), f.name


def test_run_takes_only_its_own_config():
    for wrong in ({"steps": 10}, ab.Config()):
        with pytest.raises(TypeError, match="config must be an? probing.Config"):
            probing.run(wrong)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"room": 2}, "room"),
        ({"hidden": (8, 8, 8)}, "hidden"),
        ({"hidden": [8]}, "hidden"),
        ({"hidden": (0,)}, "hidden width"),
        ({"n_episodes": 1}, "n_episodes"),
        ({"learning_rate": 0}, "learning_rate must be a finite number > 0"),
        ({"learning_rate": float("nan")}, "learning_rate must be a finite number > 0, got nan"),
        ({"learning_rate": float("inf")}, "learning_rate"),
        ({"learning_rate": "0.01"}, "learning_rate"),
        ({"probe_l2": -1.0}, "probe_l2 must be a finite number >= 0"),
        ({"probe_l2": float("nan")}, "probe_l2"),
        ({"n_distractors": -1}, "n_distractors"),
        ({"room": 1000}, r"room must be an integer in \[3, 15\], got 1000"),
        ({"n_train_states": 10**9}, r"n_train_states must be an integer in \[1, 50000\]"),
        ({"hidden": (10**6,)}, r"hidden width must be an integer in \[1, 1024\]"),
        ({"steps": 2.5}, "steps must be an integer"),
    ],
)
def test_config_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        probing.Config(**kwargs)


def test_summary_needs_runs():
    with pytest.raises(ValueError, match="at least one"):
        probing.summary([])
