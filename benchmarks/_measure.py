"""Measurement workers for ``benchmarks/run.py``; each runs in its own pinned subprocess.

Usage (run.py does this for you): ``python benchmarks/_measure.py <task> '<json kwargs>'``.
The parent pins the process to one core *before* exec (so numpy's BLAS sees one CPU).
The worker prints exactly one line starting with ``MARKER`` followed by a JSON object;
anything else on stdout is ignored. A component that is missing is reported as
``{"unavailable": "<reason>"}``; a number is never made up.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
import time
from pathlib import Path

MARKER = "BENCH-RESULT "
ROOT = Path(__file__).resolve().parents[1]


def _now() -> float:
    return time.perf_counter()


def _affinity() -> list[int]:
    return sorted(os.sched_getaffinity(0))


# --- headline -----------------------------------------------------------------------


def task_headline(seeds: list[int]) -> dict:
    import numpy as np

    from mesatoys.experiments import goal_misgeneralization as gm

    config = gm.Config()
    gm.run(config, seed=1000)  # warm-up: first-call costs (lazy imports, caches) not counted
    out: dict[str, list[float]] = {
        k: [] for k in ("run", "make_levels", "train", "play_test", "play_train")
    }
    for seed in seeds:
        t0 = _now()
        gm.run(config, seed=seed)
        out["run"].append(_now() - t0)

        t0 = _now()
        train_levels, test_levels = gm.make_levels(config, seed)
        out["make_levels"].append(_now() - t0)

        t0 = _now()
        weights, _ = gm.train_mesa_objective(config, train_levels, np.random.default_rng([seed, 1]))
        out["train"].append(_now() - t0)

        t0 = _now()
        gm.play_levels(config, weights, test_levels)
        out["play_test"].append(_now() - t0)

        t0 = _now()
        gm.play_levels(config, weights, train_levels)
        out["play_train"].append(_now() - t0)
    return {
        "samples": out,
        "n_test_levels": config.n_test_levels,
        "n_train_levels": config.n_train_levels,
        "seeds": seeds,
    }


# --- sweep --------------------------------------------------------------------------


def task_sweep(alphas: list[float], seeds: list[int]) -> dict:
    from mesatoys.experiments import goal_misgeneralization as gm
    from mesatoys.experiments.shape import vary
    from mesatoys.viz.maze_plots import by_alpha

    t0 = _now()
    results = gm.sweep(vary(gm.Config(), alpha=alphas), seeds=seeds, progress=False)
    total = _now() - t0
    curve = by_alpha(results, "true_goal_rate")
    return {
        "total_s": total,
        "n_runs": len(results),
        "curve": {k: [float(x) for x in v] for k, v in curve.items()},
        "mean_test_proxy_rate": [float(x) for x in by_alpha(results, "proxy_rate")["mean"]],
    }


# --- layout shift -------------------------------------------------------------------


def task_layout_shift(seeds: list[int], n_train_levels: list[int]) -> dict:
    import numpy as np

    from mesatoys.agents.reactive import ReactivePolicy
    from mesatoys.experiments import layout_shift as ls

    ls.run(ls.Config(n_train_levels=1), seed=1000)  # warm-up
    out: dict[str, list[float]] = {f"run_{n}": [] for n in n_train_levels}
    out |= {f"fit_{n}": [] for n in n_train_levels}
    rates = []
    for n in n_train_levels:
        config = ls.Config(n_train_levels=n)
        for seed in seeds:
            t0 = _now()
            result = ls.run(config, seed=seed)
            out[f"run_{n}"].append(_now() - t0)
            t0 = _now()
            ReactivePolicy().fit(
                result.train_levels, result.episode_limit, np.random.default_rng([seed, 3])
            )
            out[f"fit_{n}"].append(_now() - t0)
            rates.append({"n": n, "seed": seed, **{k: getattr(result, k) for k in ls.RATES}})
    return {"samples": out, "rates": rates, "seeds": seeds}


# --- other toys ---------------------------------------------------------------------


def task_toy(module: str, seeds: list[int]) -> dict:
    import importlib

    toy = importlib.import_module(f"mesatoys.experiments.{module}")
    toy.run(toy.Config(), seed=1000)  # warm-up
    times = []
    for seed in seeds:
        t0 = _now()
        toy.run(toy.Config(), seed=seed)
        times.append(_now() - t0)
    return {"samples": times, "seeds": seeds}


# --- the policy-gradient network ----------------------------------------------------


def task_network(seeds: list[int], alphas: list[float]) -> dict:
    from mesatoys.experiments import network_misgeneralization as nm

    nm.run(nm.Config(updates=2, n_test_levels=10), seed=1000)  # warm-up: imports, first calls
    out: dict[str, list[float]] = {f"run_{a:g}": [] for a in alphas}
    out |= {"steer": [], "probe": []}
    rates = []
    for alpha in alphas:
        for seed in seeds:
            t0 = _now()
            result = nm.run(nm.Config(alpha=alpha), seed=seed)
            out[f"run_{alpha:g}"].append(_now() - t0)
            t0 = _now()
            steered = nm.steer(result)
            out["steer"].append(_now() - t0)
            t0 = _now()
            nm.probe(result, "cell")
            nm.probe(result, "direction")
            out["probe"].append(_now() - t0)
            rates.append(
                {
                    "alpha": alpha,
                    "seed": seed,
                    "train": result.train.true_goal_rate,
                    "test": result.test.true_goal_rate,
                    "proxy": result.test.proxy_rate,
                    "steered": steered.true_goal_rate,
                }
            )
    return {"samples": out, "rates": rates, "seeds": seeds}


# --- vectorized environment throughput ----------------------------------------------


def _steps_per_second(step, actions, n_envs: int) -> float:
    step(actions[0])  # warm-up
    t0 = _now()
    for row in actions[1:]:
        step(row)
    return n_envs * (len(actions) - 1) / (_now() - t0)


def task_vector_env(env_id: str, num_envs: int, n_steps: int) -> dict:
    import gymnasium as gym
    import numpy as np

    import mesatoys.envs  # noqa: F401 (registers the ids)
    from mesatoys.envs.maze import step_positions

    rng = np.random.default_rng(0)
    actions = rng.integers(0, 5, (n_steps, num_envs))
    out = {}

    vector = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point")
    vector.reset(seed=0)
    out["vector_env"] = _steps_per_second(vector.step, actions, num_envs)
    levels, pos = vector.unwrapped.levels, vector.unwrapped.pos.copy()

    def core(row: np.ndarray) -> None:
        pos[:] = step_positions(levels.walls, pos, row)

    out["core_step"] = _steps_per_second(core, actions, num_envs)

    sync = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="sync")
    sync.reset(seed=0)
    out["sync_vector_env"] = _steps_per_second(
        sync.step, actions[: max(2, n_steps // 20)], num_envs
    )

    single = gym.make(env_id)
    single.reset(seed=0)

    def one(action: int) -> None:
        _, _, terminated, truncated, _ = single.step(int(action))
        if terminated or truncated:
            single.reset()

    out["single_env"] = _steps_per_second(one, actions[: max(2, n_steps // 2), 0], 1)
    minigrid = importlib.util.find_spec("minigrid") is not None
    return {"steps_per_s": out, "minigrid_installed": minigrid, "size": levels.size}


# --- other widgets ------------------------------------------------------------------


def _widget_actions(name: str) -> tuple[object, list]:
    """A widget built as its notebook builds it, and a cycle of redrawing actions."""
    from mesatoys.experiments import goal_misgeneralization as gm

    if name == "maze_editor":
        from mesatoys.envs.hand_mazes import HAND_MAZES
        from mesatoys.experiments import layout_shift as ls
        from mesatoys.viz.maze_editor import MazeEditor

        editor = MazeEditor(ls.run(ls.Config(n_train_levels=1), seed=0))
        return editor, [lambda n=n: editor.select(n) for n in HAND_MAZES]
    if name == "boat_race":
        from mesatoys.viz.outer_alignment import BoatRaceExplorer

        explorer = BoatRaceExplorer()
        choices = [
            {"side": s, "reward": r} for s in (3, 5, 7, 9) for r in ("checkpoints", "ordered")
        ]
        return explorer, [lambda c=c: explorer.set(**c) for c in choices]
    if name == "two_loop_stepper":
        from mesatoys.viz.two_layer import TwoLoopStepper

        stepper = TwoLoopStepper(gm.run(gm.Config(n_test_levels=300), seed=0))
        last = len(stepper.result.training_weights) - 1
        moves = [{"generation": g % (last + 1), "sweep": None} for g in range(0, 40, 3)]
        return stepper, [lambda m=m: stepper.set(**m) for m in moves]
    if name == "deception_explorer":
        from mesatoys.viz.deception import DeceptionExplorer

        explorer = DeceptionExplorer()
        moves = [
            {"awareness_rate": a, "training_rounds": r, "oversight": o}
            for a in (0.0, 0.5, 1.0)
            for r in (5, 20, 60, 200)
            for o in (0.1, 0.5, 1.0)
        ]
        return explorer, [lambda m=m: explorer.set(**m) for m in moves]
    if name in ("control_explorer", "control_explorer_first_visit"):
        from mesatoys.viz.ai_control import BUDGETS, ControlExplorer

        explorer = ControlExplorer()
        # A first visit to a budget and monitor quality computes every protocol afresh (36
        # distinct settings, none repeated); the warm cycle revisits settings whose results
        # the explorer has kept, switching the attack rate too.
        settings = [
            {"audit_budget": b, "monitor_quality": q}
            for q in (0.0, 0.75, 1.5, 2.5, 3.25, 4.0)
            for b in BUDGETS
        ]
        if name == "control_explorer":
            settings = [{**m, "attack_rate": r} for m in settings[:8] for r in ("best", 0.01)]
        return explorer, [lambda m=m: explorer.set(**m) for m in settings]
    if name == "network_explorer":
        from mesatoys.experiments import network_misgeneralization as nm
        from mesatoys.viz.network_plots import NetworkExplorer

        explorer = NetworkExplorer(results=[nm.run(nm.Config(), seed=0)])
        moves = [{"split": s, "level": i} for i in range(15) for s in ("test", "train")]
        return explorer, [lambda m=m: explorer.set(**m) for m in moves]
    raise ValueError(f"unknown widget {name!r}")


def task_widget(name: str, n_redraws: int) -> dict:
    _widget, actions = _widget_actions(name)
    if not name.endswith("_first_visit"):
        for action in actions:  # warm-up: caches filled once, as a student's first visits
            action()
    times = []
    for i in range(n_redraws):
        t0 = _now()
        actions[i % len(actions)]()
        times.append(_now() - t0)
    return {"samples": times}


# --- explorer -----------------------------------------------------------------------


def task_explorer(warm: list[dict], alphas: list[float], n_redraws: int, n_levels: int) -> dict:
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        spec = importlib.util.find_spec("mesatoys.viz.explorer")
    except ModuleNotFoundError:
        spec = None
    if spec is None:
        return {"unavailable": "module mesatoys.viz.explorer does not exist yet"}
    module = importlib.import_module("mesatoys.viz.explorer")
    cls = getattr(module, "GoalMisgeneralizationExplorer", None)
    if cls is None:
        return {"unavailable": "mesatoys.viz.explorer has no GoalMisgeneralizationExplorer"}

    t0 = _now()
    explorer = cls()
    construct = _now() - t0
    cold = []  # .set() on a combination not yet cached: includes a training run
    for kwargs in warm:
        t0 = _now()
        explorer.set(**kwargs)
        cold.append({"kwargs": kwargs, "s": _now() - t0})

    redraws = []
    for i in range(n_redraws):
        kwargs = {"alpha": alphas[i % len(alphas)], "level": i % n_levels}
        t0 = _now()
        explorer.set(**kwargs)
        redraws.append(_now() - t0)
    return {
        "construct_s": construct,
        "cold_set": cold,
        "samples": redraws,
        "redraw_counter": getattr(explorer, "redraws", None),
        "mplbackend": __import__("matplotlib").get_backend(),
    }


# --- notebook -----------------------------------------------------------------------


def _vm_hwm_bytes(pid: int) -> int | None:
    """Peak resident set size of a live process (``VmHWM`` in ``/proc/<pid>/status``)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            value, unit = line.split()[1:3]
            assert unit == "kB", unit  # the kernel reports KiB and calls them kB
            return int(value) * 1024
    return None


