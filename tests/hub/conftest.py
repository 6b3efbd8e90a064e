"""The classroom test reuses the nbgrader tests' helpers (course copy, answer key)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "grading"))
