"""Students kept apart on one machine: a JupyterHub whose servers run as distinct Unix users.

The test creates an instructor and two students as Unix users (``useradd``; removed at the
end), lays out the exchange as ``make course-exchange`` does as root with a roster, and starts
a real hub on 127.0.0.1 whose ``LocalProcessSpawner`` runs each server as its user. The
instructor releases the quiz through the formgrader; both students fetch, answer (Alice one
question wrong, Bob four) and submit through their servers.

Then Alice attacks Bob's work as her own Unix user: a script run as her lists, reads,
renames and writes into Bob's submission and feedback folders, knowing their exact names;
she plants a submission in Bob's name in her own folder; and through her own server she
submits under Bob's name, once with the course's exchange and once with nbgrader's default
one. Every attempt is refused by the file system, by the exchange or at collection. The
instructor collects, autogrades and returns feedback: each student's score is the one their
own answers earn, and each fetches only their own page.

Needs root (skipped otherwise, with the reason), JupyterHub and its proxy; no browser.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.error
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import course as c
import pytest
from hub_session import COURSE_ID, SINGLEUSER, HubError, LoopbackHub, proxy_path
from loopback import skip_module_unless
from quiz import answered, expected_score, zero_scored_tests
from unix_users import enterable, python_for, run_as, unix_users, unix_users_unavailable

from mesatoys.grading.exchange import Owner, prepare_exchange

skip_module_unless(
    "the isolation tests",
    [
        ("JupyterHub (pip install jupyterhub)", SINGLEUSER.exists()),
        ("its proxy (npm install -g configurable-http-proxy)", proxy_path() is not None),
    ],
)
if unix_users_unavailable():
    pytest.skip(unix_users_unavailable(), allow_module_level=True)

pytestmark = [pytest.mark.slow, pytest.mark.hub]

WRONG = {"a": {4}, "b": {1, 6, 9, 12}}  # questions each student answers wrongly
QUIZ_PATH = f"{c.QUIZ}/{c.QUIZ}.ipynb"
LATER = "2099-01-01 00:00:00.000000 UTC"  # a forged submission claims to be the latest
PYTHON_PARENT = "/var/tmp"  # where the servers' interpreter goes, if one must be made

# What Alice tries, as her Unix user. Each attempt prints "refused" or what it got.
ATTACK = r"""
import json, os, sys
paths = json.loads(sys.argv[1])
def attempt(action):
    try:
        result = action()
    except OSError as error:
        return f"refused ({error.strerror})"
    return f"ALLOWED: {str(result)[:80]}"
out = {}
for name, path in paths.items():
    if name.startswith("list"):
        out[name] = attempt(lambda: os.listdir(path))
    elif name.startswith("read"):
        out[name] = attempt(lambda: open(path, "rb").read(40))
    elif name.startswith("rename"):
        out[name] = attempt(lambda: os.rename(path, path + "-gone"))
    elif name.startswith("delete"):
        out[name] = attempt(lambda: os.unlink(path))
    elif name.startswith("write"):
        out[name] = attempt(lambda: open(path, "xb").write(b"forged"))
    elif name.startswith("mkdir"):
        out[name] = attempt(lambda: os.mkdir(path))
