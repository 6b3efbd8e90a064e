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
    GetGrades,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
)

from mesatoys.grading.feedback import feedback_template_basedirs
from mesatoys.grading.preprocessors import ExecuteToTheEnd, HideHiddenTestOutput, LimitOutputSize

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

HERE = Path(__file__).resolve().parent

# --- the course ---------------------------------------------------------------------------
c.CourseDirectory.course_id = "mesatoys"
c.CourseDirectory.root = str(HERE)
# The exchange is where released assignments, submissions and feedback travel. On a
# JupyterHub it is one directory every user can write to, and every student's config must
# name the same directory and the same course_id (docs/instructors.md). The Makefile passes
# EXCHANGE; without it, MESATOYS_EXCHANGE or a folder beside this file (git-ignored).
c.Exchange.root = os.environ.get("MESATOYS_EXCHANGE", str(HERE / "exchange"))

# --- autograding --------------------------------------------------------------------------
# Seconds per cell. Every toy a student is asked to run takes about 1 s on one core, and
# the slowest honest cell (a hidden test that computes a reference) about 2 s; 30 s leaves
# 15x headroom on a busy one-CPU hub while bounding what an infinite loop costs: the
# kernel is interrupted after 30 s and grading goes on with the next cell.
c.ExecutePreprocessor.timeout = 30
# A student who deletes a test cell gets it back from the source and is scored on it,
# instead of the cell being silently left out.
c.OverwriteCells.add_missing_cells = True
# nbgrader's own output limit counts lines; ours also caps characters (one line of
# megabytes would otherwise end up in the autograded notebook and the feedback).
c.LimitOutput.max_lines = 200
c.LimitOutputSize.max_chars = 20_000
# ExecuteToTheEnd is nbgrader's Execute, except that a submission that kills its kernel
# (os._exit, a crash) is still graded: cells before the death count, later cells score 0.
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
