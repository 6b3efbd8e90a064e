"""The progress store: what it records, and that a learner's progress is never lost.

Every test runs with its own temporary MESATOYS_HOME (tests/conftest.py). Tests run as root,
where chmod does not stop writes, so an unwritable home is simulated two ways: a home path
that runs through a regular file (mkdir fails), and os.replace patched to raise
PermissionError. A real chmod test runs too where the tests do not run as root.
"""

from __future__ import annotations

import ast
import json
import multiprocessing
import os
import re
import subprocess
import sys
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import ipywidgets as w
import numpy as np
import pytest

from mesatoys.course import exercises, practice, progress
from mesatoys.course.bank import bank_names, load_bank
from mesatoys.course.progress import (
    FORMAT_VERSION,
    OUTLINE,
    ProgressStore,
    ProgressView,
    ProgressWarning,
)

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
QUIZ = "07_end_of_lesson_quiz"
NB1 = "01_the_two_layer_problem"
END1 = OUTLINE[NB1][0]


@pytest.fixture
def store(tmp_path):
    return ProgressStore(tmp_path / "home" / "progress.json")


def _wrong(question) -> int:
    return next(i for i in range(len(question.options)) if (i,) != question.correct)


def _saved(store: ProgressStore) -> dict:
    return json.loads(store.path.read_text(encoding="utf-8"))


# --- where it is saved --------------------------------------------------------------------------


def test_default_path_follows_mesatoys_home_then_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("MESATOYS_HOME", str(tmp_path / "elsewhere"))
    assert progress.default_path() == tmp_path / "elsewhere" / "progress.json"
    monkeypatch.delenv("MESATOYS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    assert progress.default_path() == tmp_path / "me" / ".mesatoys" / "progress.json"


def test_tests_never_write_to_the_real_home(progress_home):
    assert progress.default_path() == progress_home / "progress.json"
    assert progress.default_store().path.parent == progress_home


# --- what it records ----------------------------------------------------------------------------


def test_complete_records_a_section_once_with_its_first_time(store):
    store.complete(NB1, END1)
    first = _saved(store)["sections"][NB1][END1]
    store.complete(NB1, END1)
    saved = _saved(store)
    assert saved["sections"] == {NB1: {END1: first}}
    assert saved["version"] == FORMAT_VERSION and saved["created"] <= saved["updated"]


@pytest.mark.parametrize(
    ("notebook", "section", "message"),
    [
        ("01_two_layer", END1, "notebook must be one of"),
        (NB1, "9. What you should now be able to explain", "section must be one of"),
        (NB1, None, "section must be one of"),
    ],
)
def test_complete_rejects_names_outside_the_outline(store, notebook, section, message):
    with pytest.raises(ValueError, match=message):
        store.complete(notebook, section)
    assert not store.path.exists()


def test_answers_keep_attempts_first_try_and_last_answer(store):
    script = [
        ("q-a", False, (2,)),
        ("q-a", True, (1,)),
        ("q-b", True, (0, 2)),
        ("q-a", False, (3,)),
    ]
    for qid, right, chosen in script:
        store.record_answer(NB1, qid, right, chosen)
    answers = _saved(store)["answers"]
    for qid in ("q-a", "q-b"):  # expected values computed from the script, not the store
        mine = [(r, c) for q, r, c in script if q == qid]
        rec = answers[qid]
        assert rec["attempts"] == len(mine)
        assert rec["right_first_time"] is mine[0][0]
        assert rec["solved"] is any(r for r, _ in mine)
        assert rec["last_answer"] == list(mine[-1][1]) and rec["last_right"] is mine[-1][0]
        assert rec["notebook"] == NB1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", "q", True, (0,)), "notebook must be a non-empty string"),
        ((NB1, 3, True, (0,)), "question_id must be a non-empty string"),
        ((NB1, "q", 1, (0,)), "right must be True or False"),
        ((NB1, "q", True, "B"), "chosen must be a tuple of option indices"),
        ((NB1, "q", True, (0,), (3, 2, 15)), "quiz_score must be None or"),
    ],
)
def test_bad_answers_are_rejected_naming_the_argument(store, args, message):
    with pytest.raises(ValueError, match=message):
        store.record_answer(*args)


