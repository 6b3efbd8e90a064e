"""The package's shape: layers without cycles, and one shape for every experiment."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import mesatoys.experiments

SRC = Path(__file__).resolve().parents[1] / "src" / "mesatoys"

# Each package may import only from the packages listed before it (and from itself).
LAYERS = [
    {"checks", "display", "data"},
    {"envs", "optimize"},
    {"agents"},
    {"experiments", "evidence"},
    {"viz"},
    {"course", "grading"},
]
# course and grading may also use the layers below viz, and course may not use viz.
ALLOWED = {
    "viz": {"checks", "display", "data", "envs", "optimize", "agents", "experiments", "evidence"},
    "course": {"checks", "display", "data", "envs", "optimize", "agents", "experiments"},
    "grading": {"checks", "display", "data", "envs", "optimize", "agents", "experiments"},
}


def _package(module_path: Path) -> str:
    rel = module_path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _imported_packages(path: Path) -> set[str]:
    """The mesatoys sub-packages a module imports (at any depth in the file)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "mesatoys" and len(parts) > 1:
                found.add(parts[1])
    return found


def _allowed(package: str) -> set[str]:
    if package in ALLOWED:
        return ALLOWED[package] | {package}
    for i, layer in enumerate(LAYERS):
        if package in layer:
            return set().union(*LAYERS[: i + 1])
    raise AssertionError(f"package {package!r} is in no layer; add it to LAYERS")


@pytest.mark.parametrize(
    "path",
    sorted(p for p in SRC.rglob("*.py") if p.name != "__init__.py" or p.parent != SRC),
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_every_module_imports_only_from_its_own_layer_or_below(path):
    package = _package(path)
    wrong = _imported_packages(path) - _allowed(package)
    assert not wrong, f"{path.relative_to(SRC)} ({package}) imports {sorted(wrong)}"


def test_viz_and_course_do_not_import_each_other():
    for folder, other in (("viz", "course"), ("course", "viz")):
        for path in (SRC / folder).rglob("*.py"):
            assert other not in _imported_packages(path), path


# --- one shape for every experiment ----------------------------------------------------------

EXPERIMENTS = sorted(
    m.name for m in pkgutil.iter_modules(mesatoys.experiments.__path__) if m.name not in {"shape"}
)


def test_there_are_experiments_to_check():
    assert len(EXPERIMENTS) >= 10


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_every_experiment_has_the_one_shape(name):
    module = importlib.import_module(f"mesatoys.experiments.{name}")
    config_class, result_class = module.Config, module.Result
    assert dataclasses.is_dataclass(config_class) and config_class.__dataclass_params__.frozen
    assert dataclasses.is_dataclass(result_class) and result_class.__dataclass_params__.frozen
    run = inspect.signature(module.run)
    assert list(run.parameters) == ["config", "seed"]
    assert run.parameters["config"].default is None and run.parameters["seed"].default == 0
    sweep = inspect.signature(module.sweep)
    assert list(sweep.parameters)[:2] == ["configs", "seeds"]
    summary = inspect.signature(module.summary)
    assert list(summary.parameters) == ["results"]


@pytest.mark.parametrize("name", EXPERIMENTS)
@pytest.mark.parametrize("wrong", [{"alpha": 0.1}, "defaults", 3])
def test_run_refuses_anything_but_its_own_config(name, wrong):
    module = importlib.import_module(f"mesatoys.experiments.{name}")
    with pytest.raises(TypeError, match=f"config must be a {name}.Config"):
        module.run(wrong)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_run_refuses_another_experiments_config(name):
    module = importlib.import_module(f"mesatoys.experiments.{name}")
    other = "deception" if name != "deception" else "ai_control"
    foreign = importlib.import_module(f"mesatoys.experiments.{other}").Config()
    with pytest.raises(TypeError, match=f"config must be a {name}.Config"):
        module.run(foreign)