print(json.dumps(out))
"""


@dataclass
class Isolation:
    """What the run saw, for the tests to check."""

    hub: LoopbackHub
    users: dict
    attacks: dict[str, str] = field(default_factory=dict)
    server_submit_as_bob: str = ""
    default_submit_as_bob: str = ""
    collect_log: str = ""
    collected: list[str] = field(default_factory=list)
    submissions: dict[str, dict] = field(default_factory=dict)
    feedback_text: dict[str, str] = field(default_factory=dict)
    feedback_attacks: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def name(self, role: str) -> str:
        return self.users[role].pw_name


def course_folder(room: Isolation, kind: str, role: str = "") -> Path:
    folder = room.hub.exchange / COURSE_ID / kind
    return folder / room.name(role) if role else folder


def alice_tries(room: Isolation, paths: dict[str, str]) -> dict[str, str]:
    """Run :data:`ATTACK` as Alice's Unix user on ``paths``."""
    result = run_as(room.users["a"], [str(room.hub.python), "-I", "-c", ATTACK, json.dumps(paths)])
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def prepare(room: Isolation) -> None:
    """Homes (the course in the instructor's), lab settings, and the exchange's folders."""
    hub, users = room.hub, room.users
    instructor = hub.home(room.name("i"))
    course = c.copy_course(instructor)
    (instructor / ".jupyter").mkdir()
    (instructor / ".jupyter" / "nbgrader_config.py").write_text(
        f"c = get_config()\nload_subconfig({str(course / 'nbgrader_config.py')!r})\n"
    )
    for entry in users.values():
        for path in [hub.home(entry.pw_name), *hub.home(entry.pw_name).rglob("*")]:
            os.chown(path, entry.pw_uid, entry.pw_gid)
    # As `sudo make course-exchange ROSTER=...`: every student's folders made in advance.
    owner = Owner(users["i"].pw_uid, users["i"].pw_gid)
    students = [room.name("a"), room.name("b")]
    prepare_exchange(hub.exchange, COURSE_ID, owner=owner, students=students)


def submit(room: Isolation, role: str) -> None:
    """Fetch, answer and submit through the student's own server."""
    hub, user = room.hub, room.name(role)
    hub.assignments(user, "fetch", assignment_id=c.QUIZ)
    notebook = hub.read_file(user, QUIZ_PATH)["content"]
    hub.write_notebook(user, QUIZ_PATH, answered(notebook, WRONG[role]))
    hub.assignments(user, "submit", assignment_id=c.QUIZ)


def bobs_files(room: Isolation) -> dict[str, str]:
    """Paths of Bob's submission that Alice will try, exact names included."""
    inbound = course_folder(room, "inbound", "b")
    (submission,) = inbound.iterdir()
    return {
        "list inbound/": str(course_folder(room, "inbound")),
        "list inbound/bob": str(inbound),
        "read bob's notebook": str(submission / f"{c.QUIZ}.ipynb"),
        "read bob's secret": str(submission / "submission_secret.txt"),
        "rename bob's folder": str(inbound),
        "rename bob's submission": str(submission),
        "delete bob's notebook": str(submission / f"{c.QUIZ}.ipynb"),
        "mkdir a submission in bob's folder": str(inbound / f"{room.name('b')}+{c.QUIZ}+{LATER}"),
        "list feedback/": str(course_folder(room, "feedback")),
        "list feedback/bob": str(course_folder(room, "feedback", "b")),
        "write a page into feedback/bob": str(course_folder(room, "feedback", "b") / "x.html"),
    }


def alice_forges_submissions(room: Isolation) -> None:
    """Two submissions named as Bob's, every answer right: one in Alice's own folder, one
    straight in ``inbound/`` (where nbgrader's own exchange puts them). She may make both."""
    bob, quiz = room.name("b"), f"{c.QUIZ}.ipynb"
    notebook = json.dumps(answered(room.hub.read_file(room.name("a"), QUIZ_PATH)["content"], set()))
    script = (
        "import os, sys\n"
        "for folder in sys.argv[2:]:\n"
        "    os.mkdir(folder)\n"
        "    open(os.path.join(folder, sys.argv[1]), 'w').write(os.environ['NOTEBOOK'])\n"
    )
    forged = [
        course_folder(room, "inbound", "a") / f"{bob}+{c.QUIZ}+{LATER}+mine",
        course_folder(room, "inbound") / f"{bob}+{c.QUIZ}+{LATER}+flat",
    ]
    command = [str(room.hub.python), "-I", "-c", script, quiz, *map(str, forged)]
    result = run_as(room.users["a"], command, env={"NOTEBOOK": notebook})
    assert result.returncode == 0, result.stderr  # nothing stops her writing these


