import csv
import subprocess
import sys
from importlib import resources
from math import comb

import numpy as np
import pytest

from mesatoys import evidence as ev

ARXIV_2024 = "https://arxiv.org/abs/2412.04984"
ARXIV_2025 = "https://arxiv.org/abs/2509.15541"


def raw_rows(name):
    """The shipped CSV read with the csv module alone, not through the loader."""
    text = (resources.files("mesatoys.data") / name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@pytest.fixture(scope="module")
def findings():
    return ev.load_scheming_findings()


@pytest.fixture(scope="module")
def results():
    return ev.load_anti_scheming_results()


def by(findings, **wanted):
    return [f for f in findings if all(getattr(f, k) == v for k, v in wanted.items())]


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


# --- every row carries its source -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "paper_url", "year"),
    [(ev.FINDINGS_FILE, ARXIV_2024, "2024"), (ev.RESULTS_FILE, ARXIV_2025, "2025")],
)
def test_every_shipped_row_cites_author_year_title_locator_and_arxiv_url(name, paper_url, year):
    rows = raw_rows(name)
    assert len(rows) >= 10
    for row in rows:
        for key in ("author", "title", "locator", "source_url", "source_kind"):
            assert row[key].strip(), (key, row)
        assert row["url"] == paper_url
        assert row["year"] == year
        if row["source_kind"] == "primary":
            assert row["source_url"] == paper_url
        else:
            assert row["source_kind"] == "second-hand"
            assert row["source_url"].startswith("https://") and row["source_url"] != paper_url
            assert "second-hand" in row["locator"]


def test_every_shipped_value_is_in_the_range_of_its_unit():
    for row in raw_rows(ev.FINDINGS_FILE) + raw_rows(ev.RESULTS_FILE):
        value = float(row["value"])
        if row["unit"] == "accuracy difference (fraction)":
            assert -1 <= value <= 1, row
        else:
            assert 0 <= value <= 1, row
        if row["unit"].startswith("indicator"):
            assert value in (0, 1), row


def test_the_loaders_read_every_shipped_row(findings, results):
    assert len(findings) == len(raw_rows(ev.FINDINGS_FILE)) == 181
    assert len(results) == len(raw_rows(ev.RESULTS_FILE)) == 11
    assert {f.citation.arxiv_id for f in findings} == {"2412.04984"}
    assert all(f.citation.is_primary for f in findings)


# --- the numbers agree with each other and with the paper's own statistics ---------------


def test_table_1_marks_exactly_the_models_with_a_positive_rate_in_table_2(findings):
    # Table 1 was reconstructed separately from Table 2; the two must agree.
    for evaluation in ev.COVERT_EVALUATIONS:
        for model in ev.MODELS:
            seen = by(findings, model=model, evaluation=evaluation, measure="observed")[0].value
            rates = by(findings, model=model, evaluation=evaluation, measure="rate",
                       condition="strong goal nudge")  # fmt: skip
            assert seen == float(any(f.value > 0 for f in rates)), (model, evaluation)


@pytest.mark.parametrize(
    ("evaluation", "behaviour", "condition"),
    [
        ("Instrumental alignment faking", "Behavioral scheming", "no goal nudge"),
        ("Sandbagging", "Difference in accuracy", "strong goal nudge"),
    ],
)
def test_table_1_marks_exactly_the_models_significant_at_one_percent(
    findings, evaluation, behaviour, condition
):
    significant = {
        f.model
        for f in by(
            findings,
            evaluation=evaluation,
            behaviour=behaviour,
            measure="p_value",
            condition=condition,
        )  # fmt: skip
        if f.value < 0.01
    }
    marked = {f.model for f in by(findings, evaluation=evaluation, measure="observed") if f.value}
    assert marked == significant


def binomial_tail(k, n=99, p=0.25):
    return sum(comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))


def test_alignment_faking_p_values_match_a_one_sided_binomial_test(findings):
    # Section 3.5: one-sided binomial test, chance rate 0.25, n = 99 pairs.
    assert binomial_tail(36) < 0.01 < binomial_tail(35)  # the paper's threshold of 36
    for f in by(findings, behaviour="Behavioral scheming", measure="rate"):
        p = by(findings, model=f.model, behaviour="Behavioral scheming", measure="p_value")[0]
        tail = binomial_tail(round(f.value * 99))
        if p.relation == "<":
            assert tail < p.value
        else:
            assert round(tail, 3) == p.value, f.model