def test_numpy_integers_are_accepted_and_saved_as_plain_ones(store):
    score = (np.int64(1), np.int32(2), np.uint8(15))
    store.record_answer(NB1, "q", True, (np.int64(0), np.int64(2)), score)
    saved = _saved(store)  # JSON could not hold numpy integers: these are plain ints
    assert saved["answers"]["q"]["last_answer"] == [0, 2]
    assert saved["quizzes"][NB1]["first_try"] == 1 and saved["quizzes"][NB1]["total"] == 15


def test_numpy_answers_to_practice_questions_are_recorded(progress_home):
    q = practice.questions(NB1)[0]
    feedback = q.check(np.int64(q.question.correct[0]))
    assert feedback.right and q.attempts == [q.question.correct]
    saved = json.loads((progress_home / "progress.json").read_text())
    assert saved["answers"][q.id]["last_answer"] == list(q.question.correct)


def test_a_failing_recorder_still_gives_feedback(progress_home, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ProgressStore, "record_answer", broken)
    q = practice.questions(NB1)[0]
    with pytest.warns(practice.HookWarning, match="RuntimeError: disk on fire"):
        feedback = q.check("A")
    assert feedback.verdict and q.attempts == [(0,)]


def test_practice_questions_record_by_default_and_not_when_told(progress_home):
    qs = practice.questions(NB1)
    qs[0].check(_wrong(qs[0].question))
    qs[0].check(list(qs[0].question.correct))
    qs[1].check(list(qs[1].question.correct))
    practice.questions("02_mesa_optimization", record=False)[0].check("A")
    answers = json.loads((progress_home / "progress.json").read_text())["answers"]
    assert set(answers) == {qs[0].id, qs[1].id}
    assert answers[qs[0].id]["attempts"] == 2 and not answers[qs[0].id]["right_first_time"]
    assert answers[qs[1].id]["right_first_time"] and answers[qs[1].id]["notebook"] == NB1


def test_own_hooks_still_run_beside_the_recorder(progress_home):
    heard = []
    q = practice.questions(NB1, on_result=lambda *a: heard.append(a))[2]
    q.check("A")
    assert heard == [(q.id, q.question.correct == (0,), (0,))]
    assert q.id in json.loads((progress_home / "progress.json").read_text())["answers"]
    with pytest.raises(TypeError, match="record must be True or False"):
        practice.questions(NB1, record="no")


def test_nothing_is_written_with_record_false(progress_home):
    quiz = practice.PracticeQuiz.from_bank(QUIZ, record=False)
    quiz[0].check("A")
    assert not (progress_home / "progress.json").exists()
    assert quiz.summary().endswith("Practice only: not graded, not saved.")


def test_the_practice_quiz_saves_its_latest_and_best_score(progress_home):
    first = practice.PracticeQuiz.from_bank(QUIZ)
    for q in first.questions[:3]:
        q.check(list(q.question.correct))
    first[3].check(_wrong(first[3].question))
    assert first.summary().endswith("Practice only: not graded, saved to your progress.")
    second = practice.PracticeQuiz.from_bank(QUIZ)  # a new run of notebook 07
    second[0].check(list(second[0].question.correct))
    quiz = progress.default_store().data()["quizzes"][QUIZ]
    assert (quiz["first_try"], quiz["answered"], quiz["total"]) == (1, 1, 15)
    assert quiz["best_first_try"] == 3
    report = progress.default_store().report()
    assert "1 / 15 right at the first try in your latest run" in report.quiz_line()
    assert "best 3 / 15" in report.quiz_line()


# --- never loses data ---------------------------------------------------------------------------


def _write_many(path: str, writer: int, count: int) -> None:
    store = ProgressStore(path)
    for i in range(count):
        store.record_answer(NB1, f"writer{writer}-item{i}", i % 2 == 0, (i % 4,))
        store.record_answer(NB1, "shared", True, (writer,))