def alice_submits_as_bob_through_her_server(room: Isolation) -> None:
    """Her server's Assignments API with a config that names Bob: with the course's exchange,
    then with nbgrader's default one."""
    hub, alice, bob = room.hub, room.name("a"), room.name("b")
    config = f"c = get_config()\nc.CourseDirectory.student_id = {bob!r}\n"
    default = config + "c.ExchangeFactory.submit = 'nbgrader.exchange.default.ExchangeSubmit'\n"
    for attribute, text in (("server_submit_as_bob", config), ("default_submit_as_bob", default)):
        hub.request(
            f"/user/{alice}/api/contents/nbgrader_config.py",
            method="PUT",
            body={"type": "file", "format": "text", "content": text},
        )
        try:
            hub.assignments(alice, "submit", assignment_id=c.QUIZ)
            setattr(room, attribute, "submitted")
        except HubError as error:
            setattr(room, attribute, str(error))
    hub.request(f"/user/{alice}/api/contents/nbgrader_config.py", method="DELETE", raw=True)


def instructor_grades(room: Isolation) -> None:
    """Collect (keeping the log), autograde each student, release feedback."""
    hub = room.hub
    answer = hub.formgrader(f"/assignment/{c.QUIZ}/collect", method="POST")
    room.collect_log = answer.get("log", "")
    course = hub.home(room.name("i")) / "course"
    room.collected = sorted(p.name for p in (course / "submitted").iterdir())
    for role in ("a", "b"):
        hub.formgrader(f"/submission/{c.QUIZ}/{room.name(role)}/autograde", method="POST")
    room.submissions = {s["student"]: s for s in hub.formgrader(f"/submissions/{c.QUIZ}")}
    hub.formgrader(f"/assignment/{c.QUIZ}/generate_feedback", method="POST")
    hub.formgrader(f"/assignment/{c.QUIZ}/release_feedback", method="POST")


def students_fetch_feedback(room: Isolation) -> None:
    hub = room.hub
    for role in ("a", "b"):
        user = room.name(role)
        hub.assignments(user, "fetch_feedback", assignment_id=c.QUIZ)
        pages = [
            entry["path"]
            for folder in hub.read_file(user, f"{c.QUIZ}/feedback")["content"]
            for entry in hub.read_file(user, folder["path"])["content"]
        ]
        room.feedback_text[role] = "\n".join(hub.read_file(user, p)["content"] for p in pages)


def bobs_feedback(room: Isolation) -> dict[str, str]:
    (page,) = course_folder(room, "feedback", "b").iterdir()
    return {"read bob's feedback page": str(page), "delete bob's feedback page": str(page)}


def run(room: Isolation) -> None:
    last = time.monotonic()

    def step(name: str) -> None:
        nonlocal last
        room.seconds[name] = round(time.monotonic() - last, 2)
        last = time.monotonic()

    hub = room.hub
    hub.start()
    hub.spawn(room.name("i"), room.name("a"), room.name("b"))
    step("hub started, three servers as three Unix users")
    hub.formgrader(f"/assignment/{c.QUIZ}/assign", method="POST")
    hub.formgrader(f"/assignment/{c.QUIZ}/release", method="POST")
    submit(room, "b")
    submit(room, "a")
    step("released; both students fetched and submitted")
    room.attacks = alice_tries(room, bobs_files(room))
    alice_forges_submissions(room)
    alice_submits_as_bob_through_her_server(room)
    step("alice's attempts")
    instructor_grades(room)
    step("instructor collected, autograded, released feedback")
    students_fetch_feedback(room)
    room.feedback_attacks = alice_tries(room, bobs_feedback(room))
    step("students fetched feedback; alice's attempts on it")


