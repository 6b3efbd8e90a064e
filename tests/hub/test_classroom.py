"""A class on a real JupyterHub: an instructor and two students, each with their own server.

JupyterHub and its proxy run on 127.0.0.1 (``hub_session``). The instructor generates and
releases the end-of-lesson quiz through the formgrader on their server. Alice logs in
through the hub's login page in Chromium, fetches the quiz from JupyterLab's *Assignments*
tab, opens it from there and submits it with the *Submit* button; her answers are saved
through her server's contents API, as JupyterLab's Save does. Bob does the same through
his server's REST API. The students answer differently. The instructor collects,
autogrades, generates and releases feedback; each student fetches their own.

The expected scores come from the points of the source notebook's test cells and the
answers each student gave, not from nbgrader. The run is done once per module (the
``classroom`` fixture); the tests then check what it recorded. Run it alone with
``make test-hub`` (``pytest -m hub``). Screenshots and the hub's log go to
``test-artifacts/hub/``.
"""

from __future__ import annotations

import html
import json
import shutil
import tempfile
import time
import urllib.error
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import course as c
import pytest
from hub_session import COURSE_ID, SINGLEUSER, LoopbackHub, proxy_path
from loopback import (
    QUIET_LAB_SETTINGS,
    browser_requirements,
    loopback_context,
    skip_module_unless,
    write_lab_settings,
)
from quiz import answered, expected_score, source_points, zero_scored_tests

if TYPE_CHECKING:
    from playwright.sync_api import Page

skip_module_unless(
    "the JupyterHub classroom tests",
    [
        ("JupyterHub (pip install jupyterhub)", SINGLEUSER.exists()),
        ("its proxy (npm install -g configurable-http-proxy)", proxy_path() is not None),
        *browser_requirements(),
    ],
)

pytestmark = [pytest.mark.slow, pytest.mark.hub]

ARTIFACTS = c.REPO / "test-artifacts" / "hub"
INSTRUCTOR = "instructor"
BROWSER_STUDENT, API_STUDENT = "alice", "bob"
STUDENTS = (BROWSER_STUDENT, API_STUDENT)
# The auto-graded questions each student answers wrongly (all others right).
WRONG = {BROWSER_STUDENT: {4}, API_STUDENT: {1, 6, 9, 12}}
QUIZ_PATH = f"{c.QUIZ}/{c.QUIZ}.ipynb"
UI_TIMEOUT_MS = 60_000


@dataclass
class Classroom:
    """What the run saw, for the tests to check."""

    hub: LoopbackHub
    released_source: str = ""
    fetched: dict[str, list[dict]] = field(default_factory=dict)
    inbound: dict[str, list[str]] = field(default_factory=dict)
    collected: list[str] = field(default_factory=list)
    submissions: dict[str, dict] = field(default_factory=dict)
    feedback_pages: dict[str, list[str]] = field(default_factory=dict)
    feedback_text: dict[str, str] = field(default_factory=dict)
    formgrader_status: dict[str, int] = field(default_factory=dict)
    student_menu: list[str] = field(default_factory=list)
    browser_statuses: list[str] = field(default_factory=list)
    opened_notebook_answers: str = ""
    feedback_in_browser: str = ""
    blocked: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


# --- setting up the homes -------------------------------------------------------------------


