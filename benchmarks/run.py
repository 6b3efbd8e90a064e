"""Speed and memory measurements of mesatoys (not timed tests): ``make bench``.

    python benchmarks/run.py                    # everything
    python benchmarks/run.py headline import    # a selection, by name
    python benchmarks/run.py --list

Every measurement runs in a fresh subprocess pinned to one core (``sched_setaffinity``
before exec, like ``taskset -c 0``; numpy's BLAS then sees one CPU), as on a 1-CPU hub.
Prints a Markdown table and writes JSON to ``benchmarks/results/``. A component that
is missing or broken gives a "not available: <reason>" row, never a number.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORKER = HERE / "_measure.py"
RESULTS = HERE / "results"
MARKER = "BENCH-RESULT "
CORE = 0  # the one core pinned measurements run on

ALPHAS = [0.0, 0.01, 0.03, 0.1, 0.3, 1.0]
HEADLINE_SEEDS = [0, 1, 2, 3, 4]


@dataclass
class Row:
    """One line of the results table."""

    name: str
    what: str
    unit: str = "s"
    samples: list[float] = field(default_factory=list)
    target: float | None = None  # met when median <= target
    note: str = ""
    unavailable: str | None = None

    @property
    def stats(self) -> dict[str, float] | None:
        if not self.samples:
            return None
        ordered = sorted(self.samples)
        p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
        return {
            "median": statistics.median(ordered),
            "min": ordered[0],
            "max": ordered[-1],
            "p90": p90,
            "n": len(ordered),
        }

    @property
    def met(self) -> bool | None:
        stats = self.stats
        if self.target is None or stats is None:
            return None
        return stats["median"] <= self.target

    def to_json(self) -> dict:
        return {**asdict(self), "stats": self.stats, "met": self.met}


def _unavailable(name: str, what: str, reason: str, **kwargs) -> Row:
    return Row(name=name, what=what, unavailable=reason, **kwargs)


# --- running workers ----------------------------------------------------------------


def _pin() -> None:
    os.sched_setaffinity(0, {CORE})


def _worker(
    task: str, timeout: float, env: dict[str, str] | None = None, pin: bool = True, **kwargs
) -> dict:
    """Run one ``_measure.py`` task in a fresh process, pinned to one core unless ``pin`` is
    False (a class is graded on every core)."""
    proc = subprocess.run(
        [sys.executable, str(WORKER), task, json.dumps(kwargs)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        preexec_fn=_pin if pin else None,
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    raise RuntimeError(f"worker {task!r} exited {proc.returncode}: {tail[:300]}")


def _guard(name: str, what: str, fn: Callable[[], list[Row]], **row_kwargs) -> list[Row]:
    """Run a measurement; any failure becomes a 'not available' row."""
    try:
        return fn()
    except Exception as exc:  # a missing component must not stop the run
        reason = f"{type(exc).__name__}: {exc}"
        return [_unavailable(name, what, reason, **row_kwargs)]


# --- the measurements ---------------------------------------------------------------


def _import_seconds(module: str) -> float:
    code = (
        "import time; t = time.perf_counter(); "
        f"import {module}; "
        "print(repr(time.perf_counter() - t))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        preexec_fn=_pin,
    )
    if out.returncode != 0:
        raise RuntimeError((out.stderr.strip().splitlines() or ["no output"])[-1][:300])
    return float(out.stdout.strip().splitlines()[-1])


def bench_import(repeat: int = 5) -> list[Row]:
    """``import X`` in a fresh interpreter; timed inside it, so start-up is excluded."""
    rows = []
    for module, target in (
        ("mesatoys", 0.3),
        ("mesatoys.experiments.goal_misgeneralization", None),
    ):
        what = f"`import {module}` (fresh process)"
        rows += _guard(
            "import",
            what,
            lambda m=module, w=what, t=target: [
                Row("import", w, samples=[_import_seconds(m) for _ in range(repeat)], target=t)
            ],
            target=target,
        )
    return rows


def bench_headline() -> list[Row]:
    """One ``gm.run(gm.Config(), seed)`` and its parts, over 5 seeds, one core."""

    def measure() -> list[Row]:
        res = _worker("headline", timeout=300, seeds=HEADLINE_SEEDS)
        s, n_test, n_train = res["samples"], res["n_test_levels"], res["n_train_levels"]
        return [
            Row(
                "headline",
                f"headline `gm.run(Config(), seed)`: train + eval on {n_test} test levels",
                samples=s["run"],
                target=1.0,
                note="1 core; median over seeds 0-4 after one warm-up run",
            ),
            Row("headline", "- level generation `gm.make_levels`", samples=s["make_levels"]),
            Row("headline", "- training `gm.train_mesa_objective`", samples=s["train"]),
            Row(
                "headline",
                f"- evaluation `gm.play_levels` on {n_test} test levels",
                samples=s["play_test"],
            ),
            Row(
                "headline",
                f"- evaluation `gm.play_levels` on {n_train} train levels",
                samples=s["play_train"],
            ),
        ]

    return _guard("headline", "headline run", measure, target=1.0)


SWEEP: dict = {}  # the last sweep's curve, for the printed report


def bench_sweep() -> list[Row]:
    """The full alpha sweep (60 runs), once, one core."""

    def measure() -> list[Row]:
        res = _worker("sweep", timeout=1800, alphas=ALPHAS, seeds=list(range(10)))
        SWEEP.clear()
        SWEEP.update(res)
        n = res["n_runs"]
        return [
            Row(
                "sweep",
                f"`gm.sweep` {len(ALPHAS)} alphas x 10 seeds ({n} runs), total",
                samples=[res["total_s"]],
                note=f"1 core, one sweep; {res['total_s'] / n:.3f} s per run",
            )
        ]

    return _guard("sweep", "alpha sweep", measure)


def bench_explorer(n_redraws: int = 30) -> list[Row]:
    """Redraws of the goal-misgeneralization explorer with its cache warm (Agg backend)."""
    what = f"explorer redraw `.set(alpha=<cached>, level=i)` x{n_redraws}"

    def measure() -> list[Row]:
        warm = [
            {"alpha": 0.0, "seed": 0, "level": 0},
            {"alpha": 0.3, "seed": 0, "level": 0},
        ]
        res = _worker(
            "explorer",
            timeout=600,
            env={"MPLBACKEND": "Agg"},
            warm=warm,
            alphas=[0.0, 0.3],
            n_redraws=n_redraws,
            n_levels=10,
        )
        if "unavailable" in res:
            return [_unavailable("explorer", what, res["unavailable"], unit="ms", target=150)]
        ms = [1000 * x for x in res["samples"]]
        row = Row("explorer", what, unit="ms", samples=ms, target=150)
        row.note = (
            f"p90 {row.stats['p90']:.1f} ms; includes the PNG render; 1 core, "
            f"MPLBACKEND={res['mplbackend']}"
        )
        rows = [row]
        rows.append(
            Row(
                "explorer",
                "- construct the explorer (trains its first view)",
                unit="ms",
                samples=[1000 * res["construct_s"]],
            )
        )
        for call in res["cold_set"]:
            args = ", ".join(f"{k}={v}" for k, v in call["kwargs"].items())
            rows.append(
                Row(
                    "explorer",
                    f"- cache-filling `.set({args})`",
                    unit="ms",
                    samples=[1000 * call["s"]],
                    note="trains if not cached yet; for information",
                )
            )
        return rows

    return _guard("explorer", what, measure, unit="ms", target=150)


def bench_notebook(repeat: int = 3) -> list[Row]:
    """Each notebook on a fresh kernel (one core): wall time and the kernel's peak RSS."""
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not notebooks:
        return [
            _unavailable(
                "notebook", "notebook, top to bottom", "no notebooks/*.ipynb yet", target=30
            ),
            _unavailable(
                "notebook",
                "notebook kernel peak RSS",
                "no notebooks/*.ipynb yet",
                unit="MB",
                target=300,
            ),
        ]
    rows, total, complete = [], 0.0, True
    for path in notebooks:
        runs = []
        try:
            for _ in range(repeat):
                res = _worker("notebook", timeout=900, path=str(path), cell_timeout=300)
                if "unavailable" in res:
                    raise RuntimeError(res["unavailable"])
                runs.append(res)
        except Exception as exc:  # a failing notebook must not stop the others
            reason = f"{type(exc).__name__}: {exc}"
            rows.append(_unavailable("notebook", f"`{path.name}` top to bottom", reason, target=30))
            complete = False
            continue
        wall = Row(
            "notebook",
            f"`{path.name}` top to bottom, fresh kernel",
            samples=[r["wall_s"] for r in runs],
            target=30,
            note=(
                f"kernel start {statistics.median(r['kernel_start_s'] for r in runs):.1f} s incl.;"
                f" {runs[0]['code_cells']} code cells, slowest: {_slowest(runs)}; inline backend"
            ),
        )
        rows.append(wall)
        rows.append(
            Row(
                "notebook",
                f"- `{path.name}` kernel peak RSS (VmHWM)",
                unit="MB",
                samples=[r["peak_rss_bytes"] / 1e6 for r in runs],
                target=300,
                note=f"pid via {_pid_method(runs[0])}",
            )
        )
        total += wall.stats["median"]
    if complete:
        rows.append(
            Row(
                "notebook",
                f"whole course ({len(notebooks)} notebook(s), sum of medians)",
                samples=[total],
                target=180,
            )
        )
    return rows