def test_behavioral_scheming_is_at_most_either_of_its_two_parts(findings):
    for model in ("Gemini 1.5 Pro", "Llama 3.1 405B", "o1"):
        chosen = by(
            findings, model=model, measure="rate", evaluation="Instrumental alignment faking"
        )
        rows = {f.behaviour: f.value for f in chosen}
        assert rows["Behavioral scheming"] <= min(
            rows["Took instrumental action under oversight"],
            rows["Took terminal action under non-oversight"],
        )


def test_sandbagging_differences_equal_the_two_accuracies_subtracted(findings):
    for f in by(findings, evaluation="Sandbagging", measure="accuracy_difference"):
        well = by(findings, model=f.model, condition=f.condition,
                  behaviour="Accuracy when incentivized to do well")[0].value  # fmt: skip
        poorly = by(findings, model=f.model, condition=f.condition,
                    behaviour="Accuracy when incentivized to do poorly")[0].value  # fmt: skip
        assert f.value == pytest.approx(well - poorly, abs=0.005), (f.model, f.condition)


def test_removing_the_goal_nudge_never_raises_a_covert_subversion_rate(findings):
    nudged = ev.behaviour_matrix(findings, "rate", "strong goal nudge")
    plain = ev.behaviour_matrix(findings, "rate", "no goal nudge")
    for model in plain.rows:
        for behaviour in plain.columns:
            assert plain.value(model, behaviour) <= nudged.value(model, behaviour)


def test_the_abstract_claims(findings):
    seen = ev.scheming_observed(findings)
    schemers = {m for m in seen.rows if seen.values[seen.rows.index(m)].any()}
    assert schemers == {"o1", "Claude 3.5 Sonnet", "Claude 3 Opus", "Gemini 1.5 Pro",
                        "Llama 3.1 405B"}  # fmt: skip
    assert seen.values[seen.rows.index("o1")].all()
    persistence = by(findings, model="o1", evaluation="Follow-up questions")[0]
    assert (persistence.relation, persistence.value) == (">", 0.85)
    assert "Abstract" in persistence.citation.locator


def test_oversight_was_disabled_and_weights_copied_by_some_models_only(findings):
    table = ev.behaviour_matrix(findings)
    disabled = {m for m in table.rows if table.value(m, "Disabled oversight") > 0}
    copied = {m for m in table.rows if table.value(m, "Copied itself onto other server") > 0}
    assert disabled == {"Llama 3.1 405B", "Claude 3 Opus", "o1"}
    assert copied == set(table.rows) - {"GPT-4o"}
    assert np.nanmax(table.values) == pytest.approx(0.22)


def test_anti_scheming_training_cut_rates_about_thirty_fold_but_not_to_zero(results):
    pairs = ev.stage_values(results)
    assert set(pairs) == {"o3", "o4-mini"}
    for before, after in pairs.values():
        assert 0 < after.value < before.value
        assert 25 < ev.reduction_factor(before.value, after.value) < 35  # "~30x" in the posts
    # The arXiv abstract gives the o3 numbers only; o4-mini's come from the authors' posts.
    assert set(ev.stage_values(results, primary_only=True)) == {"o3"}
    assert all(r.citation.locator == "Abstract" for r in pairs["o3"])
    for r in pairs["o4-mini"]:
        assert not r.citation.is_primary
        assert r.citation.source_url.startswith("https://www.apolloresearch.ai/")
        assert "8.7%→0.3%" in r.citation.locator and "only the o3 figures" in r.citation.locator


def test_second_hand_numbers_are_kept_out_when_asked(results):
    everything = ev.stage_values(results, "verbalized_eval_awareness")
    assert everything["o4-mini"][1].value > everything["o4-mini"][0].value
    with pytest.raises(ValueError, match="no model has"):
        ev.stage_values(results, "verbalized_eval_awareness", primary_only=True)
    with pytest.raises(ValueError, match="stages must be among"):
        ev.stage_values(results, stages=("after lunch",))


# --- the loader rejects what it must ------------------------------------------------------


@pytest.fixture
def good_row():
    return dict(raw_rows(ev.FINDINGS_FILE)[0])