def prepare_homes(hub: LoopbackHub) -> None:
    """The instructor's home holds the course; each student's names their hub user."""
    instructor = hub.home(INSTRUCTOR)
    instructor.mkdir(parents=True)
    course = c.copy_course(instructor)
    # The formgrader reads nbgrader_config.py from Jupyter's config path: point it at the
    # course's own config (docs/deploy.md, "The instructor's server"). Every server here runs
    # as one Unix user, as every pod on Kubernetes runs as uid 1000: no folder's owner tells
    # students apart, so collect does not ask (the z2jh config says the same).
    (instructor / ".jupyter").mkdir()
    (instructor / ".jupyter" / "nbgrader_config.py").write_text(
        f"c = get_config()\nload_subconfig({str(course / 'nbgrader_config.py')!r})\n"
        "c.ExchangeCollect.check_owner = False\n"
    )
    for student in STUDENTS:
        config = hub.home(student) / ".jupyter"
        config.mkdir(parents=True)
        # All servers here run as one Unix user; nbgrader would take its name as the
        # student id. On the Docker Stacks image (user jovyan) it takes JUPYTERHUB_USER.
        (config / "nbgrader_config.py").write_text(
            "import os\nc = get_config()\n"
            'c.CourseDirectory.student_id = os.environ["JUPYTERHUB_USER"]\n'
        )
    for user in (INSTRUCTOR, *STUDENTS):
        settings = hub.home(user) / ".jupyter" / "lab" / "user-settings"
        write_lab_settings(settings, QUIET_LAB_SETTINGS)


# --- the browser student --------------------------------------------------------------------


def log_in(page: Page, hub: LoopbackHub, user: str) -> None:
    """Log in on the hub's login page and wait for JupyterLab."""
    page.goto(f"{hub.url}/hub/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", hub.password)
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{user}/lab**", timeout=UI_TIMEOUT_MS)
    page.wait_for_selector(".jp-LauncherCard", timeout=UI_TIMEOUT_MS)


def open_assignments_tab(page: Page) -> list[str]:
    """Open *Nbgrader > Assignment List*; return the labels the Nbgrader menu showed."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    labels = page.locator(".lm-Menu-itemLabel").all_inner_texts()
    page.locator(".lm-Menu-itemLabel", has_text="Assignment List").click()
    page.wait_for_selector("#released_assignments_list .list_item", timeout=UI_TIMEOUT_MS)
    return labels


def browser_student_takes_the_quiz(page: Page, room: Classroom, artifacts: Path) -> None:
    """Alice: log in, fetch in the Assignments tab, answer, open the quiz there, submit."""
    hub, user = room.hub, BROWSER_STUDENT
    log_in(page, hub, user)
    room.student_menu = open_assignments_tab(page)
    page.screenshot(path=artifacts / "01-alice-assignments-released.png")
    released = page.locator("#released_assignments_list .list_item", has_text=c.QUIZ)
    released.get_by_role("button", name="Fetch").click()
    fetched = page.locator("#fetched_assignments_list .list_item", has_text=c.QUIZ)
    fetched.first.wait_for(timeout=UI_TIMEOUT_MS)
    room.fetched[user] = hub.assignments(user)

    # Her answers, saved to her server as JupyterLab's Save would.
    notebook = hub.read_file(user, QUIZ_PATH)["content"]
    hub.write_notebook(user, QUIZ_PATH, answered(notebook, WRONG[user]))

    # Open the quiz from the Assignments tab: expand the assignment, click its notebook.
    from playwright.sync_api import expect

    fetched.first.locator("a", has_text=c.QUIZ).first.click()
    links = page.locator("#fetched_assignments_list a", has_text=c.QUIZ)
    expect(links).to_have_count(2, timeout=UI_TIMEOUT_MS)  # the assignment, its notebook
    links.last.click()
    editor = page.locator(".jp-NotebookPanel:visible .jp-Notebook")
    editor.wait_for(timeout=UI_TIMEOUT_MS)
    # Wait until every cell, not the empty placeholder, is on the page (the last question).
    last = page.locator(".jp-NotebookPanel:visible .jp-Cell", has_text="Question 15")
    last.first.wait_for(timeout=UI_TIMEOUT_MS)
    room.opened_notebook_answers = editor.inner_text()
    page.screenshot(path=artifacts / "02-alice-quiz-opened.png")

    page.locator(".lm-TabBar-tabLabel", has_text="Assignments").click()
    fetched.first.get_by_role("button", name="Submit").click()
    submitted = page.locator("#submitted_assignments_list .list_item", has_text=c.QUIZ)
    submitted.first.wait_for(timeout=UI_TIMEOUT_MS)
    room.browser_statuses = page.locator("#submitted_assignments_list .list_item").all_inner_texts()
    page.screenshot(path=artifacts / "03-alice-submitted.png")


def browser_student_fetches_feedback(page: Page, room: Classroom, artifacts: Path) -> None:
    """Alice presses *Fetch Feedback* in the Assignments tab and opens her feedback."""
    submitted = page.locator("#submitted_assignments_list .list_item", has_text=c.QUIZ)
    submitted.first.get_by_role("button", name="Fetch Feedback").click()
    link = page.locator("#submitted_assignments_list a", has_text="view feedback")
    link.first.wait_for(timeout=UI_TIMEOUT_MS)
    link.first.click()  # shows the feedback folder in the file browser
    page_file = page.locator(".jp-DirListing-item", has_text=f"{c.QUIZ}.html")
    page_file.wait_for(timeout=UI_TIMEOUT_MS)
    page_file.dblclick()
    viewer = page.frame_locator(".jp-HTMLViewer iframe").locator("body")
    viewer.get_by_text("Score", exact=False).first.wait_for(timeout=UI_TIMEOUT_MS)
    room.feedback_in_browser = viewer.inner_text()
    page.screenshot(path=artifacts / "04-alice-feedback-opened.png")


# --- the run ----------------------------------------------------------------------------------


def instructor_releases_the_quiz(room: Classroom) -> None:
    """Generate the student version and release it, through the formgrader's API."""
    hub = room.hub
    hub.formgrader(f"/assignment/{c.QUIZ}/assign", method="POST")
    hub.formgrader(f"/assignment/{c.QUIZ}/release", method="POST")
    released = hub.exchange / COURSE_ID / "outbound" / c.QUIZ / f"{c.QUIZ}.ipynb"
    room.released_source = released.read_text(encoding="utf-8")


