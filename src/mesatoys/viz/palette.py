"""A colour-blind-safe palette for every figure in the course.

The eight colours of Okabe and Ito (2008, "Color Universal Design"), which stay
distinguishable under the common forms of colour blindness. Each role in a figure
(the cheese, the corner, the agent's path...) has one fixed colour, so a student
who learns it once can read every figure.
"""

from __future__ import annotations

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: Colour of each thing a figure shows.
ROLES = {
    "wall": "#3A3A3A",
    "floor": "#FFFFFF",
    "cheese": OKABE_ITO["orange"],
    "corner": OKABE_ITO["blue"],
    "path": OKABE_ITO["reddish_purple"],
    "start": OKABE_ITO["bluish_green"],
    "true_goal": OKABE_ITO["orange"],
    "proxy": OKABE_ITO["blue"],
    "other": "#9A9A9A",
    "view": "#F8F2A8",  # Okabe-Ito yellow, lightened: a subtle tint
}


def color(role: str) -> str:
    """Hex colour of a figure role (see :data:`ROLES`).

    Raises:
        ValueError: For an unknown role.
    """
    try:
        return ROLES[role]
    except KeyError:
        raise ValueError(f"role must be one of {sorted(ROLES)}, got {role!r}") from None


#: Colour of each mesa-objective feature's bar.
FEATURE_COLORS = {
    "cheese": ROLES["cheese"],
    "top_right": ROLES["corner"],
    "top_left": ROLES["other"],
    "bottom_left": ROLES["other"],
    "bottom_right": ROLES["other"],
}
