"""Shared test helpers: hand-drawn mazes, an independent breadth-first search, and a
temporary home for the learner's progress, so no test (or notebook kernel) writes to ~."""

from collections import deque

import numpy as np
import pytest


def parse_maze(art: str) -> tuple[np.ndarray, dict[str, tuple[int, int]]]:
    """Walls from ASCII art ('#' wall); letters mark named cells and are open."""
    rows = [line.strip() for line in art.strip().splitlines()]
    walls = np.array([[ch == "#" for ch in row] for row in rows])
    marks = {ch: (r, c) for r, row in enumerate(rows) for c, ch in enumerate(row) if ch.isalpha()}
    return walls, marks


def bfs_distances(walls: np.ndarray, goal: tuple[int, int]) -> dict[tuple[int, int], int]:
    """Plain-Python BFS from ``goal`` over open cells (4-neighbourhood)."""
    dist = {goal: 0}
    queue = deque([goal])
    while queue:
        r, c = queue.popleft()
        for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            nxt = (r + dr, c + dc)
            inside = 0 <= nxt[0] < walls.shape[0] and 0 <= nxt[1] < walls.shape[1]
            if inside and not walls[nxt] and nxt not in dist:
                dist[nxt] = dist[(r, c)] + 1
                queue.append(nxt)
    return dist


@pytest.fixture
def maze_art():
    return parse_maze


@pytest.fixture
def bfs():
    return bfs_distances


@pytest.fixture(autouse=True)
def progress_home(tmp_path_factory, monkeypatch):
    """Every test saves progress under its own temporary MESATOYS_HOME.

    Notebook kernels and subprocesses inherit the variable from the environment.
    """
    home = tmp_path_factory.mktemp("mesatoys-home")
    monkeypatch.setenv("MESATOYS_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def chromium_browser():
    """One headless Chromium for the whole session (tests/browser and tests/hub share it).

    Playwright's sync API runs one instance per thread, so two test folders each starting
    their own would clash; each test still gets a fresh context (see loopback.py).
    """
    from loopback import chromium

    with chromium() as browser:
        yield browser
