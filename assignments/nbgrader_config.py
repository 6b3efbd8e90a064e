"""nbgrader configuration of the mesatoys course (the instructor's side).

Run nbgrader from this directory (the course root), or use the ``course-*`` targets of the
repository's Makefile. docs/instructors.md explains every step and the choices below.
"""

import os
from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearHiddenTests,
    ClearOutput,
    DeduplicateIds,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

from mesatoys.grading.exchange import EXCHANGE_CLASSES
from mesatoys.grading.execute import ExecuteToTheEnd
from mesatoys.grading.exporter import SubmissionExporter
from mesatoys.grading.feedback import feedback_template_basedirs
from mesatoys.grading.preprocessors import (
    HideHiddenTestOutput,
    LimitOutputSize,
    RestoreMissingCells,
)

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

HERE = Path(__file__).resolve().parent

# --- the course ---------------------------------------------------------------------------
c.CourseDirectory.course_id = "mesatoys"
c.CourseDirectory.root = str(HERE)
# Parallel graders (`make course-autograde JOBS=4`) share the SQLite gradebook: a writer
# waits up to 60 s for another's lock instead of failing.
c.CourseDirectory.db_url = f"sqlite:///{HERE / 'gradebook.db'}?timeout=60"
# The exchange is where released assignments, submissions and feedback travel. The course's
# exchange classes (mesatoys.grading.exchange) give each student a folder of their own for
# submissions and feedback: nobody lists, reads or forges another's, on one machine or on
# Kubernetes. Every student's config must name the same classes, course_id and directory
# (deploy/nbgrader_config.py does; docs/deploy.md, "The exchange"). The Makefile passes
# EXCHANGE, which defaults to MESATOYS_EXCHANGE; without either, a folder beside this file.
c.Exchange.root = os.environ.get("MESATOYS_EXCHANGE", str(HERE / "exchange"))
for setting, class_name in EXCHANGE_CLASSES.items():
    setattr(c.ExchangeFactory, setting, class_name)
# Collect takes a student's folder only if it belongs to the Unix user of that name. Where
# every server runs as one user (Kubernetes, where every pod is uid 1000 and the pods' mounts
# keep students apart; or one machine where you play two students yourself), there is no
# such user: MESATOYS_ONE_UID=1 says so (deploy/z2jh/config.yaml sets it for instructors).
c.ExchangeCollect.check_owner = os.environ.get("MESATOYS_ONE_UID", "") != "1"

# --- autograding --------------------------------------------------------------------------
# Every submission is hostile until graded (mesatoys.grading.execute): student code runs in
# a bubblewrap sandbox that sees only a copy of the submission and the Python environment
# (no course root, gradebook, other submission or network), and hidden tests run in the
# grader's process, asking the sandbox for plain data. Without bubblewrap
# (`apt-get install bubblewrap`) autograding refuses to run. Set the sandbox to "none" only
# where the grader runs in a throwaway container holding nothing but the submissions (a
# Kubernetes Job with only the submissions mounted): then the container is the sandbox.
c.ExecuteToTheEnd.sandbox = "bubblewrap"
# Seconds per cell. Every toy a student is asked to run takes about 1 s on one core, and
# the slowest honest cell about 2 s; 30 s leaves 15x headroom on a busy one-CPU hub. A cell
# still running then is interrupted; one that ignores the interrupt is killed with its
# sandbox, and the cells after it are marked as not run.
c.ExecutePreprocessor.timeout = 30
# Seconds for a whole submission (an honest one takes 2-5 s).
c.ExecuteToTheEnd.submission_timeout = 300
# Per sandbox: address space of each process, processes and threads, largest file
# written, size of the working folder. The course's kernels peak near 200 MB.
c.ExecuteToTheEnd.memory_limit_mb = 2048
c.ExecuteToTheEnd.process_limit = 64
c.ExecuteToTheEnd.file_limit_mb = 64
c.ExecuteToTheEnd.home_limit_mb = 256
# A file that is not a notebook is graded as an empty submission, with a note.
c.Autograde.exporter_class = SubmissionExporter
# Deleted cells come back as released (RestoreMissingCells) before nbgrader restores the
# locked cells' sources from the gradebook; edited test cells are overwritten too.
c.OverwriteCells.add_missing_cells = True
c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    DeduplicateIds,
    OverwriteKernelspec,
    RestoreMissingCells,
    OverwriteCells,
    CheckCellMetadata,
]
# nbgrader's own output limit counts lines; ours caps characters of text, the size of
# images and drops every other MIME type (HTML, JavaScript, SVG, ...), in the autograded
# notebook and so in the feedback.
c.LimitOutput.max_lines = 200
c.LimitOutputSize.max_chars = 20_000
c.Autograde.autograde_preprocessors = [
    ExecuteToTheEnd,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    LimitOutputSize,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]

# --- feedback -----------------------------------------------------------------------------
# Students see their answers, their score per question and a one-line verdict for every
# test cell that lost points. HideHiddenTestOutput replaces the outputs of hidden-test
# cells (tracebacks print the test's source, and with it the answer key); ClearHiddenTests
# then removes the hidden source itself.
c.GenerateFeedback.preprocessors = [
    GetGrades,
    HideHiddenTestOutput,
    ClearHiddenTests,
    CSSHTMLHeaderPreprocessor,
]
# The pages load nothing from the internet: nbgrader's template would fetch MathJax from a
# CDN, which a hub without internet cannot reach (mesatoys.grading.feedback).
c.HTMLExporter.extra_template_basedirs = feedback_template_basedirs()