def api_student_takes_the_quiz(room: Classroom) -> None:
    """Bob: fetch, answer and submit through his server's REST API."""
    hub, user = room.hub, API_STUDENT
    room.fetched[user] = hub.assignments(user, "fetch", assignment_id=c.QUIZ)
    notebook = hub.read_file(user, QUIZ_PATH)["content"]
    hub.write_notebook(user, QUIZ_PATH, answered(notebook, WRONG[user]))
    hub.assignments(user, "submit", assignment_id=c.QUIZ)


def instructor_collects_and_autogrades(room: Classroom) -> None:
    """Collect every submission and autograde each student's; record the scores."""
    hub = room.hub
    inbound = hub.exchange / COURSE_ID / "inbound"
    room.inbound = {p.name: sorted(q.name for q in p.iterdir()) for p in inbound.iterdir()}
    hub.formgrader(f"/assignment/{c.QUIZ}/collect", method="POST")
    course = hub.home(INSTRUCTOR) / "course"
    room.collected = sorted(p.name for p in (course / "submitted").iterdir())
    for student in STUDENTS:
        hub.formgrader(f"/submission/{c.QUIZ}/{student}/autograde", method="POST")
    room.submissions = {s["student"]: s for s in hub.formgrader(f"/submissions/{c.QUIZ}")}


def instructor_returns_feedback(room: Classroom) -> None:
    """Generate every student's feedback page and release it to the exchange."""
    room.hub.formgrader(f"/assignment/{c.QUIZ}/generate_feedback", method="POST")
    room.hub.formgrader(f"/assignment/{c.QUIZ}/release_feedback", method="POST")


