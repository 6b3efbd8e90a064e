"""A late-submission policy for nbgrader: a percentage of the score per day late.

nbgrader's ``AssignLatePenalties`` step (part of the course's autograding) asks a
*late-submission plugin* how many points to take from a notebook submitted after its due
date. nbgrader ships two policies, no penalty (the default) and zero for any late work;
:class:`PercentPerDayPenalty` takes a configurable percentage of the notebook's score for
every started day late, after an optional grace period, up to a cap. Enable it in the
course's ``nbgrader_config.py`` (docs/instructors.md, *Late submissions*)::

    from mesatoys.grading.late import PercentPerDayPenalty

    c.AssignLatePenalties.plugin_class = PercentPerDayPenalty
    c.PercentPerDayPenalty.percent_per_day = 10
    c.PercentPerDayPenalty.grace_minutes = 15

nbgrader calls the plugin while autograding, with the notebook's score at that moment:
the automatically graded points. Points given later by hand are not reduced.

Importing this module imports nbgrader; students never need it.
"""

from __future__ import annotations

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float

SECONDS_PER_DAY = 24 * 60 * 60


def late_days(seconds_late: float, grace_minutes: float = 0.0) -> int:
    """Started days late, counted from the end of the grace period.

    Args:
        seconds_late: How late the submission is, in seconds (0 or less: on time).
        grace_minutes: Minutes after the due date that still count as on time.

    Returns:
        0 within the grace period; 1 for up to a day after it, 2 for the second day, ...
    """
    if not math.isfinite(seconds_late):
        raise ValueError(f"seconds_late must be a finite number, got {seconds_late!r}")
    if not math.isfinite(grace_minutes) or grace_minutes < 0:
        raise ValueError(f"grace_minutes must be a number >= 0, got {grace_minutes!r}")
    over = seconds_late - 60.0 * grace_minutes
    return 0 if over <= 0 else math.ceil(over / SECONDS_PER_DAY)


def percent_penalty(
    score: float,
    seconds_late: float,
    percent_per_day: float,
    grace_minutes: float = 0.0,
    max_percent: float = 100.0,
) -> float:
    """Points to take from ``score``: ``percent_per_day`` of it per started day late.

    Args:
        score: The notebook's score before the penalty.
        seconds_late: How late the submission is, in seconds.
        percent_per_day: Percentage of the score taken for each started day.
        grace_minutes: Minutes after the due date that still count as on time.
        max_percent: The largest percentage ever taken (100: the whole score).

    Returns:
        The penalty in points, between 0 and ``score`` (0 for a score of 0 or less).
    """
    if not 0 <= percent_per_day <= 100:
        raise ValueError(f"percent_per_day must be between 0 and 100, got {percent_per_day!r}")
    if not 0 <= max_percent <= 100:
        raise ValueError(f"max_percent must be between 0 and 100, got {max_percent!r}")
    days = late_days(seconds_late, grace_minutes)
    if days == 0 or not score > 0:
        return 0.0
    percent = min(max_percent, days * percent_per_day)
    return float(score) * percent / 100.0


class PercentPerDayPenalty(LateSubmissionPlugin):
    """nbgrader late-submission plugin: a percentage of the score per started day late.

    Configured in ``nbgrader_config.py`` as ``c.PercentPerDayPenalty.<trait>``. With the
    defaults (10% a day, no grace, capped at 100%), work 3 hours late loses 10% of its
    score, 30 hours late 20%, and work 10 days late or more everything.
    """

    percent_per_day = Float(
        10.0, min=0.0, max=100.0, help="Percentage of the score taken per started day late."
    ).tag(config=True)
    grace_minutes = Float(
        0.0, min=0.0, help="Minutes after the due date that still count as on time."
    ).tag(config=True)
    max_percent = Float(
        100.0, min=0.0, max=100.0, help="The largest percentage of the score ever taken."
    ).tag(config=True)

    def late_submission_penalty(
        self, student_id: str, score: float, total_seconds_late: float
    ) -> float:
        """The points to take from one late notebook.

        Args:
            student_id: The student's nbgrader id (unused: one policy for everyone).
            score: The notebook's score when autograded.
            total_seconds_late: Seconds after the due date (and any extension).

        Returns:
            The penalty in points.
        """
        days = late_days(total_seconds_late, self.grace_minutes)
        penalty = percent_penalty(
            score, total_seconds_late, self.percent_per_day, self.grace_minutes, self.max_percent
        )
        self.log.info(
            "%s: %d day(s) late, penalty %.2f of %.2f points", student_id, days, penalty, score
        )
        return penalty