def _slowest(runs: list[dict]) -> str:
    """The code cell with the largest median time, as 'cell 7 (3.1 s)'."""
    per_cell: dict[int, list[float]] = {}
    for run in runs:
        for index, seconds in run["per_cell_s"]:
            per_cell.setdefault(index, []).append(seconds)
    if not per_cell:
        return "-"
    index = max(per_cell, key=lambda i: statistics.median(per_cell[i]))
    return f"cell {index} ({statistics.median(per_cell[index]):.1f} s)"


def _pid_method(res: dict) -> str:
    works = [k for k, v in res["kernel_pid_methods"].items() if v]
    return ", ".join(f"`{k}`" for k in works) or "?"


LAYOUT_SHIFT_SIZES = [1, 256]  # training mazes: the notebook's two runs


def bench_layout_shift() -> list[Row]:
    """``layout_shift.run`` and the reactive network's fit alone, over 5 seeds, one core."""

    def measure() -> list[Row]:
        res = _worker(
            "layout_shift", timeout=900, seeds=HEADLINE_SEEDS, n_train_levels=LAYOUT_SHIFT_SIZES
        )
        rows = []
        for n in LAYOUT_SHIFT_SIZES:
            rows.append(
                Row(
                    "layout_shift",
                    f"`layout_shift.run(Config(n_train_levels={n}), seed)`",
                    samples=res["samples"][f"run_{n}"],
                    note="1 core; seeds 0-4; planner ES + network fit + evaluation",
                )
            )
            rows.append(
                Row(
                    "layout_shift",
                    f"`ReactivePolicy().fit(...)` on {n} training maze(s), alone",
                    samples=res["samples"][f"fit_{n}"],
                    target=5.0 if n == 256 else None,
                    note="1 core; seeds 0-4; behaviour cloning",
                )
            )
        return rows

    return _guard("layout_shift", "layout_shift.run", measure)