def read_feedback_in_homes(room: Classroom) -> None:
    """Every feedback page in each student's assignment folder, read through their server."""
    hub = room.hub
    for student in STUDENTS:
        folders = hub.read_file(student, f"{c.QUIZ}/feedback")["content"]
        room.feedback_pages[student] = [
            entry["path"]
            for folder in folders
            for entry in hub.read_file(student, folder["path"])["content"]
        ]
        texts = [hub.read_file(student, p)["content"] for p in room.feedback_pages[student]]
        room.feedback_text[student] = "\n".join(texts)


def run_class(page: Page, room: Classroom, artifacts: Path) -> None:
    """The whole classroom flow, step by step, timing each step.

    Args:
        page: The browser page Alice uses (a fresh Chromium profile).
        room: Where to record what happens.
        artifacts: Folder for the screenshots.
    """
    hub = room.hub
    last = time.monotonic()

    def step(name: str) -> None:
        nonlocal last
        room.seconds[name] = round(time.monotonic() - last, 2)
        last = time.monotonic()

    prepare_homes(hub)
    hub.start()
    step("hub and proxy started")
    hub.spawn(INSTRUCTOR, *STUDENTS)
    step("three servers spawned")
    instructor_releases_the_quiz(room)
    step("instructor generated and released the quiz")
    browser_student_takes_the_quiz(page, room, artifacts)
    step("alice (browser) fetched, opened and submitted")
    api_student_takes_the_quiz(room)
    step("bob (REST) fetched and submitted")
    instructor_collects_and_autogrades(room)
    step("instructor collected and autograded")
    instructor_returns_feedback(room)
    step("instructor generated and released feedback")
    browser_student_fetches_feedback(page, room, artifacts)
    hub.assignments(API_STUDENT, "fetch_feedback", assignment_id=c.QUIZ)
    read_feedback_in_homes(room)
    step("students fetched feedback")
    for user in (INSTRUCTOR, *STUDENTS):
        room.formgrader_status[user] = hub.status_of(user, "/formgrader/api/status")


@pytest.fixture(scope="module")
def classroom(chromium_browser) -> Iterator[Classroom]:
    """Run the class once; stop the hub and delete its folder at the end, whatever happens."""
    artifacts = ARTIFACTS
    shutil.rmtree(artifacts, ignore_errors=True)
    artifacts.mkdir(parents=True)
    root = Path(tempfile.mkdtemp(prefix="mesatoys-hub-"))
    room = Classroom(hub=LoopbackHub(root, list(STUDENTS), INSTRUCTOR))
    started = time.monotonic()
    try:
        with loopback_context(chromium_browser) as (context, blocked):
            page = context.new_page()
            try:
                run_class(page, room, artifacts)
            except Exception:
                page.screenshot(path=artifacts / "failure.png", timeout=10_000)
                raise
            finally:
                room.blocked = list(blocked)
        yield room
    finally:
        room.hub.stop()
        if room.hub.log_path.exists():
            shutil.copy(room.hub.log_path, artifacts / "jupyterhub.log")
        room.seconds["whole run, stop included"] = round(time.monotonic() - started, 2)
        (artifacts / "timings.json").write_text(json.dumps(room.seconds, indent=1))
        shutil.rmtree(root, ignore_errors=True)


# --- what the class saw ---------------------------------------------------------------------


def test_every_student_fetched_the_released_quiz_without_its_answer_key(classroom):
    for student in STUDENTS:
        statuses = {(a["assignment_id"], a["status"]) for a in classroom.fetched[student]}
        assert (c.QUIZ, "fetched") in statuses, student
    leaked = [s for s in c.secret_lines(c.QUIZ) if s in classroom.released_source]
    assert leaked == []
    assert "raise NotImplementedError" in classroom.released_source  # stubs, not solutions


