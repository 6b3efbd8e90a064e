import pytest
from described import described

from mesatoys import evidence as ev
from mesatoys.viz import evidence as ve


@pytest.fixture(scope="module")
def findings():
    return ev.load_scheming_findings()


def caption(fig):
    return fig.texts[-1].get_text().replace("\n", " ")


def test_observed_figure_states_who_schemed_and_cites_table_1(findings):
    fig = ve.observed_figure(findings)
    ax = fig.axes[0]
    expected = "5 of 6 models schemed in at least one evaluation; only o1 did in all 6"
    assert ax.get_title() == expected
    assert ax.get_xlabel().startswith("evaluation") and ax.get_ylabel() == "model"
    cells = [t.get_text() for t in ax.texts]
    assert len(cells) == 36 and cells.count("no") == 17  # the 17 x marks of Table 1
    assert "arXiv:2412.04984, Table 1" in caption(fig) and "not a course toy" in caption(fig)


def test_observed_title_follows_the_data(findings):
    table = ev.scheming_observed(findings)
    without_o1 = ev.Matrix(table.rows[:-1], table.columns, table.values[:-1], table.findings)
    assert ve.observed_title(without_o1).endswith("none did in all 6")


@pytest.mark.parametrize(
    ("condition", "top", "table"),
    [("strong goal nudge", "22%", "Table 2"), ("no goal nudge", "5%", "Table 4")],
)
def test_rates_figure_reports_the_highest_rate_and_its_table(findings, condition, top, table):
    fig = ve.rates_figure(findings, condition)
    title = fig.axes[0].get_title().replace("\n", " ")
    assert f"the highest rate was {top} (o1, covertly produced false ranking)" in title
    assert f"arXiv:2412.04984, {table}" in caption(fig)
    assert fig.axes[0].get_xlabel() == "model"
    assert fig.axes[1].get_ylabel().startswith("% of rollouts")
    assert len(fig.axes[0].texts) == 5 * (11 if table == "Table 2" else 9)


def test_rates_figure_rejects_an_unknown_condition(findings):
    with pytest.raises(ValueError, match="condition must be one of"):
        ve.rates_figure(findings, "summary of all conditions")


def test_anti_scheming_figure_draws_only_the_abstract_by_default():
    ax = ve.anti_scheming_figure().axes[0]
    assert ax.get_title() == "Anti-scheming training cut covert actions 32-fold, but not to zero"
    assert sorted(round(p.get_height(), 6) for p in ax.patches) == [0.4, 13.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["o3"]


def test_anti_scheming_figure_with_the_posts_flags_them_second_hand():
    fig = ve.anti_scheming_figure(primary_only=False)
    ax = fig.axes[0]
    expected = "Anti-scheming training cut covert actions 29 to 32-fold, but not to zero"
    assert ax.get_title() == expected
    heights = sorted(round(p.get_height(), 6) for p in ax.patches)
    assert heights == [0.3, 0.4, 8.7, 13.0]
    assert ax.get_ylabel() == "covert action rate (% of samples)"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["o3", "o4-mini"]
    text = caption(fig)
    assert "arXiv:2509.15541, Abstract;" in text
    assert "second-hand: https://www.apolloresearch.ai" in text


def test_caption_merges_locators_of_one_paper_and_flags_second_hand_sources():
    results = ev.load_anti_scheming_results()
    sources = ve.caption_sources([r.citation for r in results])
    assert len(sources) == 2
    assert sources[0].count("arXiv:2509.15541") == 1 and sources[0].endswith("Abstract")
    assert sources[1].count(" / ") == 2  # three locators of the posts, merged into one source
    assert "second-hand: https://www.apolloresearch.ai" in sources[1]


def test_figures_build_and_draw(findings):
    for build in (lambda: ve.observed_figure(findings), lambda: ve.rates_figure(findings),
                  ve.anti_scheming_figure):  # fmt: skip
        fig = build()
        fig.canvas.draw()
        assert fig.axes


def test_observed_figure_alt_and_table(findings):
    fig = ve.observed_figure(findings)
    described(
        fig, "Published measurements of real models", "Grid of 6 models by 6 evaluations",
        "arXiv:2412.04984, Table 1", "5 of 6 models schemed in at least one evaluation",
        "o1 6", "GPT-4o 0", data=True,
    )  # fmt: skip
    rows = fig.mesatoys_data.rows
    assert sum(row[1:].count("no") for row in rows) == 17
    assert dict((row[0], row[1:]) for row in rows)["o1"] == ("yes",) * 6


@pytest.mark.parametrize(("condition", "top", "cells"), [("strong goal nudge", "22%", 55),
                                                          ("no goal nudge", "5%", 45)])  # fmt: skip
def test_rates_figure_alt_and_table(findings, condition, top, cells):
    fig = ve.rates_figure(findings, condition)
    described(fig, f"the highest rate was {top} (o1, covertly produced false ranking)",
              f"of {cells} model-action pairs are above zero", data=True)  # fmt: skip
    data = fig.mesatoys_data
    assert data.columns[1:] == ("Gemini 1.5 Pro", "Llama 3.1 405B", "Claude 3.5 Sonnet",
                                "Claude 3 Opus", "o1")  # fmt: skip
    assert top in [cell for row in data.rows for cell in row]


def test_anti_scheming_figure_alt_and_table():
    fig = ve.anti_scheming_figure(primary_only=False)
    described(fig, "cut covert actions 29 to 32-fold", "o3 from 13% to 0.4%",
              "o4-mini from 8.7% to 0.3%", data=True)  # fmt: skip
    assert fig.mesatoys_data.rows == (("o3", 13.0, 0.4), ("o4-mini", 8.7, 0.3))