#: Experiment modules (besides the headline) timed by ``toys``: ``run(Config(), seed)``.
TOYS = [
    "keys_and_chests",
    "specification_gaming",
    "absent_supervisor",
    "deception",
    "interpretability",
    "probing",
    "reasoning_gap",
    "ai_control",
    "model_organisms",
]


def bench_toys() -> list[Row]:
    """Each other toy's ``run(Config(), seed)`` over 5 seeds, one core."""
    rows: list[Row] = []
    for module in TOYS:

        def measure(module: str = module) -> list[Row]:
            res = _worker("toy", timeout=600, module=module, seeds=HEADLINE_SEEDS)
            return [
                Row(
                    f"toy:{module}",
                    f"`{module}.run(Config(), seed)`",
                    samples=res["samples"],
                    note="1 core; seeds 0-4; train + evaluate",
                )
            ]

        rows += _guard(f"toy:{module}", module, measure)
    return rows


def bench_network() -> list[Row]:
    """The policy-gradient network's default run (train + evaluate), steering, probes; one core."""

    def measure() -> list[Row]:
        res = _worker("network", timeout=900, seeds=HEADLINE_SEEDS, alphas=[0.0, 0.3])
        s = res["samples"]
        rows = [
            Row(
                "network",
                f"`network_misgeneralization.run(Config(alpha={a}), seed)`",
                samples=s[f"run_{a}"],
                target=15.0,
                note="1 core; seeds 0-4; 250 REINFORCE updates of 256 episodes, then 2 x 1000 "
                "evaluation episodes",
            )
            for a in ("0", "0.3")
        ]
        rows.append(Row("network", "- `nm.steer(result)` (500 test levels)", samples=s["steer"]))
        rows.append(Row("network", "- `nm.probe(result)`, cell and direction", samples=s["probe"]))
        return rows

    return _guard("network", "network_misgeneralization.run", measure, target=15.0)


