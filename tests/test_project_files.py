"""Checks on the project's own files: dependency lists in sync, notebooks committed clean."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIRS = ("notebooks", "assignments/source")
# Packages that are part of the environment itself, not runtime dependencies of mesatoys.
NOT_RUNTIME_DEPS = {"python", "pip"}

_NAME_AND_SPEC = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*?)\s*$")


# --- dependency lists ---------------------------------------------------------------------------


def _normalise_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _split_requirement(requirement: str) -> tuple[str, frozenset[str]]:
    """Split ``"jupyterlab >=4.5, <5"`` into ``("jupyterlab", {">=4.5", "<5"})``."""
    requirement = requirement.split(";", 1)[0].split("#", 1)[0]
    match = _NAME_AND_SPEC.match(requirement)
    if match is None:
        raise ValueError(f"cannot parse requirement {requirement!r}")
    name, spec = match.groups()
    clauses = frozenset(c.replace(" ", "") for c in spec.split(",") if c.strip())
    return _normalise_name(name), clauses


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def conda_dependencies(text: str) -> list[str]:
    """Return the conda package strings of an environment.yml's ``dependencies:`` list.

    Only the top-level items are returned; the nested ``- pip:`` list is skipped.
    This is a tiny parser for the simple block-style file this project keeps,
    not a YAML parser.
    """
    items: list[str] = []
    in_deps = False
    item_indent: int | None = None
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            in_deps = line.startswith("dependencies:")
            item_indent = None
            continue
        if not in_deps:
            continue
        stripped = line.strip()
        if not stripped.startswith("- "):
            continue
        if item_indent is None:
            item_indent = indent
        if indent != item_indent:
            continue  # an item of a nested list, e.g. under "- pip:"
        value = _unquote(stripped[2:])
        if value.endswith(":"):
            continue  # a nested mapping such as "pip:"
        items.append(value)
    return items


def _load_toml(path: Path) -> dict:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - depends on the interpreter
        tomllib = pytest.importorskip("tomli", reason="reading TOML on Python 3.10 needs tomli")
    with path.open("rb") as f:
        return tomllib.load(f)


def _runtime_specs(requirements: list[str]) -> dict[str, frozenset[str]]:
    specs = dict(_split_requirement(r) for r in requirements)
    return {name: clauses for name, clauses in specs.items() if name not in NOT_RUNTIME_DEPS}


def test_conda_parser_reads_top_level_items_only():
    text = (
        "name: demo\n"
        "channels:\n  - conda-forge\n"
        "dependencies:\n"
        "  - python=3.11\n"
        "  - jupyterlab>=4.5,<5  # comment\n"
        '  - "tqdm>=4.60"\n'
        "  - pip\n"
        "  - pip:\n"
        "      - -e .\n"
    )
    deps = conda_dependencies(text)
    assert deps == ["python=3.11", "jupyterlab>=4.5,<5", "tqdm>=4.60", "pip"]
    assert _runtime_specs(deps) == {
        "jupyterlab": frozenset({">=4.5", "<5"}),
        "tqdm": frozenset({">=4.60"}),
    }


def test_specifier_order_and_name_spelling_do_not_matter():
    assert _split_requirement("Jupyter_Lab >=4.5, <5") == _split_requirement("jupyter-lab<5,>=4.5")
    assert _split_requirement("nbgrader>=0.9,<0.10") != _split_requirement("nbgrader>=0.9,<1")


def test_environment_yml_matches_pyproject_dependencies():
    pyproject = _load_toml(ROOT / "pyproject.toml")
    from_pyproject = _runtime_specs(pyproject["project"]["dependencies"])
    environment = (ROOT / "environment.yml").read_text(encoding="utf-8")
    from_conda = _runtime_specs(conda_dependencies(environment))

    assert from_pyproject, "pyproject.toml lists no runtime dependencies"
    problems = []
    for name in sorted(from_pyproject.keys() | from_conda.keys()):
        if name not in from_conda:
            problems.append(f"{name}: in pyproject.toml only")
        elif name not in from_pyproject:
            problems.append(f"{name}: in environment.yml only")
        elif from_pyproject[name] != from_conda[name]:
            problems.append(
                f"{name}: pyproject.toml has {sorted(from_pyproject[name])}, "
                f"environment.yml has {sorted(from_conda[name])}"
            )
    assert not problems, "dependency lists differ:\n" + "\n".join(problems)


# --- notebooks are committed without outputs ----------------------------------------------------


def committed_notebooks(root: Path) -> list[Path]:
    """Notebooks tracked by git under the notebook folders (all on disk if git is unavailable)."""
    git = shutil.which("git")
    if git is not None:
        result = subprocess.run(
            [git, "ls-files", "-z", "--", *(f"{d}/*.ipynb" for d in NOTEBOOK_DIRS)],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode == 0:
            tracked = (root / p for p in result.stdout.split("\0") if p)
            return sorted(p for p in tracked if p.exists())
    found = (p for d in NOTEBOOK_DIRS for p in (root / d).rglob("*.ipynb"))
    return sorted(p for p in found if ".ipynb_checkpoints" not in p.parts)


def dirty_cells(path: Path) -> list[str]:
    """Describe every code cell of a notebook that has outputs or an execution count."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    problems = []
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        found = []
        if cell.get("outputs"):
            found.append(f"{len(cell['outputs'])} output(s)")
        if cell.get("execution_count") is not None:
            found.append(f"execution_count={cell['execution_count']}")
        if found:
            problems.append(f"cell {index}: " + ", ".join(found))
    return problems


def _code_cell(count: int | None, outputs: list[dict]) -> dict:
    return {
        "cell_type": "code",
        "metadata": {},
        "source": "1 + 1",
        "execution_count": count,
        "outputs": outputs,
    }


def test_dirty_notebook_is_detected(tmp_path):
    result = {"output_type": "execute_result", "data": {"text/plain": "2"}, "metadata": {}}
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# Title"},
        _code_cell(None, []),
        _code_cell(3, [{**result, "execution_count": 3}]),
        _code_cell(None, [{"output_type": "stream", "name": "stdout", "text": "hi"}]),
    ]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "dirty.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    assert dirty_cells(path) == [
        "cell 2: 1 output(s), execution_count=3",
        "cell 3: 1 output(s)",
    ]


def test_committed_notebooks_have_no_outputs():
    notebooks = committed_notebooks(ROOT)
    if not notebooks:
        pytest.skip(f"no committed notebooks under {', '.join(NOTEBOOK_DIRS)} yet")
    problems = [
        f"{path.relative_to(ROOT)} {problem}" for path in notebooks for problem in dirty_cells(path)
    ]
    assert not problems, (
        "notebooks must be committed with outputs cleared "
        "(Edit > Clear Outputs of All Cells, or `jupyter nbconvert --clear-output --inplace`):\n"
        + "\n".join(problems)
    )