@pytest.mark.slow
def test_concurrent_writers_in_separate_processes_lose_nothing(tmp_path):
    path = str(tmp_path / "progress.json")
    writers, count = 4, 50
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters, as separate kernels are
    procs = [ctx.Process(target=_write_many, args=(path, k, count)) for k in range(writers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * writers
    answers = json.loads(Path(path).read_text())["answers"]
    expected = {f"writer{k}-item{i}" for k in range(writers) for i in range(count)}
    assert expected <= set(answers) and len(answers) == writers * count + 1
    assert answers["shared"]["attempts"] == writers * count  # every increment survived
    assert not list(tmp_path.glob("*.tmp"))


def test_a_corrupted_file_is_kept_aside_and_a_fresh_one_started(store):
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(b'{"version": 2, "answers": {tru')
    with pytest.warns(ProgressWarning, match="could not be read.*kept as progress.json.corrupt-"):
        store.complete(NB1, END1)
    (backup,) = store.path.parent.glob("progress.json.corrupt-*")
    assert backup.read_bytes() == b'{"version": 2, "answers": {tru'
    assert _saved(store)["sections"] == {NB1: {END1: _saved(store)["sections"][NB1][END1]}}


@pytest.mark.parametrize(
    "content",
    [
        "[]",
        '{"version": "two"}',
        '{"version": 2, "created": "t", "updated": "t", "sections": {}, "quizzes": {},'
        ' "answers": {"q": {"attempts": 0}}}',
        "\udcff",
    ],
)
def test_json_of_the_wrong_shape_counts_as_corrupted(store, content):
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(content.encode("utf-8", "surrogateescape"))
    with pytest.warns(ProgressWarning, match="could not be read"):
        data = store.data()
    assert data["answers"] == {} and data["version"] == FORMAT_VERSION
    assert len(list(store.path.parent.glob("progress.json.corrupt-*"))) == 1


def _start_page() -> None:
    ProgressView().text_summary()


def _practice_check() -> None:
    practice.questions(NB1)[0].check("A")


def _complete() -> None:
    progress.complete(NB1, END1)


@pytest.mark.parametrize("entry", [_start_page, _practice_check, _complete])
def test_a_deeply_nested_file_is_kept_aside_not_a_recursion_error(progress_home, entry):
    path = progress_home / "progress.json"
    brackets = b"[" * 100_000 + b"]" * 100_000
    path.write_bytes(brackets)
    with pytest.warns(ProgressWarning, match=f"nested deeper than {progress.MAX_DEPTH} levels"):
        entry()
    (kept,) = progress_home.glob("progress.json.corrupt-*")
    assert kept.read_bytes() == brackets  # set aside, never deleted
    assert json.loads(path.read_text())["version"] == FORMAT_VERSION  # a fresh record


def test_an_oversized_file_is_kept_aside_unread(store):
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(b"{" + b" " * progress.MAX_FILE_BYTES + b"}")
    with pytest.warns(ProgressWarning, match=f"larger than {progress.MAX_FILE_BYTES} bytes"):
        store.complete(NB1, END1)
    (kept,) = store.path.parent.glob("progress.json.corrupt-*")
    assert kept.stat().st_size == progress.MAX_FILE_BYTES + 2
    assert END1 in _saved(store)["sections"][NB1]


def test_brackets_inside_strings_do_not_count_as_depth(store):
    store.record_answer(NB1, "[{" * 40 + 'a "quoted" \\ id', True, (0,))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(store.data()["answers"]) == 1
    assert progress.decode(store.path.read_bytes()) == store.data()


def test_a_second_corrupt_file_never_overwrites_the_first_kept_one(store, monkeypatch):
    store.path.parent.mkdir(parents=True)
    stamp = "20250101T000000000000Z"
    monkeypatch.setattr(progress, "datetime", _FrozenClock)  # both set aside at one instant
    for content in (b"one", b"two"):
        store.path.write_bytes(content)
        with pytest.warns(ProgressWarning):
            store.data()
    kept = sorted(store.path.parent.glob("progress.json.corrupt-*"))
    assert [k.name.split("corrupt-")[1] for k in kept] == [stamp, f"{stamp}-1"]
    assert [k.read_bytes() for k in kept] == [b"one", b"two"]


class _FrozenClock(datetime):
    @classmethod
    def now(cls, tz=None):
        return datetime(2025, 1, 1, tzinfo=timezone.utc)


# --- temporary files of killed writers -----------------------------------------------------------


def test_temp_files_of_dead_writers_are_removed_by_the_next_write(store):
    store.complete(NB1, END1)
    folder = store.path.parent
    dead = [folder / f".progress.json.dead{i:04d}.tmp" for i in range(3)]
    dead.append(folder / ".progress.json.before-reset-20250101T000000000000Z.abcd1234.tmp")
    others = [folder / "notes.tmp", folder / ".other.json.abcd1234.tmp"]
    for file in dead + others:
        file.write_text("{half a rec")
    store.record_answer(NB1, "q", True, (0,))
    assert not any(f.exists() for f in dead)
    assert all(f.exists() for f in others)  # not this store's: left alone
    assert END1 in _saved(store)["sections"][NB1] and "q" in _saved(store)["answers"]


_KILLED_WRITER = """
import os, signal, sys
from mesatoys.course import progress
store = progress.ProgressStore(sys.argv[1])
os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL)  # dies mid-write
store.record_answer("01_the_two_layer_problem", sys.argv[2], True, (0,))
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_writer_killed_mid_write_leaves_no_temp_file_for_long(store):
    store.complete(NB1, END1)
    for k in range(3):
        killed = subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(store.path), f"k{k}"])
        assert killed.returncode == -9
    # Each killed writer left a temp file, and each later writer removed the one before it.
    assert len(list(store.path.parent.glob(".progress.json.*.tmp"))) == 1
    store.record_answer(NB1, "after", True, (0,))
    assert not list(store.path.parent.glob("*.tmp"))
    assert set(_saved(store)["answers"]) == {"after"} and END1 in _saved(store)["sections"][NB1]


def test_without_a_lock_only_old_temp_files_are_removed(store, monkeypatch):
    monkeypatch.setattr(progress, "fcntl", None)  # as on Windows: another writer may be live
    store.path.parent.mkdir(parents=True)
    old = store.path.parent / ".progress.json.old12345.tmp"
    live = store.path.parent / ".progress.json.live1234.tmp"
    for file in (old, live):
        file.write_text("{")
    stale = time.time() - progress.UNLOCKED_TEMP_AGE - 60
    os.utime(old, (stale, stale))
    store.complete(NB1, END1)
    assert not old.exists() and live.exists()


# --- a symbolic link as the progress file -------------------------------------------------------


@pytest.fixture
def linked(tmp_path):
    """A store whose progress.json is a symbolic link to a file in another folder."""
    real = tmp_path / "synced" / "my-progress.json"
    real.parent.mkdir()
    link = tmp_path / "home" / "progress.json"
    link.parent.mkdir()
    link.symlink_to(real)
    return ProgressStore(link), real


def test_a_symlinked_file_is_written_through_and_stays_a_link(linked):
    store, real = linked
    store.complete(NB1, END1)
    store.record_answer(NB1, "q", True, (0,))
    assert store.path.is_symlink() and store.path.resolve() == real
    assert END1 in json.loads(real.read_text())["sections"][NB1]
    assert "q" in json.loads(real.read_text())["answers"]
    assert not list(real.parent.glob("*.tmp")) and not list(store.path.parent.glob("*.tmp"))


def test_a_symlinked_file_keeps_its_link_through_reset_and_damage(linked):
    store, real = linked
    store.complete(NB1, END1)
    kept = store.reset()
    assert store.path.is_symlink() and kept.parent == real.parent
    assert END1 in json.loads(kept.read_text())["sections"][NB1]
    real.write_text("[" * 100)
    with pytest.warns(ProgressWarning, match="could not be read"):
        store.complete(NB1, END1)
    assert store.path.is_symlink() and END1 in json.loads(real.read_text())["sections"][NB1]
    (damaged,) = real.parent.glob("my-progress.json.corrupt-*")
    assert damaged.read_text() == "[" * 100


def test_a_symlink_loop_is_refused_with_a_message(tmp_path):
    link = tmp_path / "progress.json"
    link.symlink_to(tmp_path / "loop")
    (tmp_path / "loop").symlink_to(link)
    store = ProgressStore(link)
    with pytest.warns(ProgressWarning, match="symbolic links form a loop"):
        store.complete(NB1, END1)
    assert store.in_memory and link.is_symlink() and (tmp_path / "loop").is_symlink()


def test_a_home_that_cannot_be_created_keeps_progress_in_memory(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    store = ProgressStore(blocker / "home" / "progress.json")
    with pytest.warns(ProgressWarning, match="cannot be saved.*kept in memory"):
        store.complete(NB1, END1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the warning is given once, not on every answer
        store.record_answer(NB1, "q", True, (0,))
        view = ProgressView(store)
        assert "Not saved:" in view.text_summary()
    assert store.in_memory and "MESATOYS_HOME" in store.problem
    assert END1 in store.data()["sections"][NB1] and "q" in store.data()["answers"]


def test_a_failing_replace_leaves_the_saved_file_untouched(store, monkeypatch):
    store.complete(NB1, END1)
    before = store.path.read_bytes()

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(progress.os, "replace", refuse)
    with pytest.warns(ProgressWarning, match="Permission denied"):
        store.record_answer(NB1, "q", True, (0,))
    assert store.path.read_bytes() == before
    assert not list(store.path.parent.glob("*.tmp"))  # the half-made file was removed
    data = store.data()  # what was saved before, plus this session's answer
    assert END1 in data["sections"][NB1] and data["answers"]["q"]["attempts"] == 1


def test_a_crash_while_writing_keeps_the_previous_version(store, monkeypatch):
    store.complete(NB1, END1)
    before = store.path.read_bytes()
    monkeypatch.setattr(progress.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(5, "EIO")))
    with pytest.warns(ProgressWarning):
        store.record_answer(NB1, "q", True, (0,))
    assert store.path.read_bytes() == before and json.loads(before)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores chmod")
def test_a_read_only_home_keeps_progress_in_memory(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o500)
    try:
        store = ProgressStore(home / "progress.json")
        with pytest.warns(ProgressWarning):
            store.complete(NB1, END1)
        assert store.in_memory
    finally:
        home.chmod(0o700)


def test_a_newer_format_is_left_untouched(store):
    store.path.parent.mkdir(parents=True)
    newer = json.dumps({"version": FORMAT_VERSION + 1, "whatever": {"comes": "next"}})
    store.path.write_text(newer)
    with pytest.warns(ProgressWarning, match=r"left untouched.*newer mesatoys.*update mesatoys"):
        store.complete(NB1, END1)
    store.record_answer(NB1, "q", True, (0,))
    store.reset()
    assert store.path.read_text() == newer
    assert store.in_memory and not list(store.path.parent.glob("*.before-reset*"))
    with pytest.raises(progress.NewerFormatError, match=f"format {FORMAT_VERSION + 1}"):
        progress.decode(newer.encode())


def test_a_version_1_file_is_kept_aside_not_migrated(store):
    # Format version 1 never shipped: there is no migration, and such a file is set aside.
    old = {"version": 1, "completed": [f"{NB1}/{END1}"], "answers": {}}
    store.path.parent.mkdir(parents=True)
    store.path.write_text(json.dumps(old))
    with pytest.warns(ProgressWarning, match=f"version must be {FORMAT_VERSION}, got 1"):
        data = store.data()
    assert data["sections"] == {} and not hasattr(progress, "MIGRATIONS")
    (kept,) = store.path.parent.glob("progress.json.corrupt-*")
    assert json.loads(kept.read_text()) == old


def test_the_module_docstring_names_every_package_it_imports():
    tree = ast.parse(Path(progress.__file__).read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    ours = {m for m in imported if m.split(".")[0] not in sys.stdlib_module_names}
    doc = " ".join(progress.__doc__.split())
    assert "ipywidgets loads only when" in doc  # imported inside the widget's method
    ours -= {"__future__", "ipywidgets"}
    assert ours == {"mesatoys.course.bank", "mesatoys.course.exercises", "mesatoys.display"}
    assert "imports only the standard library" not in doc
    assert all(f":mod:`{m}`" in doc for m in ours)


# --- reset and export ---------------------------------------------------------------------------


def test_reset_needs_confirmation_and_keeps_a_copy(progress_home, capsys):
    progress.complete(NB1, END1)
    assert progress.reset() is False
    assert END1 in progress.default_store().data()["sections"][NB1]
    assert "confirm=True" in capsys.readouterr().out
    assert progress.reset(confirm=True) is True
    assert progress.default_store().data()["sections"] == {}
    (kept,) = progress_home.glob("progress.json.before-reset-*")
    assert END1 in json.loads(kept.read_text())["sections"][NB1]
    assert str(kept) in capsys.readouterr().out  # the message says where the copy is


def test_every_reset_keeps_its_own_copy(progress_home):
    progress.complete(NB1, END1)
    progress.reset(confirm=True)
    progress.default_store().record_answer(NB1, "q", True, (0,))
    progress.reset(confirm=True)
    progress.reset(confirm=True)  # nothing saved since: the empty record gets its own copy
    kept = sorted(progress_home.glob("progress.json.before-reset-*"))
    records = [json.loads(k.read_text()) for k in kept]
    assert len(kept) == 3  # no reset overwrote an earlier copy
    assert END1 in records[0]["sections"][NB1] and records[0]["answers"] == {}
    assert records[1]["sections"] == {} and "q" in records[1]["answers"]
    assert records[2]["sections"] == {} and records[2]["answers"] == {}


def test_export_gives_the_same_record_as_json_and_as_a_file(store, tmp_path):
    store.complete(NB1, END1)
    store.record_answer(NB1, "q", True, (2,))
    exported = json.loads(store.export_json())
    assert exported == _saved(store)
    target = store.export_to(tmp_path / "copy.json")
    assert json.loads(target.read_text()) == exported
    with pytest.raises(TypeError, match="path must be"):
        store.export_to(3)


# --- the widget ---------------------------------------------------------------------------------


def _answer_some(store: ProgressStore) -> None:
    store.complete(NB1, END1)
    for q, right in zip(load_bank("03_inner_alignment")[:3], (True, False, True), strict=True):
        store.record_answer("03_inner_alignment", q.id, right, (0,))


def test_summary_counts_per_notebook(store):
    _answer_some(store)
    rows = {n.name: n for n in store.report().notebooks}
    assert list(rows) == list(bank_names())
    first = rows[NB1]
    assert (first.sections_done, first.sections_total, first.reached_end) == (1, 1, True)
    inner = rows["03_inner_alignment"]
    assert (inner.right_first_time, inner.answered, inner.questions) == (2, 3, 5)
    assert rows["06_defenses"].questions == 5 and rows[QUIZ].questions == 15


def test_running_every_cell_without_answering_is_not_done(store):
    store.complete(NB1, END1)  # Run All reaches the last cell
    first = store.report().notebooks[0]
    assert first.reached_end and not first.finished
    n_exercises = len(exercises.ids_for(NB1))
    assert first.left() == (
        f"pass {n_exercises} more exercises and answer {first.questions} more practice questions"
    )
    assert store.report().next_step().startswith("Next: 01 · The two-layer problem: pass")


def test_a_notebook_is_done_when_its_exercises_pass_and_its_practice_is_answered(store):
    questions, ids = load_bank(NB1), exercises.ids_for(NB1)
    for q in questions[:-1]:
        store.record_answer(NB1, q.id, False, (0,))
    for exercise_id in ids[:-1]:
        store.record_exercise(NB1, exercise_id)
    first = store.report().notebooks[0]
    assert not first.finished
    assert first.left() == "pass 1 more exercise and answer 1 more practice question"
    store.record_answer(NB1, questions[-1].id, True, (0,))
    assert store.report().notebooks[0].left() == "pass 1 more exercise"
    store.record_exercise(NB1, ids[-1])
    first = store.report().notebooks[0]
    assert first.finished and first.left() == "done" and not first.reached_end
    assert first.exercises_passed == first.exercises == len(ids)
    assert store.report().next_step().startswith("Next: 02")


def test_passing_an_exercise_again_keeps_the_first_time(store):
    exercise_id = exercises.ids_for(NB1)[0]
    store.record_exercise(NB1, exercise_id)
    first = store.data()["exercises"][exercise_id]["passed_at"]
    store.record_exercise(NB1, exercise_id)
    assert store.data()["exercises"][exercise_id] == {"notebook": NB1, "passed_at": first}
    with pytest.raises(ValueError, match="exercise_id"):
        store.record_exercise(NB1, "")


def test_a_file_from_before_exercises_still_loads(store):
    store.complete(NB1, END1)
    data = json.loads(store.path.read_text())
    del data["exercises"]
    store.path.write_text(json.dumps(data))
    assert store.report().notebooks[0].exercises_passed == 0
    store.record_exercise(NB1, exercises.ids_for(NB1)[0])
    assert store.report().notebooks[0].exercises_passed == 1


def test_text_summary_shows_what_the_widget_shows(store):
    _answer_some(store)
    view = ProgressView(store)
    text = view.text_summary()
    assert re.search(
        r"01 · The two-layer problem\s+yes\s+0 / \d+ passed\s+0 / \d+ right first", text
    )
    assert re.search(
        r"03 · Inner alignment\s+not yet\s+\S.*?\s+2 / 5 right first time \(3 answered\)\s+"
        r".*answer 2 more practice questions",
        text,
    )
    assert "Next: 01 · The two-layer problem: pass" in text
    assert "Practice quiz (notebook 07): not started." in text and str(store.path) in text
    table = view.widget.children[1].value
    assert "2 / 5 right first time (3 answered)" in table and "read to the end" in table
    assert "answer 2 more practice questions" in table
    assert view._repr_mimebundle_()["text/plain"] == text


def test_widget_reset_is_two_steps_and_cancellable(store):
    _answer_some(store)
    view = ProgressView(store)
    view.widget  # noqa: B018
    assert not view.confirming
    view.reset_button.click()
    assert view.confirming and store.data()["sections"]  # asked, nothing erased yet
    view.cancel_button.click()
    assert not view.confirming and store.data()["sections"] and "Nothing was erased" in view.status
    view.reset_button.click()
    view.confirm_button.click()
    assert store.data()["sections"] == {} and store.data()["answers"] == {}
    assert ">yes<" not in view.widget.children[1].value and "erased" in view.status
    (kept,) = store.path.parent.glob("progress.json.before-reset-*")
    assert kept.name in view.status
    buttons = view.controls
    assert all(isinstance(b, w.Button) and b.description for b in buttons)  # keyboard-focusable


def test_widget_export_writes_a_file_in_the_current_folder(store, tmp_path, monkeypatch):
    _answer_some(store)
    monkeypatch.chdir(tmp_path)
    view = ProgressView(store)
    export = view.controls[1]
    assert export.description == "Export"
    export.click()
    (exported,) = tmp_path.glob("mesatoys-progress-*.json")
    assert json.loads(exported.read_text()) == store.data() and str(exported) in view.status


def test_refresh_shows_progress_made_elsewhere(store):
    view = ProgressView(store)
    assert ">yes<" not in view.widget.children[1].value
    ProgressStore(store.path).complete(NB1, END1)  # another kernel
    view.refresh_button.click()
    assert ">yes<" in view.widget.children[1].value


# --- the course -----------------------------------------------------------------------------------


def test_the_outline_covers_every_notebook_with_a_bank():
    assert list(OUTLINE) == list(bank_names())


@pytest.mark.parametrize("name", list(OUTLINE))
def test_each_notebook_completes_its_outline_sections_at_their_headings(name):
    nb = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in nb["cells"]]
    headings = {line.lstrip("#").strip() for s in sources for line in s.splitlines()}
    calls = re.findall(r'progress\.complete\(\s*"([^"]+)",\s*"([^"]+)"\)', "\n".join(sources))
    assert sorted(calls) == sorted((name, section) for section in OUTLINE[name])
    assert set(OUTLINE[name]) <= headings


def test_importing_progress_loads_neither_widgets_nor_matplotlib_nor_the_toys():
    code = (
        "import sys\nfrom mesatoys.course import progress, practice\n"
        "practice.questions('01_the_two_layer_problem')\n"
        "print(sorted(m for m in ('ipywidgets', 'matplotlib', 'mesatoys.experiments') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