#: The registered id whose levels ``vector_env`` steps, and how many at once.
VECTOR_ENV_ID, VECTOR_ENVS = "mesatoys/CheeseMaze-Test-v0", 64


def bench_vector_env() -> list[Row]:
    """Steps per second: the batched core, the VectorEnv, 64 single envs, one env; one core."""

    def measure() -> list[Row]:
        res = _worker(
            "vector_env", timeout=600, env_id=VECTOR_ENV_ID, num_envs=VECTOR_ENVS, n_steps=2000
        )
        rate, size = res["steps_per_s"], res["size"]
        where = f"{size} x {size} mazes"
        rows = [
            Row("vector_env", f"{what} ({where})", unit="steps/s", samples=[rate[key]], note=note)
            for key, what, note in (
                ("core_step", f"batched core alone, `step_positions` on {VECTOR_ENVS} levels",
                 "moves only: no observation, reward or reset"),
                ("vector_env", f"`gym.make_vec(..., num_envs={VECTOR_ENVS})`: CheeseMazeVectorEnv",
                 "observations, rewards, info, autoreset"),
                ("sync_vector_env", f"Gymnasium SyncVectorEnv of {VECTOR_ENVS} CheeseMazeEnv",
                 "the same levels stepped one env at a time"),
                ("single_env", "one `gym.make` CheeseMazeEnv", "with Gymnasium's default wrappers"),
            )
        ]  # fmt: skip
        if not res["minigrid_installed"]:
            rows.append(
                _unavailable(
                    "vector_env", "Minigrid env on the same maze size", "minigrid is not installed"
                )
            )
        return rows

    return _guard("vector_env", "vector env throughput", measure)


#: Notebook widgets (besides the explorer) whose redraw is timed by ``widgets``.
WIDGETS = [
    "maze_editor",
    "boat_race",
    "two_loop_stepper",
    "deception_explorer",
    "control_explorer",
    "control_explorer_first_visit",
    "network_explorer",
]


def bench_widgets(n_redraws: int = 30) -> list[Row]:
    """Redraw time of the other notebooks' widgets (caches warm unless a first visit), one core."""
    rows: list[Row] = []
    for name in WIDGETS:

        def measure(name: str = name) -> list[Row]:
            res = _worker(
                "widget", timeout=600, env={"MPLBACKEND": "Agg"}, name=name, n_redraws=n_redraws
            )
            return [
                Row(
                    f"widget:{name}",
                    f"{name} redraw",
                    unit="ms",
                    samples=[1000 * t for t in res["samples"]],
                    target=150.0,
                    note=(
                        f"1 core; {n_redraws} first visits to new settings, nothing cached"
                        if name.endswith("_first_visit")
                        else f"1 core; {n_redraws} redraws cycling its choices"
                    ),
                )
            ]

        rows += _guard(f"widget:{name}", name, measure)
    return rows


def bench_grading(n_students: int = 20, repeat: int = 3) -> list[Row]:
    """nbgrader on the course: generate, autograde per submission and a whole class."""

    def measure() -> list[Row]:
        res = _worker("grading", timeout=1800, n_students=n_students, repeat=repeat, cli_repeat=3)
        n = res["class_size"]
        rows = [
            Row("grading", f"`generate_assignment {name}` (NbGraderAPI)", samples=samples)
            for name, samples in res["generate"].items()
        ]
        rows.append(
            Row(
                "grading",
                "autograde one honest quiz submission (NbGraderAPI, in process)",
                samples=res["autograde_in_process"],
                target=1.0,
                note=f"{n} submissions one by one; fresh kernel each",
            )
        )
        rows.append(
            Row(
                "grading",
                f"autograde the class of {n} honest quiz submissions, one call, per submission",
                samples=[res["class_total_s"] / n],
                target=1.0,
                note=f"total {res['class_total_s']:.1f} s",
            )
        )
        rows.append(
            Row(
                "grading",
                "autograde one quiz submission via the CLI (`nbgrader autograde --student`)",
                samples=res["autograde_cli"],
                note="includes nbgrader's start-up",
            )
        )
        rows.append(
            Row(
                "grading",
                "autograde one lab submission (NbGraderAPI; hidden references in a subprocess)",
                samples=res["lab_in_process"],
            )
        )
        rows.append(
            Row(
                "grading",
                f"generate feedback for the class ({n}), total",
                samples=[res["feedback_class_s"]],
            )
        )
        return rows

    return _guard("grading", "nbgrader pipeline", measure)


