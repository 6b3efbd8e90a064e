"""Build a read-only HTML version of the course: every notebook executed, then exported.

Run it with ``make site`` or ``python deploy/build_site.py --out site``. Each notebook in
``notebooks/`` runs top to bottom on a fresh ``python3`` kernel (nbclient), and is exported
with nbconvert's HTML exporter, figures embedded as PNG data. Widgets cannot work without a
kernel, so their view data (``application/vnd.jupyter.widget-view+json``) is dropped before
export and each widget shows its ``text/plain`` fallback instead: the course's widget classes
put a readable summary there (``mesatoys.display.ShowsWidget``).

``index.html`` lists the pages in the order of the learning path, which is read from the
"The learning path" table of the start page (``00_*.ipynb``), with each notebook's title
(its first heading) and time (its "**Time:**" line).

The learner's progress that the notebooks save goes to a temporary ``MESATOYS_HOME``, deleted
afterwards, never to the real home folder. This script lives outside the package so that
``mesatoys`` itself does not depend on nbconvert.
"""

from __future__ import annotations

import argparse
import html
import multiprocessing
import os
import re
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[1]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
CELL_TIMEOUT_S = 120
_TIME_LINE = re.compile(r"\*\*Time:\*\*\s*([^.\n]+)")
# ipywidgets' own text/plain for a widget: "VBox(children=(IntSlider(value=40, ...)…)".
_DEFAULT_WIDGET_REPR = re.compile(r"^([A-Z]\w*)\(.*[)…]$")
_NOTEBOOK_LINK = re.compile(r"\]\(([^)\s]+?)\.ipynb(#[^)\s]*)?\)")


@dataclass(frozen=True)
class Page:
    """One notebook of the course as a page of the site.

    Attributes:
        stem: the notebook's file name without ``.ipynb``, e.g. ``"01_the_two_layer_problem"``.
        title: the notebook's first heading, without the ``#``.
        time: the notebook's stated time, e.g. ``"about 20 minutes"`` (``""`` if none).
        seconds: how long executing it took here, in seconds.
    """

    stem: str
    title: str
    time: str
    seconds: float

    @property
    def href(self) -> str:
        """The page's file name in the site."""
        return f"{self.stem}.html"


def notebook_title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """Return the text of the first level-1 heading in ``nb``'s markdown, or ``fallback``."""
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return fallback


def notebook_time(nb: nbformat.NotebookNode) -> str:
    """Return the notebook's stated time ("about 20 minutes"), or ``""`` if it states none."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = _TIME_LINE.search(cell.source)
            if match:
                return match.group(1).strip()
    return ""


def learning_path(notebooks: list[Path]) -> list[Path]:
    """Order ``notebooks`` as the start page's learning path does.

    The start page (the first notebook by name, ``00_...``) comes first, then the notebooks in
    the order its "learning path" section links to them; any notebook it does not link to
    follows, in file-name order.

    Raises:
        ValueError: if ``notebooks`` is empty.
    """
    if not notebooks:
        raise ValueError("notebooks must list at least one .ipynb file, got an empty list")
    ordered = sorted(notebooks, key=lambda p: p.name)
    start, by_name = ordered[0], {p.name: p for p in ordered}
    path = [start]
    for cell in nbformat.read(start, as_version=4).cells:
        if cell.cell_type == "markdown" and "learning path" in cell.source.lower():
            for match in _NOTEBOOK_LINK.finditer(cell.source):
                found = by_name.get(f"{match.group(1)}.ipynb")
                if found is not None and found not in path:
                    path.append(found)
    return path + [p for p in ordered if p not in path]


def execute(nb: nbformat.NotebookNode, cwd: Path, progress_home: Path) -> None:
    """Run ``nb`` in place on a fresh ``python3`` kernel started in ``cwd``."""
    # One BLAS thread, as on a student's one-CPU server (and notebooks may run side by side).
    env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", **os.environ}
    env.update(MPLBACKEND="Agg", MESATOYS_HOME=str(progress_home))
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute(env=env)


def drop_widget_views(nb: nbformat.NotebookNode) -> int:
    """Remove widget view data from every output, so the ``text/plain`` fallback shows.

    Where the fallback is only ipywidgets' own repr of the widget's Python object (which lists
    its children and reads as noise), it is replaced by a one-line note naming the widget.
    Also removes the saved widget state, which would otherwise make the page load the widget
    manager's JavaScript from the internet and then find no kernel to talk to.

    Returns:
        How many outputs had widget view data.
    """
    dropped = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_MIME in data:
                del data[WIDGET_MIME]
                data["text/plain"] = widget_note(data.get("text/plain", ""))
                dropped += 1
    nb.metadata.pop("widgets", None)
    return dropped


def widget_note(text: str) -> str:
    """Return ``text``, or a short note if it is only ipywidgets' repr of a widget object."""
    match = _DEFAULT_WIDGET_REPR.match(text)
    if match is None:
        return text
    return f"[An interactive widget ({match.group(1)}): run this notebook in JupyterLab to use it.]"


