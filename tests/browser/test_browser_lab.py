"""The course in a real browser: every notebook runs in JupyterLab, and a learner can use it.

Each notebook is opened in JupyterLab (headless Chromium), run with Run All, and checked:
no error output, every figure drawn as an image, every widget drawn. Then a learner's
interactions: moving the alpha slider of notebook 03's explorer redraws its figure,
a practice question gives feedback and explanations, the tutor answers an on-topic
question with a link to the notebook and declines an off-topic one, and an answered
question appears in the progress table of the start page after a reload.

Screenshots go to ``test-artifacts/browser/``. Needs Chromium and Playwright
(``apt-get install chromium`` and ``pip install playwright``); without them the module
is skipped with a message saying so.
"""

from __future__ import annotations

import ast
import json
import re
import urllib.error
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest
from lab_session import NOTEBOOKS_DIR
from loopback import browser_requirements, skip_module_unless

from mesatoys.course.bank import load_bank
from mesatoys.course.progress import TITLES

skip_module_unless("the browser tests", browser_requirements())

pytestmark = [pytest.mark.slow, pytest.mark.browser]

NOTEBOOKS = sorted(p.stem for p in NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
START = "00_start_here"
RUN_TIMEOUT_MS = 300_000  # all notebooks run at once, sharing the machine's cores
RENDER_TIMEOUT_MS = 30_000
ACTION_TIMEOUT_MS = 20_000
STDERR_MIME = "application/vnd.jupyter.stderr"


# --- what each notebook should show, read from its code ---------------------------------------


@dataclass(frozen=True)
class Expected:
    """Which code cells must show a figure, and which a widget (by cell index)."""

    figures: frozenset[int]
    widgets: frozenset[int]
    sources: tuple[str, ...]  # of every cell ("" for a markdown cell)

    def first_cell(self, text: str) -> int:
        """Index of the first code cell whose source contains ``text``."""
        return next(i for i, s in enumerate(self.sources) if text in s)


def _callee(node: ast.AST) -> str:
    func = node.func if isinstance(node, ast.Call) else None
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _shows(source: str) -> str | None:
    """ "figure", "widget" or None: what the cell's code displays, by the course's conventions.

    A last expression calling ``*_figure(...)`` or ``side_by_side(...)`` returns a matplotlib
    figure. ``display(x.widget)``, a bare name or item (``explorer``, ``questions[0]``) and a
    class call (``TutorBox()``) show a widget.
    """
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("%"))
    tree = ast.parse(code)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    if any(_callee(c) == "display" and "widget" in ast.unparse(c) for c in calls):
        return "widget"
    last = tree.body[-1].value if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if isinstance(last, ast.Call):
        name = _callee(last)
        if name.endswith("_figure") or name == "side_by_side":
            return "figure"
        return "widget" if name[:1].isupper() else None
    return "widget" if isinstance(last, (ast.Name, ast.Subscript)) else None