def bench_exercises() -> list[Row]:
    """Every exercise's check, on its reference and on each known mistake, one core."""

    def measure() -> list[Row]:
        checks = _worker("exercises", 600)["checks"]
        return [
            Row(
                "exercises",
                f"`exercises.{name}.check(...)`, reference and {len(times) - 1} mistakes",
                samples=times,
                target=3.0,
                note=f"reference {times[0]:.2f} s",
            )
            for name, times in checks.items()
        ]

    return _guard("exercises", "exercise checks", measure)


def bench_tutor(repeat: int = 5) -> list[Row]:
    """The tutor's build, its answers to the evaluation questions, its worst inputs, one core."""

    def measure() -> list[Row]:
        res = _worker("tutor", 300, repeat=repeat)
        return [
            Row(
                "tutor",
                "`Tutor()`: read the notebooks and index them",
                samples=res["builds"],
                target=0.5,
            ),
            Row(
                "tutor",
                f"`tutor.ask(q)`, {len(res['answers'])} evaluation questions",
                samples=res["answers"],
                target=0.05,
            ),
            Row(
                "tutor",
                "`tutor.ask(q)`, 15,000 distinct words / 100,000 letters / one word 5,000 times",
                samples=res["worst"],
                target=1.0,
                note="max must be <= 1 s",
            ),
        ]

    return _guard("tutor", "the lesson tutor", measure)


def bench_class(n_students: int = 200) -> list[Row]:
    """A class of 200 quiz submissions autograded in sandboxes, one job per core."""

    def measure() -> list[Row]:
        jobs = len(os.sched_getaffinity(0))
        res = _worker("grading_class", 3600, pin=False, n_students=n_students, jobs=jobs)
        if res["returncode"] != 0 or res["graded"] != n_students:
            raise RuntimeError(f"{res['graded']} of {n_students} graded: {res['tail']}")
        n, cores = res["class_size"], res["cores"]
        return [
            Row(
                "class",
                "autograde one sandboxed quiz submission (batch worker, wall time)",
                samples=res["per_submission_s"],
                target=2.0,
                note=f"{jobs} at once on {cores} cores",
            ),
            Row(
                "class",
                f"autograde a class of {n} quiz submissions (`make course-autograde JOBS={jobs}`)",
                samples=[res["total_s"]],
                target=600.0,
                note=f"{res['total_s'] / n:.2f} s per submission overall; {cores} cores",
            ),
        ]

    return _guard("class", "a class of 200 autograded in parallel", measure)


HUB_TIMINGS = ROOT / "test-artifacts" / "hub" / "timings.json"