def _kernel_pid(km) -> tuple[int | None, dict]:
    """The kernel's pid, and which ways of getting it work with this jupyter_client."""
    tried: dict[str, object] = {}
    kernel = getattr(km, "kernel", None)
    tried["km.kernel"] = getattr(kernel, "pid", None) if kernel is not None else None
    process = getattr(getattr(km, "provisioner", None), "process", None)
    tried["km.provisioner.process.pid"] = getattr(process, "pid", None)
    pid = tried["km.provisioner.process.pid"] or tried["km.kernel"]
    return (int(pid) if pid else None), tried


def task_notebook(path: str, cell_timeout: int) -> dict:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb_path = Path(path)
    nb = nbformat.read(nb_path, as_version=4)
    state: dict = {"hwm": None, "t_ready": None, "t_last_cell": None, "cells": 0, "per_cell": []}

    def on_start(**_kwargs) -> None:
        state["t_ready"] = _now()
        pid, tried = _kernel_pid(client.km)
        state["pid"], state["pid_methods"] = pid, tried
        if pid is not None:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            state["cmdline"] = [part.decode() for part in cmdline if part][:3]
            state["kernel_affinity"] = sorted(os.sched_getaffinity(pid))
            state["hwm"] = _vm_hwm_bytes(pid)

    def on_cell_start(**_kwargs) -> None:
        state["t_cell"] = _now()

    def on_cell_executed(cell_index: int, **_kwargs) -> None:
        state["t_last_cell"] = _now()
        state["cells"] += 1
        state["per_cell"].append([cell_index, state["t_last_cell"] - state["t_cell"]])
        if state.get("pid") is not None:  # VmHWM only grows: the last read is the peak
            state["hwm"] = _vm_hwm_bytes(state["pid"]) or state["hwm"]

    client = NotebookClient(
        nb,
        timeout=cell_timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(nb_path.parent)}},
        on_notebook_start=on_start,
        on_cell_start=on_cell_start,
        on_cell_executed=on_cell_executed,
    )
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # the student's default
    t0 = _now()
    try:
        client.execute(env=env)
    except CellExecutionError as exc:
        first = str(exc).strip().splitlines()[-1:] or ["?"]
        return {"unavailable": f"{nb_path.name} raised during execution: {first[0][:200]}"}
    t_done = _now()
    errors = [
        f"{o.get('ename')}: {o.get('evalue')}"
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    if errors:
        return {"unavailable": f"{nb_path.name} has error outputs: {errors[0][:200]}"}
    if state["hwm"] is None:
        return {"unavailable": "could not read the kernel's VmHWM"}
    end = state["t_last_cell"] or state["t_ready"]
    return {
        "wall_s": end - t0,  # kernel start + every cell, without the kernel shutdown
        "kernel_start_s": state["t_ready"] - t0,
        "wall_with_shutdown_s": t_done - t0,
        "peak_rss_bytes": state["hwm"],
        "code_cells": state["cells"],
        "per_cell_s": state["per_cell"],  # [cell index, seconds] for each code cell
        "kernel_pid_methods": state["pid_methods"],
        "kernel_cmdline": state.get("cmdline"),
        "kernel_affinity": state.get("kernel_affinity"),
    }


# --- grading ------------------------------------------------------------------------


def _grading_course(work: Path):
    """A copy of the course root in ``work`` and the test helpers that build submissions."""
    sys.path.insert(0, str(ROOT / "tests" / "grading"))
    import course  # the same helpers tests/grading uses (answer key read from the source)

    return course, course.copy_course(work)


def _honest_class(course, root: Path, n: int) -> list[str]:
    """``n`` honest quiz submissions: answers typed in, some right, some wrong."""
    import copy

    keys = course.answer_key()
    released = course.read(course.release_path(root, course.QUIZ))
    names = []
    for i in range(n):
        nb = copy.deepcopy(released)
        for q, key in keys.items():
            right = (q * (i + 3) + i) % 5 != 0
            value = course.accepted_variant(key, i + q) if right else course.wrong_answer(key, i)
            course.set_cell(nb, f"answer_q{q:02d}", course.answer_line(q, value))
        name = f"student_{i:02d}"
        course.place(root, name, course.QUIZ, nb)
        names.append(name)
    return names


def _lab_submission(course, root: Path, name: str) -> None:
    import copy

    nb = copy.deepcopy(course.read(course.release_path(root, course.LAB)))
    for cell in course.read(course.source_path(course.LAB)).cells:
        gid = course.grade_id(cell) or ""
        if gid.startswith("answer_"):
            lines = [ln for ln in cell.source.splitlines() if "SOLUTION" not in ln]
            course.set_cell(nb, gid, "\n".join(lines))
    course.place(root, name, course.LAB, nb)


def task_grading(n_students: int, repeat: int, cli_repeat: int) -> dict:
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        course, root = _grading_course(Path(tmp))
        os.chdir(root)
        api = course.make_api(root)
        generate: dict[str, list[float]] = {}
        for assignment in course.ASSIGNMENTS:
            api.generate_assignment(assignment)  # first call also creates the gradebook
            generate[assignment] = []
            for _ in range(repeat):
                t0 = _now()
                assert api.generate_assignment(assignment)["success"]
                generate[assignment].append(_now() - t0)
        names = _honest_class(course, root, n_students)
        per_submission = []
        for name in names:
            t0 = _now()
            assert api.autograde(course.QUIZ, name)["success"]
            per_submission.append(_now() - t0)
        t0 = _now()
        assert api.autograde(course.QUIZ, "*")["success"]
        whole_class = _now() - t0
        scores = course.scores(root, course.QUIZ)
        cli = []
        nbgrader = str(Path(sys.executable).parent / "nbgrader")
        for name in names[:cli_repeat]:
            t0 = _now()
            subprocess.run(
                [nbgrader, "autograde", course.QUIZ, "--student", name, "--force"],
                cwd=root,
                capture_output=True,
                check=True,
            )
            cli.append(_now() - t0)
        lab = []
        for i in range(repeat):
            _lab_submission(course, root, f"lab_{i}")
            t0 = _now()
            assert api.autograde(course.LAB, f"lab_{i}")["success"]
            lab.append(_now() - t0)
        t0 = _now()
        assert api.generate_feedback(course.QUIZ)["success"]
        feedback = _now() - t0
    return {
        "generate": generate,
        "autograde_in_process": per_submission,
        "class_total_s": whole_class,
        "class_size": len(names),
        "autograde_cli": cli,
        "lab_in_process": lab,
        "feedback_class_s": feedback,
        "scores": scores,
    }


def task_grading_class(n_students: int, jobs: int) -> dict:
    """Autograde a class with ``python -m mesatoys.grading.batch`` on every core given."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        course, root = _grading_course(Path(tmp))
        api = course.make_api(root)
        os.chdir(root)
        assert api.generate_assignment(course.QUIZ)["success"]
        names = _honest_class(course, root, n_students)
        course.nbgrader_env()
        t0 = _now()
        proc = subprocess.run(
            [sys.executable, "-m", "mesatoys.grading.batch", "--jobs", str(jobs), course.QUIZ],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=3600,
        )
        total = _now() - t0
        per = [float(m) for m in re.findall(r"^graded \S+ \S+ \(([\d.]+) s\)", proc.stdout, re.M)]
        scores = course.scores(root, course.QUIZ)
    return {
        "class_size": len(names),
        "graded": len(scores),
        "jobs": jobs,
        "total_s": total,
        "per_submission_s": per,
        "returncode": proc.returncode,
        "tail": proc.stdout[-400:],
        "cores": len(os.sched_getaffinity(0)),
    }


def task_exercises() -> dict:
    """Each exercise's check, on its reference and on every known mistake."""
    from mesatoys.course import exercises

    out = {}
    for exercise in exercises.all():
        times = []
        for function in (exercise.reference, *exercise.wrong_examples):
            t0 = _now()
            exercise.check(function, record=False)
            times.append(_now() - t0)
        out[exercise.id] = times
    return {"checks": out}


def task_tutor(repeat: int) -> dict:
    """The tutor: building it (fresh each time), answering every evaluation question, and
    the worst inputs (a flood of distinct words, one endless word)."""
    import random
    import string

    from mesatoys.course.tutor import Tutor

    builds = []
    for _ in range(repeat):
        t0 = _now()
        tutor = Tutor(endpoint=None)
        builds.append(_now() - t0)
    questions = json.loads((ROOT / "tests" / "course" / "tutor_eval.json").read_text("utf-8"))
    answers = []
    for q in questions["on_topic"] + questions["off_topic"]:
        t0 = _now()
        tutor.ask(q["question"])
        answers.append(_now() - t0)
    rng = random.Random(0)
    flood = " ".join("".join(rng.choices(string.ascii_lowercase, k=8)) for _ in range(15_000))
    worst = []
    for text in (flood, "x" * 100_000, "optimizer " * 5_000):
        t0 = _now()
        tutor.ask(text)
        worst.append(_now() - t0)
    return {"builds": builds, "answers": answers, "worst": worst}


TASKS = {
    "headline": task_headline,
    "sweep": task_sweep,
    "layout_shift": task_layout_shift,
    "explorer": task_explorer,
    "notebook": task_notebook,
    "toy": task_toy,
    "widget": task_widget,
    "grading": task_grading,
    "grading_class": task_grading_class,
    "exercises": task_exercises,
    "tutor": task_tutor,
    "network": task_network,
    "vector_env": task_vector_env,
}


def main() -> None:
    task, kwargs = sys.argv[1], json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}")
    result = TASKS[task](**kwargs)
    result["affinity"] = _affinity()
    print(MARKER + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