@pytest.fixture(scope="module")
def isolation() -> Iterator[Isolation]:
    root = Path(tempfile.mkdtemp(prefix="mesatoys-isolation-"))
    root.chmod(0o755)  # the users reach the exchange and the shared config through it
    # Not under /tmp: the grading sandbox mounts a fresh /tmp over whatever is there.
    python_dir = Path(tempfile.mkdtemp(prefix="mesatoys-python-", dir=PYTHON_PARENT))
    python_dir.chmod(0o755)
    try:
        with (
            enterable(Path(sys.base_prefix)),
            unix_users(root / "homes", ["i", "a", "b"]) as users,
        ):
            python = python_for(users["a"], python_dir / "env")
            if python is None:
                pytest.skip("no Python interpreter that other Unix users may run was found")
            names = {role: entry.pw_name for role, entry in users.items()}
            hub = LoopbackHub(
                root, [names["a"], names["b"]], names["i"], unix_users=True, python=python
            )
            room = Isolation(hub=hub, users=users)
            prepare(room)
            try:
                run(room)
                yield room
            finally:
                hub.stop()
                artifacts = c.REPO / "test-artifacts" / "hub-isolation"
                artifacts.mkdir(parents=True, exist_ok=True)
                if hub.log_path.exists():
                    shutil.copy(hub.log_path, artifacts / "jupyterhub.log")
                (artifacts / "timings.json").write_text(json.dumps(room.seconds, indent=1))
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(python_dir, ignore_errors=True)


# --- what Alice could not do ------------------------------------------------------------------


def test_alice_cannot_list_read_rename_delete_or_write_bobs_submission(isolation):
    refused = {what: result for what, result in isolation.attacks.items()}
    assert all(result.startswith("refused") for result in refused.values()), refused
    assert len(refused) == 11


def test_alice_cannot_read_or_delete_bobs_feedback_even_knowing_its_name(isolation):
    attacks = isolation.feedback_attacks
    assert all(result.startswith("refused") for result in attacks.values()), attacks


def test_alice_cannot_submit_in_bobs_name_through_her_server(isolation):
    bob = isolation.name("b")
    # The course's exchange: Bob's folder is his.
    assert f"belongs to {bob}, not to you" in isolation.server_submit_as_bob
    # nbgrader's default exchange wants a world-writable exchange root; this one is not.
    assert "Unwritable directory" in isolation.default_submit_as_bob


def test_submissions_alice_forged_in_bobs_name_are_refused_at_collection(isolation):
    log, bob, alice = isolation.collect_log, isolation.name("b"), isolation.name("a")
    # Straight in inbound/, as nbgrader's own exchange would put it: not a student's folder.
    assert re.search(
        rf"Refused \S*/inbound/{bob}\+{c.QUIZ}\+.*?\+flat: not named by a student", log
    )
    # In her own folder, named as Bob's: refused.
    assert f"it claims to be {bob}'s but is in {alice}'s folder" in log


# --- what the instructor still does -----------------------------------------------------------


def test_the_instructor_collects_each_students_own_submission(isolation):
    assert isolation.collected == sorted([isolation.name("a"), isolation.name("b")])


def test_each_score_is_the_one_the_students_own_answers_earn(isolation):
    for role in ("a", "b"):
        submission = isolation.submissions[isolation.name(role)]
        assert submission["code_score"] == expected_score(WRONG[role]), role


def test_each_student_fetches_only_their_own_feedback(isolation):
    for role in ("a", "b"):
        text = isolation.feedback_text[role]
        assert zero_scored_tests(html.unescape(text)) == WRONG[role], role


def test_no_process_of_the_test_users_is_left(isolation):
    from unix_users import processes_of

    isolation.hub.stop()
    assert all(processes_of(entry.pw_uid) == [] for entry in isolation.users.values())
    with pytest.raises(urllib.error.URLError):
        isolation.hub.hub_api("")