def link_pages(nb: nbformat.NotebookNode, stems: set[str]) -> None:
    """Point markdown links to course notebooks (``01_x.ipynb``) at their pages (``01_x.html``)."""

    def to_html(match: re.Match) -> str:
        target, anchor = match.group(1), match.group(2) or ""
        if target not in stems:
            return match.group(0)
        return f"]({target}.html{anchor})"

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _NOTEBOOK_LINK.sub(to_html, cell.source)


def index_html(pages: list[Page]) -> str:
    """The site's start page: the learning path, with a link, title and time per notebook."""
    rows = "\n".join(
        f'    <li><a href="{html.escape(p.href)}">{html.escape(p.title)}</a>'
        + (f" <span class='time'>({html.escape(p.time)})</span>" if p.time else "")
        + f' <a class="nb" href="notebooks/{html.escape(p.stem)}.ipynb">.ipynb</a>'
        + "</li>"
        for p in pages
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>mesatoys: a course on mesa-optimization</title>
  <style>
    body {{ font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto;
           padding: 0 1rem; line-height: 1.5; }}
    li {{ margin: 0.4rem 0; }}
    .time, .nb {{ color: #555; }}
  </style>
</head>
<body>
  <h1>mesatoys: a course on mesa-optimization</h1>
  <p>A read-only version of the course: every notebook was run once and saved with its
  outputs. Sliders and buttons do not work here; where a notebook shows an interactive
  widget, this page shows the widget's text summary. To run and change the experiments,
  open the notebooks in JupyterLab (see the project's README); the <code>.ipynb</code> links
  are the notebooks as they ran here, outputs included.</p>
  <h2>The learning path</h2>
  <ol start="0">
{rows}
  </ol>
</body>
</html>
"""


def build_page(path: Path, out: Path, stems: set[str], progress_home: Path) -> Page:
    """Execute the notebook at ``path`` and write its page; return its ``Page``.

    Writes ``out/<stem>.html`` and the executed notebook, as it came from the kernel, to
    ``out/notebooks/<stem>.ipynb``.
    """
    nb = nbformat.read(path, as_version=4)
    home = progress_home / path.stem  # one per notebook: notebooks may run at the same time
    home.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    execute(nb, cwd=path.parent, progress_home=home)
    seconds = time.perf_counter() - started
    nbformat.write(nb, out / "notebooks" / path.name)
    drop_widget_views(nb)
    link_pages(nb, stems)
    page = Page(path.stem, notebook_title(nb, path.stem), notebook_time(nb), seconds)
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(
        nb, resources={"metadata": {"name": page.title}}
    )
    (out / page.href).write_text(body, encoding="utf-8")
    return page


def build_site(notebooks_dir: Path, out: Path, jobs: int = 1) -> list[Page]:
    """Build the site for every notebook in ``notebooks_dir`` into ``out``.

    Args:
        notebooks_dir: folder holding the course's ``*.ipynb`` files.
        out: folder to write the pages and ``index.html`` into (created if missing).
        jobs: how many notebooks to execute at the same time, each in its own process and
            kernel (at least 1).

    Returns:
        The pages, in learning-path order.

    Raises:
        ValueError: if ``notebooks_dir`` holds no notebooks.
        TypeError: if ``jobs`` is not an int.
        nbclient.exceptions.CellExecutionError: if a notebook cell raises.
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int):
        raise TypeError(f"jobs must be an int, got {type(jobs).__name__} {jobs!r}")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    notebooks = sorted(Path(notebooks_dir).glob("*.ipynb"))
    if not notebooks:
        raise ValueError(f"notebooks_dir must hold *.ipynb files, got none in {notebooks_dir}")
    out = Path(out)
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    stems = {p.stem for p in notebooks}
    path_order = learning_path(notebooks)
    with tempfile.TemporaryDirectory(prefix="mesatoys-site-home-") as home:
        args = [(p, out, stems, Path(home)) for p in path_order]
        if jobs == 1:
            pages = [build_page(*a) for a in args]
        else:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
                pages = list(pool.map(build_page, *zip(*args, strict=True)))
    for page in pages:
        print(f"{page.href}: executed in {page.seconds:.1f} s", flush=True)
    (out / "index.html").write_text(index_html(pages), encoding="utf-8")
    return pages


def main(argv: list[str] | None = None) -> int:
    """Command line: ``build_site.py [--notebooks DIR] [--out DIR] [--jobs N]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=Path, default=ROOT / "notebooks")
    parser.add_argument("--out", type=Path, default=ROOT / "site")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks executed at once")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    pages = build_site(args.notebooks, args.out, jobs=args.jobs)
    elapsed = time.perf_counter() - started
    print(f"{len(pages)} pages and index.html in {args.out} ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
