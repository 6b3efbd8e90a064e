"""The static site (deploy/build_site.py, `make site`): every notebook executed and exported.

The site is built once per test session into a temporary folder (about a minute), then each
test reads it. Expected values come from the notebooks themselves (their outputs as the
kernel produced them, their headings, the start page's learning-path table), not from the
builder's own bookkeeping.
"""

from __future__ import annotations

import html
import importlib.util
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
_IMG_PNG = re.compile(r'<img[^>]*\ssrc="data:image/png;base64,')


class _Images(HTMLParser):
    """The ``alt`` of every embedded PNG image of a page (None where it has none)."""

    def __init__(self, page: str):
        super().__init__()
        self.alts: list[str | None] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "img" and (found.get("src") or "").startswith("data:image/png;base64,"):
            self.alts.append(found.get("alt"))


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_site", ROOT / "deploy" / "build_site.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_site"] = module  # dataclasses and worker processes look it up by name
    spec.loader.exec_module(module)
    return module


build_site = _load_builder()


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    build_site.build_site(NOTEBOOKS_DIR, out, jobs=2)
    return out


def _widget_outputs(nb):
    return [
        out["data"]
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if WIDGET_MIME in out.get("data", {})
    ]


def _expected_path() -> list[str]:
    """00 first, then the notebooks in the order the start page's learning-path table links."""
    start = nbformat.read(NOTEBOOKS[0], as_version=4)
    table = next(c.source for c in start.cells if c.source.startswith("## The learning path"))
    linked = re.findall(r"\]\((\d\d_\w+)\.ipynb\)", table)
    return [NOTEBOOKS[0].stem, *dict.fromkeys(linked)]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_notebook_has_a_page_with_all_its_figures(site, path):
    page = (site / f"{path.stem}.html").read_text(encoding="utf-8")
    executed = nbformat.read(site / "notebooks" / path.name, as_version=4)
    assert len(executed.cells) == len(nbformat.read(path, as_version=4).cells)
    figures = sum(
        "image/png" in out.get("data", {})
        for cell in executed.cells
        for out in cell.get("outputs", [])
    )
    assert len(_IMG_PNG.findall(page)) == figures
    assert not [o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    alts = _Images(page).alts
    assert len(alts) == figures and None not in alts, "every figure keeps its text alternative"
    assert all(len(a.split()) >= 6 and not a.lower().startswith("figure") for a in alts), alts


@pytest.mark.slow
def test_notebooks_with_plots_have_figures(site):
    counts = {
        p.stem: len(_IMG_PNG.findall((site / f"{p.stem}.html").read_text(encoding="utf-8")))
        for p in NOTEBOOKS
    }
    plotting = [p.stem for p in NOTEBOOKS if "%matplotlib inline" in p.read_text(encoding="utf-8")]
    assert len(plotting) >= 6
    assert all(counts[stem] >= 3 for stem in plotting), counts


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_widgets_show_their_text_fallback(site, path):
    page = (site / f"{path.stem}.html").read_text(encoding="utf-8")
    assert WIDGET_MIME not in page
    assert "widget-state+json" not in page
    for data in _widget_outputs(nbformat.read(site / "notebooks" / path.name, as_version=4)):
        text = data["text/plain"]
        raw_repr = re.fullmatch(r"([A-Z]\w*)\(.*[)…]", text)
        if raw_repr:  # ipywidgets' repr of the object: a short note replaces it
            assert html.escape(text, quote=False) not in page
            assert f"An interactive widget ({raw_repr.group(1)})" in page
        else:
            for line in filter(None, (ln.strip() for ln in text.splitlines())):
                assert html.escape(line, quote=False) in page, (path.name, line)


@pytest.mark.slow
def test_course_widgets_have_readable_fallbacks(site):
    pages = "".join(p.read_text(encoding="utf-8") for p in site.glob("*.html"))
    for summary in ("Your progress", "Deception explorer:", "AI-control explorer."):
        assert summary in pages
    quiz = (site / "07_end_of_lesson_quiz.html").read_text(encoding="utf-8")
    assert "Question 1 of 15" in quiz


@pytest.mark.slow
def test_index_follows_the_learning_path(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="(\d\d_\w+)\.html">([^<]*)</a>', index)
    expected = _expected_path()
    assert [stem for stem, _ in links] == expected
    assert sorted(expected) == [p.stem for p in NOTEBOOKS]
    for stem, title in links:
        nb = nbformat.read(NOTEBOOKS_DIR / f"{stem}.ipynb", as_version=4)
        heading = nb.cells[0].source.splitlines()[0].removeprefix("# ")
        assert html.unescape(title) == heading
        minutes = re.search(r"\*\*Time:\*\* about (\d+) minutes", nb.cells[0].source).group(1)
        assert f"(about {minutes} minutes" in index
        assert (site / "notebooks" / f"{stem}.ipynb").is_file()


@pytest.mark.slow
def test_pages_link_to_pages_not_notebooks(site):
    start = (site / f"{NOTEBOOKS[0].stem}.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'href="(\d\d_\w+\.\w+)"', start)
    assert {h.removesuffix(".html") for h in hrefs} >= set(_expected_path()[1:])
    assert not [h for h in hrefs if h.endswith(".ipynb")]


def test_learning_path_rejects_an_empty_list():
    with pytest.raises(ValueError, match="notebooks"):
        build_site.learning_path([])


@pytest.mark.parametrize("jobs", [0, 1.5, True])
def test_build_site_rejects_bad_jobs(tmp_path, jobs):
    with pytest.raises((ValueError, TypeError), match="jobs"):
        build_site.build_site(NOTEBOOKS_DIR, tmp_path, jobs=jobs)


def test_build_site_rejects_a_folder_without_notebooks(tmp_path):
    with pytest.raises(ValueError, match="notebooks_dir"):
        build_site.build_site(tmp_path, tmp_path / "out")