def _pytest_seconds(marker: str, folder: str) -> float:
    """Run one group of end-to-end tests (both cores, as a class shares a machine)."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", marker, folder, "-q", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        timeout=1200,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - started
    last = (proc.stdout.strip().splitlines() or ["no output"])[-1]
    if proc.returncode != 0 or "skipped" in last or "passed" not in last:
        raise RuntimeError(f"pytest -m {marker}: {last[:300]}")
    return seconds


def bench_e2e(repeat: int = 3) -> list[Row]:
    """The end-to-end tests: the JupyterHub classroom, step by step, and the browser tests."""

    def measure_hub() -> list[Row]:
        totals, steps = [], {}
        for _ in range(repeat):
            totals.append(_pytest_seconds("hub", "tests/hub"))
            for step, seconds in json.loads(HUB_TIMINGS.read_text()).items():
                steps.setdefault(step, []).append(seconds)
        rows = [
            Row("e2e", f"hub classroom: {step}", samples=samples) for step, samples in steps.items()
        ]
        rows.append(
            Row(
                "e2e",
                "`pytest -m hub tests/hub`, wall time",
                samples=totals,
                target=300.0,
                note="both cores; includes pytest start-up and collection",
            )
        )
        return rows

    def measure_browser() -> list[Row]:
        seconds = _pytest_seconds("browser", "tests/browser")
        return [Row("e2e", "`pytest -m browser tests/browser`, wall time", samples=[seconds])]

    hub = _guard("e2e", "JupyterHub classroom (tests/hub)", measure_hub)
    return hub + _guard("e2e", "browser tests (tests/browser)", measure_browser)


BENCHES: dict[str, Callable[[], list[Row]]] = {
    "import": bench_import,
    "headline": bench_headline,
    "sweep": bench_sweep,
    "explorer": bench_explorer,
    "notebook": bench_notebook,
    "layout_shift": bench_layout_shift,
    "toys": bench_toys,
    "widgets": bench_widgets,
    "grading": bench_grading,
    "class": bench_class,
    "exercises": bench_exercises,
    "tutor": bench_tutor,
    "network": bench_network,
    "vector_env": bench_vector_env,
    "e2e": bench_e2e,
}


# --- reporting ----------------------------------------------------------------------


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    if unit == "ms":
        return f"{value:.1f} ms"
    return f"{value:.0f} {unit}"


def table(rows: list[Row]) -> str:
    lines = [
        "| what | median | min | max | n | target | met? | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        target = f"<= {_fmt(r.target, r.unit)}" if r.target is not None else "-"
        if r.unavailable:
            cells = [r.what, f"not available: {r.unavailable}", "", "", "", target, "-", r.note]
        else:
            s = r.stats
            met = {None: "-", True: "yes", False: "**no**"}[r.met]
            values = [_fmt(s[k], r.unit) for k in ("median", "min", "max")]
            cells = [r.what, *values, str(s["n"]), target, met, r.note]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def curve_table(sweep: dict) -> str:
    c = sweep["curve"]
    lines = [
        "| alpha | test true-goal rate: mean | min | max | mean test proxy rate |",
        "|---|---|---|---|---|",
    ]
    for i, alpha in enumerate(c["alpha"]):
        lines.append(
            f"| {alpha:g} | {c['mean'][i]:.3f} | {c['low'][i]:.3f} | {c['high'][i]:.3f} "
            f"| {sweep['mean_test_proxy_rate'][i]:.3f} |"
        )
    return "\n".join(lines)


def machine() -> dict:
    import numpy

    return {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "cpus": os.cpu_count(),
        "pinned_core": CORE,
        "loadavg_1_5_15": list(os.getloadavg()),  # other work on the machine adds noise
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"any of: {', '.join(BENCHES)} (default: all)")
    parser.add_argument("--list", action="store_true", help="list the measurements and exit")
    parser.add_argument("--no-json", action="store_true", help="do not write benchmarks/results/")
    args = parser.parse_args(argv)
    if args.list:
        for name, fn in BENCHES.items():
            print(f"{name:10} {fn.__doc__.splitlines()[0]}")
        return 0
    unknown = [n for n in args.names if n not in BENCHES]
    if unknown:
        parser.error(f"unknown measurement(s) {unknown}; choose from {list(BENCHES)}")
    names = args.names or list(BENCHES)

    rows: list[Row] = []
    started = dt.datetime.now(dt.timezone.utc)
    for name in names:
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        rows += BENCHES[name]()

    info = machine()
    print(
        f"\nmesatoys benchmarks, {started:%Y-%m-%d %H:%M} UTC; Python {info['python']}, "
        f"numpy {info['numpy']}; {info['cpus']} CPUs ({info['processor']}), "
        f"every measurement pinned to core {CORE}; load average at the end "
        f"{info['loadavg_1_5_15'][0]:.2f} (1 min).\n"
    )
    print(table(rows))
    if SWEEP:
        print("\nAlpha sweep (test levels, 10 seeds per alpha):\n")
        print(curve_table(SWEEP))

    if not args.no_json:
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / f"bench-{started:%Y%m%dT%H%M%SZ}.json"
        payload = {
            "started_utc": started.isoformat(),
            "names": names,
            "machine": info,
            "rows": [r.to_json() for r in rows],
            "sweep": SWEEP or None,
        }
        out.write_text(json.dumps(payload, indent=2))
        print(f"\nwrote {out.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