def expected(name: str, folder: Path = NOTEBOOKS_DIR) -> Expected:
    """What notebook ``name`` (in ``folder``) should display once run."""
    nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
    shows = {i: _shows(c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code"}
    return Expected(
        figures=frozenset(i for i, s in shows.items() if s == "figure"),
        widgets=frozenset(i for i, s in shows.items() if s == "widget"),
        sources=tuple(c.source if c.cell_type == "code" else "" for c in nb.cells),
    )


# --- driving JupyterLab -------------------------------------------------------------------------

# Helpers in the page (kept across reloads): find a notebook's panel by path, open it, run it.
_HELPERS = """
window.__mt = {
  runs: {},
  panel(path) {
    const app = window.jupyterapp;
    return app && Array.from(app.shell.widgets('main')).find(
      w => w.context && w.context.path === path && w.sessionContext);
  },
  idle(path) {
    const w = this.panel(path);
    const session = w && w.sessionContext.session;
    return Boolean(w && w.context.isReady && session && session.kernel
                   && session.kernel.status === 'idle');
  },
  async open(path) {
    const app = window.jupyterapp;
    await app.restored;
    const w = this.panel(path) || await app.commands.execute('docmanager:open', {path});
    await w.context.ready;
    return w.id;
  },
  async activate(path) {
    const app = window.jupyterapp;
    const w = this.panel(path);
    app.shell.activateById(w.id);
    for (let i = 0; i < 200 && app.shell.currentWidget !== w; i++) {
      await new Promise(resolve => setTimeout(resolve, 50));
    }
    return app.shell.currentWidget === w;
  },
  async startRunAll(path) {
    const app = window.jupyterapp;
    if (!await this.activate(path)) throw new Error(`could not activate ${path}`);
    await app.commands.execute('notebook:clear-all-cell-outputs');
    const run = this.runs[path] = {done: false, ok: null, error: null, t0: performance.now()};
    app.commands.execute('notebook:run-all-cells').then(
      ok => Object.assign(run, {done: true, ok, s: (performance.now() - run.t0) / 1000}),
      err => Object.assign(run, {done: true, ok: false, error: String(err)}));
  },
};
"""

# Every cell's outputs, as the learner sees them.
_CELLS = """([root, stderrMime]) =>
  Array.from(document.querySelectorAll(`${root} .jp-Notebook .jp-Cell`)).map(cell => ({
    images: Array.from(cell.querySelectorAll(
        '.jp-OutputArea-output[data-mime-type="image/png"] img, '
        + '.jp-OutputArea-output[data-mime-type="text/html"] figure > img'))
      .map(img => [img.complete, img.naturalWidth, img.naturalHeight]),
    widgets: Array.from(cell.querySelectorAll('.jp-OutputArea-output'))
      .filter(out => out.querySelector('.jupyter-widgets'))
      .map(out => out.querySelectorAll('[class*="widget-"]').length),
    stderr: Array.from(cell.querySelectorAll(
        `.jp-OutputArea-output[data-mime-type="${stderrMime}"]`)).map(e => e.innerText),
    text: Array.from(cell.querySelectorAll('.jp-OutputArea')).map(e => e.innerText).join(''),
    progress_bar: Boolean(cell.querySelector(
        '.jp-OutputArea-output .widget-hprogress, .jp-OutputArea-output .widget-vprogress')),
  }))"""

_RENDERED = """([root, figures, widgets]) => {
  const cells = document.querySelectorAll(`${root} .jp-Notebook .jp-Cell`);
  const loaded = img => img.complete && img.naturalWidth > 0;
  return figures.every(i => {
      const imgs = cells[i].querySelectorAll('.jp-OutputArea-output img');
      return imgs.length > 0 && Array.from(imgs).every(loaded);
    }) && widgets.every(i => cells[i].querySelector('.jupyter-widgets'));
}"""


def _error_like(text: str) -> bool:
    return bool(re.search(r"Traceback|^\w*(Error|Exception)\b", text, re.MULTILINE))


class Lab:
    """JupyterLab in one browser page; each notebook is a tab of it."""

    def __init__(self, context, server):
        self.server = server
        self.page = context.new_page()
        self.page.set_default_timeout(ACTION_TIMEOUT_MS)
        self.page.on("dialog", lambda dialog: dialog.accept())  # "leave with unsaved changes?"
        self.page.add_init_script(_HELPERS)
        self.page.goto(
            f"{server.url}/lab/workspaces/mesatoys-browser-tests?reset&token={server.token}",
            timeout=RUN_TIMEOUT_MS,
        )
        self.page.wait_for_function("() => window.jupyterapp", timeout=RUN_TIMEOUT_MS)

    def reload(self) -> None:
        """Reload the browser page (JupyterLab starts again; the kernels keep running)."""
        self.page.reload(timeout=RUN_TIMEOUT_MS)
        self.page.wait_for_function("() => window.jupyterapp", timeout=RUN_TIMEOUT_MS)


class NotebookTab:
    """One notebook open in a tab of :class:`Lab`."""

    def __init__(self, lab: Lab, name: str):
        self.lab = lab
        self.page = lab.page
        self.name = name
        self.path = f"notebooks/{name}.ipynb"
        # The copy JupyterLab serves (the working tree may change while the tests run).
        self.expected = expected(name, lab.server.root / "notebooks")
        self.root = ""
        self.open()

    def open(self) -> None:
        """Open the notebook (if it is not open yet) and remember its panel."""
        panel_id = self.page.evaluate("p => window.__mt.open(p)", self.path)
        self.root = f'[id="{panel_id}"]'

    def activate(self) -> None:
        """Bring the notebook's tab to the front."""
        assert self.page.evaluate("p => window.__mt.activate(p)", self.path)

    def start_run_all(self) -> None:
        """Wait for the kernel, clear the outputs and start Run All (returns at once)."""
        self.page.wait_for_function(
            "p => window.__mt.idle(p)", arg=self.path, timeout=RUN_TIMEOUT_MS
        )
        self.page.evaluate("p => window.__mt.startRunAll(p)", self.path)

    def wait_run_all(self) -> dict:
        """Wait until Run All has finished and the kernel is idle again."""
        self.page.wait_for_function(
            "p => window.__mt.runs[p] && window.__mt.runs[p].done && window.__mt.idle(p)",
            arg=self.path,
            timeout=RUN_TIMEOUT_MS,
        )
        return self.page.evaluate("p => window.__mt.runs[p]", self.path)

    def run_all(self) -> dict:
        """Run every cell and wait for the end."""
        self.start_run_all()
        return self.wait_run_all()

    def wait_rendered(self) -> None:
        """Wait until every expected figure is loaded and every expected widget drawn."""
        arg = [self.root, sorted(self.expected.figures), sorted(self.expected.widgets)]
        self.page.wait_for_function(_RENDERED, arg=arg, timeout=RENDER_TIMEOUT_MS)

    def cells(self) -> list[dict]:
        """What each cell's output area shows (images, widgets, stderr, text)."""
        return self.page.evaluate(_CELLS, [self.root, STDERR_MIME])

    def cell(self, index: int):
        """The locator of cell ``index``."""
        return self.page.locator(f"{self.root} .jp-Notebook .jp-Cell").nth(index)

    def screenshot(self, folder: Path, label: str, cell: int | None = None) -> Path:
        """Save the view (scrolled to ``cell`` if given) as ``<notebook>-<label>.png``."""
        path = folder / f"{self.name}-{label}.png"
        self.activate()
        if cell is not None:
            self.cell(cell).scroll_into_view_if_needed()
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture(scope="module")
def lab(browser_context, lab_server):
    """JupyterLab in one page of the session's browser."""
    context, _blocked = browser_context
    lab = Lab(context, lab_server)
    yield lab
    lab.page.close()


@pytest.fixture(scope="module")
def notebooks(lab):
    """Every notebook open in a tab, all started with Run All at once (they run in parallel)."""
    tabs = {name: NotebookTab(lab, name) for name in NOTEBOOKS}
    for tab in tabs.values():
        tab.start_run_all()
    return tabs


@pytest.fixture
def finished(notebooks):
    """The notebook ``name``, in front, after its Run All has finished and its outputs drawn."""

    def get(name: str) -> NotebookTab:
        tab = notebooks[name]
        if not tab.page.evaluate("p => Boolean(window.__mt.runs[p])", tab.path):
            tab.open()  # the page was reloaded: open and run the notebook again
            tab.start_run_all()
        run = tab.wait_run_all()
        assert run["ok"], f"{name}: Run All stopped early: {run}"
        tab.wait_rendered()
        tab.activate()
        return tab

    return get


# --- every notebook ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_and_renders_in_jupyterlab(name, finished, artifacts, browser_context):
    nb_page = finished(name)
    exp = nb_page.expected
    cells = nb_page.cells()
    assert len(cells) == len(exp.sources), "every cell is in the page (windowing off)"
    nb_page.screenshot(artifacts, "top", cell=0)
    nb_page.screenshot(artifacts, "end", cell=len(cells) - 1)

    errors = [
        f"cell {i}: {text[:500]}"
        for i, c in enumerate(cells)
        for text in c["stderr"]
        if _error_like(text)
    ]
    assert not errors, f"{name} shows errors:\n" + "\n".join(errors)
    broken = [i for i, c in enumerate(cells) if "Error displaying widget" in c["text"]]
    assert not broken, f"{name}: 'Error displaying widget' in cells {broken}"

    with_images = {i for i, c in enumerate(cells) if c["images"]}
    assert with_images == set(exp.figures), f"{name}: cells with a figure"
    sizes = [size for c in cells for size in c["images"]]
    assert len(sizes) >= len(exp.figures)
    assert all(done and w > 0 and h > 0 for done, w, h in sizes), f"{name}: empty image {sizes}"

    with_widgets = {i for i, c in enumerate(cells) if c["widgets"]}
    missing = set(exp.widgets) - with_widgets
    assert not missing, f"{name}: no widget drawn in cells {sorted(missing)}"
    others = {i for i in with_widgets - exp.widgets if not cells[i]["progress_bar"]}
    assert not others, f"{name}: unexpected widgets (not progress bars) in cells {sorted(others)}"
    assert all(n > 0 for c in cells for n in c["widgets"]), f"{name}: a widget output is empty"

    _context, blocked = browser_context
    assert not blocked, f"the browser tried to reach other hosts: {blocked}"


def test_every_notebook_has_something_to_show():
    """The cell classification found figures and widgets where the course has them."""
    shown = {name: expected(name) for name in NOTEBOOKS}
    assert all(e.widgets for e in shown.values()), "every notebook shows a widget"
    assert all(shown[n].figures for n in NOTEBOOKS if n[:2] in {"01", "02", "03", "04", "05", "06"})


# --- a learner's interactions ---------------------------------------------------------------------


def test_alpha_slider_redraws_the_explorer_figure(finished, artifacts):
    nb_page = finished("03_inner_alignment")
    index = nb_page.expected.first_cell("GoalMisgeneralizationExplorer(")
    cell = nb_page.cell(index)
    cell.scroll_into_view_if_needed()
    slider = cell.locator(".widget-hslider, .jupyter-widget-hslider").filter(has_text="α")
    readout = slider.locator(".widget-readout")
    images = cell.locator(".jupyter-widgets img")
    assert images.count() >= 1, "the explorer shows its figure as an image"
    before = images.evaluate_all("imgs => imgs.map(i => i.src)")
    alpha_before = readout.inner_text()
    cell.screenshot(path=str(artifacts / "03_inner_alignment-explorer-before.png"))

    slider.locator(".noUi-handle").first.focus()
    nb_page.page.keyboard.press("ArrowRight")

    nb_page.page.wait_for_function(
        """([root, index, before]) => {
          const cell = document.querySelectorAll(`${root} .jp-Notebook .jp-Cell`)[index];
          const imgs = Array.from(cell.querySelectorAll('.jupyter-widgets img'));
          return imgs.length === before.length
            && imgs.some((img, k) => img.src !== before[k])
            && imgs.every(img => img.complete && img.naturalWidth > 0);
        }""",
        arg=[nb_page.root, index, before],
        timeout=RENDER_TIMEOUT_MS,
    )
    assert readout.inner_text() != alpha_before, "the slider moved to the next alpha"
    cell.screenshot(path=str(artifacts / "03_inner_alignment-explorer-after.png"))


_FIT = """(root) => {
  const nb = document.querySelector(`${root} .jp-Notebook`);
  const tracks = Array.from(nb.querySelectorAll('.noUi-target')).map(t => {
    const r = t.getBoundingClientRect();
    const label = t.closest('.widget-hslider, .jupyter-widget-hslider');
    return [label ? label.innerText.split('\\n')[0] : '?', Math.round(r.width)];
  });
  const radios = Array.from(nb.querySelectorAll('.widget-radio-box label')).map(l => {
    const circle = l.querySelector('input').getBoundingClientRect();
    const text = Array.from(l.childNodes).find(n => n.nodeType === 3 && n.textContent.trim());
    const range = document.createRange();
    range.selectNodeContents(text || l);
    const line = range.getClientRects()[0];
    const middle = r => (r.top + r.bottom) / 2;
    return [l.innerText.slice(0, 40), Math.round(Math.abs(middle(circle) - middle(line))),
            Math.round(line.left - circle.right), l.innerHTML.slice(0, 80)];
  });
  const figures = Array.from(nb.querySelectorAll('.jp-OutputArea-output img'))
    .filter(i => i.complete && i.naturalWidth > 0)
    .map(i => [i.naturalWidth, Math.round(i.getBoundingClientRect().width)]);
  return {tracks, radios, figures};
}"""


@pytest.mark.parametrize("width", [1366, 800])
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_controls_fit_the_screen(name, finished, artifacts, width):
    """Every slider track at least 120 px wide; every radio circle beside its answer's first
    line, on a laptop screen and on a narrow one (the file browser closed)."""
    nb_page = finished(name)
    nb_page.page.set_viewport_size({"width": width, "height": 768})
    try:
        nb_page.page.wait_for_timeout(500)  # the notebook lays itself out again
        found = nb_page.page.evaluate(_FIT, nb_page.root)
        nb_page.page.screenshot(path=str(artifacts / f"{name}-{width}px.png"))
    finally:
        nb_page.page.set_viewport_size({"width": 1366, "height": 768})
    narrow = [t for t in found["tracks"] if t[1] < 120]
    assert not narrow, f"{name}: slider tracks under 120 px at {width} px: {narrow}"
    # beside the answer's first line, and to its left
    detached = [r for r in found["radios"] if r[1] > 8 or not 0 <= r[2] <= 40]
    assert not detached, f"{name}: radio circles apart from their answers at {width} px: {detached}"
    if width == 1366:  # figures drawn for the notebook column, not shrunk until unreadable
        shrunk = [(n, shown) for n, shown in found["figures"] if shown < 0.7 * n]
        assert not shrunk, f"{name}: figures shown below 0.7 of their width: {shrunk}"


def _single_choice(name: str, tab: NotebookTab):
    """(question, its cell index): the notebook's first single-choice practice question."""
    bank = load_bank(name)
    k = next(k for k, q in enumerate(bank) if len(q.correct) == 1 and q.kind != "multiple")
    return bank[k], tab.expected.first_cell(f"questions[{k}]")


def _answer(cell, option: int):
    cell.locator(".widget-radio-box label").nth(option).click()
    cell.locator("button.widget-button", has_text="Check").click()


def test_practice_question_feedback_wrong_then_right(finished, artifacts, lab_server):
    name = "01_the_two_layer_problem"
    nb_page = finished(name)
    question, index = _single_choice(name, nb_page)
    cell = nb_page.cell(index)
    cell.scroll_into_view_if_needed()
    wrong = next(i for i in range(len(question.options)) if i not in question.correct)
    right = question.correct[0]
    feedback = cell.locator("[role=status]")

    _answer(cell, wrong)
    feedback.filter(has_text="Not quite").wait_for()
    assert question.explanations[wrong] in feedback.inner_text()
    cell.screenshot(path=str(artifacts / f"{name}-practice-wrong.png"))

    _answer(cell, right)
    feedback.filter(has_text="Correct").wait_for()
    assert question.explanations[right] in feedback.inner_text()
    assert "Not quite" not in feedback.inner_text()
    cell.screenshot(path=str(artifacts / f"{name}-practice-right.png"))

    saved = json.loads((lab_server.home / "progress.json").read_text(encoding="utf-8"))
    assert saved["answers"][question.id]["right_first_time"] is False


def test_tutor_answers_on_topic_and_declines_off_topic(finished, artifacts, lab_server, lab):
    nb_page = finished(START)
    cell = nb_page.cell(nb_page.expected.first_cell("TutorBox()"))
    cell.scroll_into_view_if_needed()
    box = cell.locator("input[type=text]")
    answer = cell.locator("[role=status]").last

    box.fill("What is pseudo-alignment?")
    box.press("Enter")
    link = cell.locator("[role=status] a[href*='.ipynb']").last
    link.wait_for()
    # JupyterLab renders the answer: it shows the file's address and opens it in place on a click.
    href = urlparse(link.get_attribute("href"))
    target, anchor = Path(href.path).name, href.fragment
    assert re.fullmatch(r"\d\d_\w+\.ipynb", target), target
    assert (lab_server.root / "notebooks" / target).is_file(), f"{target} is a course notebook"
    assert "pseudo-align" in answer.inner_text().lower()
    assert "doesn't cover" not in answer.inner_text()
    assert "Read more" in link.inner_text()
    cell.screenshot(path=str(artifacts / f"{START}-tutor-on-topic.png"))

    # "Read more" opens the section in this JupyterLab, scrolled to its heading: no new page.
    pages = len(lab.page.context.pages)
    link.click()
    current = lab.page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")
    current.filter(has_text=target.removesuffix(".ipynb")).first.wait_for()
    words = [re.escape(w) for w in unquote(anchor).split("-") if w]
    section = re.compile(r"^\s*" + r"[\s-]".join(words))
    panel = lab.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    heading = panel.locator("h1, h2, h3", has_text=section).first
    heading.wait_for()
    lab.page.wait_for_function(
        "el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; }",
        arg=heading.element_handle(),
    )
    assert len(lab.page.context.pages) == pages
    lab.page.screenshot(path=str(artifacts / f"{START}-tutor-read-more.png"))

    nb_page = finished(START)
    cell.scroll_into_view_if_needed()
    box.fill("How do I bake sourdough bread?")
    box.press("Enter")
    answer.filter(has_text="doesn't cover").wait_for()
    assert answer.locator("a[href*='.ipynb']").count() == 0, "no notebook link for off-topic"
    cell.screenshot(path=str(artifacts / f"{START}-tutor-off-topic.png"))


def _progress_row(start: NotebookTab, name: str) -> str:
    table = start.cell(start.expected.first_cell("ProgressView()")).locator("table")
    return table.locator("tr", has_text=TITLES[name]).inner_text()


def test_answered_question_shows_in_progress_after_reload(finished, lab, artifacts):
    name = "02_mesa_optimization"
    total = len(load_bank(name))
    start = finished(START)
    assert f"0 / {total} right first time (0 answered)" in _progress_row(start, name)
    nb_page = finished(name)
    question, index = _single_choice(name, nb_page)
    cell = nb_page.cell(index)
    cell.scroll_into_view_if_needed()
    _answer(cell, question.correct[0])
    cell.locator("[role=status]").filter(has_text="Correct").wait_for()

    lab.reload()
    start.open()
    run = start.run_all()
    assert run["ok"], run
    start.wait_rendered()
    assert f"1 / {total} right first time (1 answered)" in _progress_row(start, name)
    start.screenshot(
        artifacts, "progress-after-reload", cell=start.expected.first_cell("ProgressView()")
    )


def test_a_learners_lab_hides_nbgrader_instructor_tools(lab, artifacts):
    # The server runs with deploy/student-config/ first on JUPYTER_CONFIG_PATH, as `make lab`.
    page = lab.page
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    labels = [label for label in page.locator(".lm-Menu-itemLabel").all_inner_texts() if label]
    page.screenshot(path=str(artifacts / "nbgrader-menu.png"))
    page.keyboard.press("Escape")
    assert labels == ["Assignment List"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        lab.server.api("/formgrader/api/status")
    assert refused.value.code == 404


# --- accessibility (WCAG 2.1 AA) ----------------------------------------------------------------

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _axe_violations(tab: NotebookTab) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations in the notebook's outputs and markdown."""
    from axe_playwright_python.sync_playwright import Axe

    context = {
        "include": [
            [f"{tab.root} .jp-OutputArea-output"],
            [f"{tab.root} .jp-MarkdownOutput"],
        ]
    }
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    return Axe().run(tab.page, context=context, options=options).response["violations"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_outputs_and_text_have_no_serious_accessibility_violations(name, finished, artifacts):
    tab = finished(name)
    violations = _axe_violations(tab)
    (artifacts / f"{name}-axe.json").write_text(json.dumps(violations, indent=1), "utf-8")
    serious = [
        f"{v['id']} ({v['impact']}, {len(v['nodes'])}x): {v['help']}: "
        f"{v['nodes'][0]['target']} {v['nodes'][0]['html'][:120]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, f"{name}:\n" + "\n".join(serious)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_output_image_says_what_it_shows(name, finished):
    tab = finished(name)
    alts = tab.page.evaluate(
        "root => Array.from(document.querySelectorAll(`${root} .jp-OutputArea-output img`))"
        ".map(i => i.getAttribute('alt'))",
        tab.root,
    )
    missing = [a for a in alts if not a or len(a.split()) < 6 or a.lower().startswith("figure")]
    assert not missing, f"{name}: {len(missing)} of {len(alts)} images lack a real alt text"


def _active(page) -> dict:
    return page.evaluate(
        """() => { const el = document.activeElement;
          return {tag: el.tagName, role: el.getAttribute('role'), type: el.type || '',
                  label: el.getAttribute('aria-label') || el.textContent.trim().slice(0, 40),
                  cell: Array.from(document.querySelectorAll('.jp-Cell')).indexOf(
                    el.closest('.jp-Cell'))}; }"""
    )


def _tab_to(page, wanted, limit: int = 25) -> list[dict]:
    """Press Tab until ``wanted(active element)``; the elements passed, in order."""
    passed = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        here = _active(page)
        passed.append(here)
        if wanted(here):
            return passed
    raise AssertionError(f"Tab never reached the control; it passed {passed}")


def test_a_keyboard_alone_operates_the_explorer(finished, artifacts):
    tab = finished("03_inner_alignment")
    index = tab.expected.first_cell("GoalMisgeneralizationExplorer(")
    cell = tab.cell(index)
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputArea-editor").click()  # the cell's code: where a learner starts
    tab.page.keyboard.press("Escape")
    passed = _tab_to(tab.page, lambda a: a["role"] == "slider" and "α" in a["label"])
    assert all(p["role"] != "slider" or p["label"] for p in passed), "every slider is named"
    slider = cell.locator(".widget-hslider, .jupyter-widget-hslider").filter(has_text="α")
    readout = slider.locator(".widget-readout")
    before = readout.inner_text()
    tab.page.keyboard.press("ArrowRight")
    tab.page.wait_for_function(
        "([el, before]) => el.innerText !== before", arg=[readout.element_handle(), before]
    )
    assert _active(tab.page)["role"] == "slider", "the arrow key moved the slider, not the cell"
    cell.screenshot(path=str(artifacts / "03_inner_alignment-keyboard-explorer.png"))


def test_a_keyboard_alone_answers_and_checks_a_question(finished, artifacts):
    name = "02_mesa_optimization"
    tab = finished(name)
    question, index = _single_choice(name, tab)
    cell = tab.cell(index)
    cell.scroll_into_view_if_needed()
    cell.locator(".jp-InputArea-editor").click()
    tab.page.keyboard.press("Escape")
    _tab_to(tab.page, lambda a: a["type"] == "radio")
    radios = cell.locator(".widget-radio-box input[type=radio]")
    names = radios.evaluate_all("rs => rs.map(r => r.name)")
    assert len(set(names)) == 1 and names[0], "the options form one group"
    first = radios.evaluate_all("rs => rs.findIndex(r => r === document.activeElement)")
    tab.page.keyboard.press("ArrowDown")
    now = radios.evaluate_all("rs => rs.findIndex(r => r.checked)")
    assert now == (first + 1) % len(question.options), "the arrow key chose the next option"
    assert _active(tab.page)["type"] == "radio", "the arrow key stayed in the question"
    _tab_to(tab.page, lambda a: a["tag"] == "BUTTON" and "Check" in a["label"])
    tab.page.keyboard.press("Enter")
    feedback = cell.locator("[role=status]")
    feedback.filter(has_text=re.compile("Correct|Not quite")).wait_for()
    cell.screenshot(path=str(artifacts / f"{name}-keyboard-question.png"))


def test_outputs_and_text_pass_in_the_dark_theme_too(finished, lab, artifacts):
    """The same axe rules in JupyterLab Dark: the course sets no colours that only suit light."""
    lab.page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme', "
        "{theme: 'JupyterLab Dark'})"
    )
    lab.page.wait_for_function(
        "() => document.body.dataset.jpThemeLight === 'false'", timeout=RENDER_TIMEOUT_MS
    )
    try:
        problems = []
        for name in NOTEBOOKS:
            tab = finished(name)
            violations = _axe_violations(tab)
            (artifacts / f"{name}-axe-dark.json").write_text(json.dumps(violations), "utf-8")
            problems += [
                f"{name}: {v['id']} ({v['impact']}, {len(v['nodes'])}x): "
                f"{v['nodes'][0]['html'][:120]}"
                for v in violations
                if v["impact"] in ("serious", "critical")
            ]
        tab.screenshot(artifacts, "dark-theme")
    finally:
        lab.page.evaluate(
            "() => window.jupyterapp.commands.execute('apputils:change-theme', "
            "{theme: 'JupyterLab Light'})"
        )
    assert not problems, "\n".join(problems)
