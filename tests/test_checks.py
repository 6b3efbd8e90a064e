"""The shared argument checks: types before comparisons, finite numbers, messages that
name the argument, the value and what is allowed."""

import numpy as np
import pytest

from mesatoys.checks import (
    check_action,
    check_choice,
    check_config,
    check_count,
    check_fraction,
    check_instance,
    check_number,
    check_options,
    check_render_mode,
    check_seed,
    is_integer,
)

INF, NAN = float("inf"), float("nan")


@pytest.mark.parametrize("value", [0, -3, 10**30, np.int8(1), np.uint64(7), np.int64(-2)])
def test_python_and_numpy_integers_are_integers(value):
    assert is_integer(value)


@pytest.mark.parametrize(
    "value", [True, False, np.bool_(True), 1.0, np.float64(2.0), "1", None, [1], np.array(1)]
)
def test_bools_floats_strings_and_arrays_are_not_integers(value):
    assert not is_integer(value)


# --- check_count ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [(("n", 1), 1), (("n", np.int64(5)), 5), (("n", 0, 0), 0), (("n", 10, 1, 10), 10)],
)
def test_check_count_accepts_and_returns_a_plain_int(args, expected):
    result = check_count(*args)
    assert result == expected and type(result) is int


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("n", 0), {}, r"^n must be an integer >= 1, got 0$"),
        (("n", True), {}, r"^n must be an integer >= 1, got True$"),
        (("n", np.bool_(True)), {}, r"^n must be an integer >= 1, got np.True_$"),
        (("n", 2.0), {}, r"^n must be an integer >= 1, got 2.0$"),
        (("n", "3"), {}, r"^n must be an integer >= 1, got '3'$"),
        (("n", NAN), {}, r"^n must be an integer >= 1, got nan$"),
        (("pairs", 11, 1, 10), {}, r"^pairs must be an integer in \[1, 10\], got 11$"),
        (("pairs", 0, 1, 10), {}, r"^pairs must be an integer in \[1, 10\], got 0$"),
        (("k", -1, 0), {}, r"^k must be an integer >= 0, got -1$"),
        (
            ("max_steps", 0),
            {"optional": True},
            r"^max_steps must be None or an integer >= 1, got 0$",
        ),
    ],
)
def test_check_count_rejects_with_a_message_naming_argument_value_and_range(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        check_count(*args, **kwargs)


def test_check_count_optional_accepts_none_and_plain_refuses_it():
    assert check_count("max_steps", None, optional=True) is None
    with pytest.raises(ValueError, match="max_steps must be an integer >= 1, got None"):
        check_count("max_steps", None)


# --- check_number --------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0.5, 1, np.float32(0.25), np.int64(2)])
def test_check_number_accepts_finite_reals_and_returns_a_float(value):
    result = check_number("x", value)
    assert result == float(value) and type(result) is float


@pytest.mark.parametrize("value", [True, False, np.bool_(False), "0.5", None, [0.5], 1j])
def test_a_bool_or_a_string_is_not_a_number(value):
    with pytest.raises(ValueError, match=r"^x must be a finite number, got "):
        check_number("x", value)


@pytest.mark.parametrize("value", [NAN, INF, -INF, np.float64(np.nan), np.float32(np.inf)])
def test_nan_and_infinity_are_refused_even_without_bounds(value):
    with pytest.raises(ValueError, match=r"^x must be a finite number, got "):
        check_number("x", value)


@pytest.mark.parametrize(
    ("value", "bounds", "ok"),
    [
        (0.0, {"low": 0}, True),
        (0.0, {"low": 0, "low_open": True}, False),
        (1e-300, {"low": 0, "low_open": True}, True),
        (1.0, {"low": 0, "high": 1}, True),
        (1.0, {"low": 0, "high": 1, "high_open": True}, False),
        (-0.1, {"low": 0, "high": 1}, False),
        (1.1, {"high": 1}, False),
        (-(10**9), {"high": 1}, True),
        (INF, {"low": 0}, False),
    ],
)
def test_bounds_open_and_closed(value, bounds, ok):
    if ok:
        assert check_number("x", value, **bounds) == value
    else:
        with pytest.raises(ValueError, match="x must be a finite number"):
            check_number("x", value, **bounds)


@pytest.mark.parametrize(
    ("bounds", "allowed"),
    [
        ({"low": 0}, ">= 0"),
        ({"low": 0, "low_open": True}, "> 0"),
        ({"high": 1}, "<= 1"),
        ({"high": 1, "high_open": True}, "< 1"),
        ({"low": 0, "high": 1}, "in [0, 1]"),
        ({"low": 0, "high": 1, "low_open": True}, "in (0, 1]"),
        ({"low": 0, "high": 1, "high_open": True}, "in [0, 1)"),
        ({"low": 0, "high": 1, "low_open": True, "high_open": True}, "in (0, 1)"),
    ],
)
def test_check_number_message_states_the_interval(bounds, allowed):
    with pytest.raises(ValueError) as caught:
        check_number("gamma", "0.9", **bounds)
    assert str(caught.value) == f"gamma must be a finite number {allowed}, got '0.9'"


# --- the other checks ----------------------------------------------------------------------


def test_check_seed():
    assert check_seed(np.int64(3)) == 3
    for bad in (-1, True, 1.0, "0", None):
        with pytest.raises(ValueError, match=r"^seed must be a non-negative integer, got "):
            check_seed(bad)


@pytest.mark.parametrize("value", [-0.1, 1.5, NAN, INF, True, "0.5", None])
def test_check_fraction_refuses(value):
    with pytest.raises(ValueError, match=r"^alpha must be (a number )?in \[0, 1\], got "):
        check_fraction("alpha", value)


def test_check_fraction_accepts_the_ends():
    assert check_fraction("alpha", 0) == 0.0 and check_fraction("alpha", np.float32(1)) == 1.0


@pytest.mark.parametrize("value", ["val", None, 3, ["train"]])
def test_check_choice(value):
    assert check_choice("split", "train", ("train", "test")) == "train"
    with pytest.raises(ValueError, match=r"^split must be one of \('train', 'test'\), got "):
        check_choice("split", value, ("train", "test"))


def test_check_instance_names_the_type_with_the_right_article():
    with pytest.raises(TypeError, match=r"^rng must be a Generator, got int: 0$"):
        check_instance("rng", 0, np.random.Generator)
    with pytest.raises(TypeError, match=r"^x must be an int or str, got float: 1.5$"):
        check_instance("x", 1.5, (int, str))
    assert check_instance("x", 3, int) == 3


def test_check_config():
    class Config:
        pass

    config = Config()
    assert check_config(config, Config, "toy") is config
    assert isinstance(check_config(None, Config, "toy"), Config)
    with pytest.raises(TypeError, match=r"config must be a toy.Config .* got dict: \{\}"):
        check_config({}, Config, "toy")


@pytest.mark.parametrize("action", [0, 4, np.int64(2), np.uint8(1), np.array(3)])
def test_check_action_accepts_integers_in_range(action):
    result = check_action(action, 5)
    assert result == int(action) and type(result) is int


@pytest.mark.parametrize(
    "action",
    [True, False, np.bool_(True), 1.0, np.float64(1.0), "1", None, -1, 5, np.array([1])],
)
def test_check_action_refuses_bools_floats_strings_and_out_of_range(action):
    with pytest.raises(ValueError, match=r"^action must be an integer in \[0, 4\], got "):
        check_action(action, 5)


def test_check_options():
    assert check_options(None, ("level",)) == {}
    given = {"level": 1}
    copy = check_options(given, ("level",))
    assert copy == given and copy is not given
    with pytest.raises(
        ValueError, match=r"options has unknown keys \['levle'\]; allowed: \['level'\]"
    ):
        check_options({"levle": 1}, ("level",))
    with pytest.raises(TypeError, match="options must be a dict or None, got list"):
        check_options([("level", 1)], ("level",))


def test_check_render_mode():
    assert check_render_mode(None, ["ansi"]) is None
    assert check_render_mode("ansi", ["ansi"]) == "ansi"
    for bad in ("human", 1, ["ansi"]):
        with pytest.raises(ValueError, match=r"render_mode must be one of \['ansi'\] or None, got"):
            check_render_mode(bad, ["ansi"])