@pytest.mark.parametrize("key", ["author", "year", "title", "locator", "url", "source_kind"])
def test_loader_rejects_a_row_without_its_source(tmp_path, good_row, key):
    path = write_csv(tmp_path / "bad.csv", [good_row, {**good_row, key: "  ", "model": "o1"}])
    with pytest.raises(ev.EvidenceError, match=rf"bad.csv line 3 \(model='o1'.*{key} is empty"):
        ev.load_scheming_findings(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"url": "https://example.com/paper"}, "url must start with 'https://arxiv.org/abs/'"),
        ({"source_kind": "second-hand"}, "must name the page it was read from"),
        ({"source_kind": "rumour"}, "source_kind must be one of"),
        ({"year": "24"}, "year must be a four-digit year"),
        ({"value": "1.5", "unit": "fraction of rollouts"}, r"outside \[0.0, 1.0\]"),
        ({"value": "0.5"}, "an indicator must be 0 or 1"),
        ({"value": "a lot"}, "value must be a number"),
        ({"unit": "percent"}, "unit must be one of"),
        ({"model": "GPT-5"}, "model must be one of"),
        ({"measure": "vibes"}, "measure must be one of"),
        ({"condition": "sometimes"}, "condition must be one of"),
        ({"relation": "~"}, "relation must be one of"),
        ({"n": "-3"}, "n must be empty or a positive integer"),
        ({}, "duplicates line 2"),
    ],
)
def test_loader_rejects_bad_rows_naming_the_field(tmp_path, good_row, change, message):
    path = write_csv(tmp_path / "bad.csv", [good_row, {**good_row, **change}])
    with pytest.raises(ev.EvidenceError, match=message):
        ev.load_scheming_findings(path)


def test_loader_rejects_a_file_missing_a_citation_column(tmp_path, good_row):
    row = {k: v for k, v in good_row.items() if k != "locator"}
    with pytest.raises(ev.EvidenceError, match=r"lacks column\(s\) \['locator'\]"):
        ev.load_scheming_findings(write_csv(tmp_path / "bad.csv", [row]))
    with pytest.raises(ev.EvidenceError, match="lacks column"):
        ev.load_anti_scheming_results(write_csv(tmp_path / "bad2.csv", [good_row]))


def test_loader_rejects_missing_files_and_empty_tables(tmp_path):
    with pytest.raises(FileNotFoundError, match="path must be an existing CSV file"):
        ev.load_scheming_findings(tmp_path / "none.csv")
    with pytest.raises(ev.EvidenceError, match="has no data rows"):
        ev.parse_findings([], source="empty")


def test_training_result_loader_rejects_an_unknown_stage(tmp_path):
    row = dict(raw_rows(ev.RESULTS_FILE)[0])
    path = write_csv(tmp_path / "bad.csv", [{**row, "stage": "sometime"}])
    with pytest.raises(ev.EvidenceError, match="stage must be one of"):
        ev.load_anti_scheming_results(path)


# --- pivots -----------------------------------------------------------------------------


def test_behaviour_matrix_is_a_model_by_behaviour_table(findings):
    table = ev.behaviour_matrix(findings)
    assert table.rows == ev.MODELS[1:]  # GPT-4o is not in Table 2
    assert table.columns[0] == "Disabled oversight" and len(table.columns) == 11
    assert table.value("Claude 3 Opus", "Attempted to copy to other server") == 0.15
    assert "Copied itself onto other server" in table.text()
    assert {c.locator for c in table.citations()} == {"Table 2 (Section 3)"}


def test_behaviour_matrix_rejects_bad_requests(findings):
    with pytest.raises(ValueError, match="by must be"):
        ev.behaviour_matrix(findings, by="model")
    with pytest.raises(ValueError, match="no finding has measure='rate' and condition='x'"):
        ev.behaviour_matrix(findings, condition="x")
    with pytest.raises(ValueError, match="two findings"):
        ev.behaviour_matrix(findings, by="evaluation")
    table = ev.scheming_observed(findings)
    with pytest.raises(ValueError, match="row must be one of"):
        table.value("GPT-5", "Sandbagging")
    with pytest.raises(ValueError, match="column must be one of"):
        table.value("o1", "Chess")


def test_reduction_factor_needs_positive_rates():
    assert ev.reduction_factor(0.13, 0.004) == pytest.approx(32.5)
    with pytest.raises(ValueError, match="must both be > 0"):
        ev.reduction_factor(0.1, 0.0)


def test_describe_names_the_source(findings):
    line = by(findings, model="o1", behaviour="Covertly produced false ranking",
              condition="strong goal nudge")[0].describe()  # fmt: skip
    assert "0.22" in line and "n=300" in line and "arXiv:2412.04984, Table 2" in line


def test_importing_evidence_does_not_load_matplotlib():
    code = "import sys, mesatoys.evidence; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
