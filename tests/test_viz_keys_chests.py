import pytest
from described import described

from mesatoys.experiments import keys_and_chests as kc
from mesatoys.viz import keys_chests_plots as kp


@pytest.fixture(scope="module")
def result():
    return kc.run(kc.Config(n_test_levels=20, n_train_levels=32), seed=0)


def test_level_figure_title_reports_what_the_agent_did(result):
    episode = kc.play(result.config, list(result.mesa_objective.values()), result.test_levels[2])
    fig = kp.level_figure(result, index=2)
    title = fig.axes[0].get_title()
    assert f"picked up {episode.keys_collected[0]} of 10 keys" in title
    assert f"opened {episode.chests_opened[0]} of 3 chests" in title


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"index": 20}, "index must be in"), ({"split": "dev"}, "split must be")],
)
def test_level_figure_rejects_bad_arguments(result, kwargs, message):
    with pytest.raises(ValueError, match=message):
        kp.level_figure(result, **kwargs)


def test_objectives_figure_has_one_bar_per_feature_and_run(result):
    fig = kp.objectives_figure({"a": result, "b": result})
    assert len(fig.axes[0].patches) == 2 * 4
    with pytest.raises(ValueError, match="at least one run"):
        kp.objectives_figure({})


def test_outcome_table_lists_every_run_and_the_intended_goal(result):
    table = kp.outcome_table({"plain": result})
    assert "plain" in table and f"{result.test.keys_per_chest:.2f}" in table
    control = kc.evaluate(result.config, kc.INTENDED_OBJECTIVE, result.test_levels)
    (last,) = [row for row in table.splitlines() if row.startswith("intended goal")]
    assert last.split()[-2:] == [f"{control.keys_per_chest:.2f}", f"{control.mean_return:.2f}"]
    assert "intended" not in kp.outcome_table({"plain": result}, control=False)
    with pytest.raises(ValueError, match="at least one run"):
        kp.outcome_table({})


def test_level_figure_alt_places_keys_chests_and_path(result):
    level = result.test_levels[2]
    episode = kc.play(result.config, list(result.mesa_objective.values()), level)
    keys = level.objects[0][level.is_key[0]]
    (r, c) = level.start[0]
    described(
        kp.level_figure(result, index=2), "Test level 2 (11 x 11 maze)",
        f"start at row {r}, column {c}", f"keys at (row {keys[0][0]}, column {keys[0][1]})",
        f"picked up {episode.keys_collected[0]} of 10 keys",
        f"opened {episode.chests_opened[0]} of 3 chests", data=False,
    )  # fmt: skip


def test_objectives_figure_alt_and_table(result):
    fig = kp.objectives_figure({"plain": result})
    w = result.mesa_objective
    described(fig, f"plain: key {w['key']:+.2f}, chest {w['chest']:+.2f}", data=True)
    assert fig.mesatoys_data.rows[0] == ("key", w["key"])
    assert fig.mesatoys_data.rows[2] == ("chest while holding a key", "not in its goal")