def test_the_browser_student_opened_the_quiz_from_the_assignments_tab_and_submitted(classroom):
    # The notebook JupyterLab opened is her fetched copy, with the answers she saved.
    key = c.answer_key()
    right = next(q for q in key if q not in WRONG[BROWSER_STUDENT])
    assert c.answer_line(right, key[right].value) in classroom.opened_notebook_answers
    assert any(c.QUIZ in row and COURSE_ID in row for row in classroom.browser_statuses)
    for name in ("01-alice-assignments-released", "02-alice-quiz-opened", "03-alice-submitted"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000


def test_students_see_the_assignments_tab_but_no_instructor_tools(classroom):
    # The instructor's items (Formgrader, Create assignment, Course List) are gone.
    assert [label for label in classroom.student_menu if label.strip()] == ["Assignment List"]
    assert classroom.formgrader_status == {INSTRUCTOR: 200, BROWSER_STUDENT: 404, API_STUDENT: 404}


def test_each_submission_is_filed_in_its_students_own_folder(classroom):
    # inbound/<student>/<student>+<assignment>+<time>+<random>: one folder per hub user.
    assert sorted(classroom.inbound) == sorted(STUDENTS)
    for student, names in classroom.inbound.items():
        assert [name.split("+")[:2] for name in names] == [[student, c.QUIZ]], student
    assert classroom.collected == sorted(STUDENTS)


def test_autograded_scores_match_the_answers_each_student_gave(classroom):
    max_auto = expected_score(set())
    assert max_auto == len(c.answer_key())  # one point per auto-graded question
    for student in STUDENTS:
        submission = classroom.submissions[student]
        assert submission["code_score"] == expected_score(WRONG[student]), student
        assert submission["max_code_score"] == max_auto
        assert submission["autograded"] and submission["submitted"]
    assert classroom.submissions[BROWSER_STUDENT]["code_score"] == max_auto - 1
    assert classroom.submissions[API_STUDENT]["code_score"] == max_auto - 4


def test_each_student_fetches_only_their_own_feedback(classroom):
    maximum = sum(source_points().values())  # 14 automatic points and 3 for question 15
    for student in STUDENTS:
        pages = classroom.feedback_pages[student]
        assert [Path(p).name for p in pages] == [f"{c.QUIZ}.html"], student
        text = html.unescape(classroom.feedback_text[student])
        assert f"{c.QUIZ} (Score: {expected_score(WRONG[student]):.1f} / {maximum:.1f})" in text
        # Question by question, the page shows this student's answers: the questions it
        # scores 0 are exactly the ones they answered wrongly (the students differ).
        assert zero_scored_tests(text) == WRONG[student], student
    assert WRONG[BROWSER_STUDENT] != WRONG[API_STUDENT]


def test_the_browser_student_reads_her_own_score_in_jupyterlab(classroom):
    maximum = sum(source_points().values())
    seen = classroom.feedback_in_browser
    assert f"{c.QUIZ} (Score: {expected_score(WRONG[BROWSER_STUDENT]):.1f} / {maximum:.1f})" in seen
    assert zero_scored_tests(seen) == WRONG[BROWSER_STUDENT]
    assert (ARTIFACTS / "04-alice-feedback-opened.png").stat().st_size > 10_000


def test_feedback_shows_nothing_of_the_answer_key(classroom):
    secrets_ = c.secret_lines(c.QUIZ, hidden_only=True)
    assert secrets_, "the quiz has hidden tests to protect"
    for student in STUDENTS:
        text = html.unescape(classroom.feedback_text[student])
        assert [s for s in secrets_ if s in text] == [], student
        assert "BEGIN HIDDEN TESTS" not in text


def test_no_page_asked_for_anything_but_loopback(classroom):
    assert classroom.blocked == []


def test_stopping_the_hub_leaves_no_process_and_no_folder_behind(classroom):
    hub = classroom.hub
    assert hub.stop() == []  # nothing had to be killed
    assert hub.process.poll() is not None
    assert hub.leftover_pids() == []
    with pytest.raises(urllib.error.URLError):
        hub.hub_api("")  # the proxy's public port is closed
    shutil.rmtree(hub.root)  # as the fixture does at the end, here checked
    assert not hub.root.exists()
