"""Tests for mlops_jupyter.capture.source (parameters in cell sources)."""

from __future__ import annotations

import ast

import pytest

from mlops_jupyter.capture.source import (
    apply_param_overrides,
    extract_literal_params,
    is_valid_param_name,
    parse_key_value,
    parse_papermill_parameters,
    validate_param_name,
)


class FakeNumpyScalar:
    """Quacks like numpy.float64 for the duck typing (numpy is optional in tests)."""

    dtype = "float64"
    shape = ()

    def __init__(self, value: float) -> None:
        self.value = value

    def item(self) -> float:
        return self.value

    def __repr__(self) -> str:
        return f"np.float64({self.value})"


# --------------------------------------------------------------------------- extraction


def test_extracts_literal_assignments() -> None:
    source = (
        "import torch\n"
        "lr = 0.01\n"
        "epochs = 10\n"
        "neg = -3\n"
        "neg_float = -1.5e-3\n"
        "layers = [64, 32]\n"
        "config = {'opt': 'adam', 'betas': (0.9, 0.999)}\n"
        "shape = (1, 2)\n"
        "tags = {'b', 'a'}\n"
        "nothing = None\n"
        "flag = True\n"
        "name = 'baseline'\n"
    )
    assert extract_literal_params(source) == {
        "lr": 0.01,
        "epochs": 10,
        "neg": -3,
        "neg_float": -1.5e-3,
        "layers": [64, 32],
        "config": {"opt": "adam", "betas": (0.9, 0.999)},
        "shape": (1, 2),
        "tags": ["a", "b"],
        "nothing": None,
        "flag": True,
        "name": "baseline",
    }


def test_annotated_chained_and_unpacking_assignments() -> None:
    source = 'name: str = "x"\na = b = 1\nc, d = 2, 3\n[e, (f, g)] = [4, (5, 6)]\nh: int\n'
    assert extract_literal_params(source) == {
        "name": "x",
        "a": 1,
        "b": 1,
        "c": 2,
        "d": 3,
        "e": 4,
        "f": 5,
        "g": 6,
    }


def test_unpacking_keeps_only_literal_elements() -> None:
    assert extract_literal_params("a, b = 1, compute()\nc, *d = 1, 2, 3\ne, f = pair\n") == {"a": 1}


def test_ignores_non_literals_targets_private_and_nested() -> None:
    source = (
        "model = build()\n"
        "x = 1 + 2\n"
        "y = [1, foo]\n"
        "self.lr = 0.1\n"
        "cfg['k'] = 1\n"
        "_private = 3\n"
        "__dunder__ = 4\n"
        "if True:\n"
        "    nested_if = 1\n"
        "for i in range(3):\n"
        "    nested_for = 2\n"
        "def f():\n"
        "    nested_def = 3\n"
        "with open('x') as fh:\n"
        "    nested_with = 4\n"
        "count += 1\n"
        "kept = 5\n"
    )
    assert extract_literal_params(source) == {"kept": 5}


def test_later_assignment_wins() -> None:
    assert extract_literal_params("lr = 0.1\nlr = 0.2\nlr = f(lr)\n") == {"lr": 0.2}


def test_values_that_cannot_be_stored_are_not_parameters() -> None:
    assert extract_literal_params("b = b'raw'\nc = 1j\nd = {(1, 2): 3}\nok = 1\n") == {"ok": 1}


def test_ipython_syntax_is_dropped() -> None:
    source = (
        "%matplotlib inline\n"
        "!pip list\n"
        "files = !ls\n"
        "lr = 0.1\n"
        "for i in range(2):\n"
        "    %time f(i)\n"
        "print?\n"
        "batch = 32\n"
    )
    assert extract_literal_params(source) == {"lr": 0.1, "batch": 32}


def test_cell_magic_first_line_is_dropped() -> None:
    assert extract_literal_params("%%time\nlr = 0.1\n") == {"lr": 0.1}


def test_lines_inside_strings_are_not_blanked() -> None:
    source = '%matplotlib inline\nprompt = """Who are you?\n%s is my name"""\n'
    assert extract_literal_params(source) == {"prompt": "Who are you?\n%s is my name"}


def test_unparseable_cell_returns_empty() -> None:
    assert extract_literal_params("lr = 0.1\ndef broken(:\n") == {}
    assert extract_literal_params("%%bash\necho $((1 +\n") == {}
    assert extract_literal_params("x = 1\0") == {}
    assert extract_literal_params("") == {}


# --------------------------------------------------------------------------- overrides


def test_override_keeps_everything_else_byte_identical() -> None:
    source = (
        "# Hyper-parameters\r\n"
        "lr   =   0.01  # learning rate\r\n"
        "%matplotlib inline\r\n"
        "layers = [64,\r\n"
        "          32]  # two layers\r\n"
        "model = build(lr)\r\n"
    )
    new, applied = apply_param_overrides(source, {"lr": 0.5, "layers": [8]})
    assert applied == {"lr": 0.5, "layers": [8]}
    assert new == (
        "# Hyper-parameters\r\n"
        "lr   =   0.5  # learning rate\r\n"
        "%matplotlib inline\r\n"
        "layers = [8]  # two layers\r\n"
        "model = build(lr)\r\n"
    )


def test_override_columns_are_utf8_bytes() -> None:
    source = 'titre = "café"; lr = 0.1  # é\n'
    new, applied = apply_param_overrides(source, {"lr": 2})
    assert new == 'titre = "café"; lr = 2  # é\n'
    assert applied == {"lr": 2}


def test_override_annotated_and_unpacked() -> None:
    source = "name: str = 'a'\nx, y = 1, 2\n"
    new, applied = apply_param_overrides(source, {"name": "b", "y": -7})
    assert new == "name: str = 'b'\nx, y = 1, -7\n"
    assert applied == {"name": "b", "y": -7}


def test_override_every_literal_assignment_of_a_name() -> None:
    new, _ = apply_param_overrides("lr = 0.1\nuse(lr)\nlr = 0.2\n", {"lr": 0.3})
    assert new == "lr = 0.3\nuse(lr)\nlr = 0.3\n"
    assert extract_literal_params(new) == {"lr": 0.3}


def test_override_chained_assignment() -> None:
    both, _ = apply_param_overrides("a = b = 1\n", {"a": 2, "b": 2})
    assert both == "a = b = 2\n"
    one, applied = apply_param_overrides("a = b = 1  # both\nprint(a)\n", {"a": 5})
    assert one == "a = b = 1; a = 5  # both\nprint(a)\n"
    assert applied == {"a": 5}
    assert extract_literal_params(one) == {"a": 5, "b": 1}


def test_override_chained_unpacking() -> None:
    source = "c = (a, b) = (1, 2)\n"
    assert extract_literal_params(source) == {"c": (1, 2), "a": 1, "b": 2}
    new, applied = apply_param_overrides(source, {"c": (3, 4), "a": 5})
    assert new == "c = (a, b) = (1, 2); c = (3, 4); a = 5\n"
    assert applied == {"c": (3, 4), "a": 5}
    assert extract_literal_params(new) == {"c": (3, 4), "a": 5, "b": 2}


def test_override_skips_names_not_assigned_as_literals() -> None:
    source = "model = build()\nlr = 0.1\n"
    new, applied = apply_param_overrides(source, {"model": 1, "missing": 2, "lr": 0.2})
    assert new == "model = build()\nlr = 0.2\n"
    assert applied == {"lr": 0.2}


def test_override_values_round_trip() -> None:
    values = {
        "a": None,
        "b": True,
        "c": -3,
        "d": 1e-300,
        "e": "quote ' and \" and \n newline",
        "f": [1, (2, 3), {"k": [4]}],
        "g": {3, 1, 2},
    }
    source = "".join(f"{name} = 0\n" for name in values)
    new, applied = apply_param_overrides(source, values)
    assert applied == values
    tree = ast.parse(new)
    assert len(tree.body) == len(values)
    params = extract_literal_params(new)
    assert params["e"] == values["e"]
    assert params["f"] == [1, (2, 3), {"k": [4]}]
    assert params["g"] == [1, 2, 3]


def test_override_numpy_like_scalar_is_written_as_python_number() -> None:
    new, applied = apply_param_overrides("lr = 0.1\n", {"lr": FakeNumpyScalar(0.25)})
    assert new == "lr = 0.25\n"
    assert applied == {"lr": 0.25}
    assert type(applied["lr"]) is float


@pytest.mark.parametrize(
    "value", [object(), float("nan"), float("inf"), set(), [1, object()], {"k": print}]
)
def test_override_rejects_non_literal_values(value: object) -> None:
    with pytest.raises(ValueError, match=r"cannot override parameter 'lr'.*not a Python literal"):
        apply_param_overrides("lr = 0.1\n", {"lr": value})


def test_override_rejects_invalid_names() -> None:
    with pytest.raises(ValueError, match="invalid parameter name"):
        apply_param_overrides("x = 1\n", {"x=1;import os;os.system('id')#": 1})


def test_override_of_unparseable_cell_changes_nothing() -> None:
    assert apply_param_overrides("def (:\n", {"x": 1}) == ("def (:\n", {})


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize("name", ["lr", "_x", "Layer2", "a" * 100, "match", "case"])
def test_valid_names(name: str) -> None:
    assert is_valid_param_name(name)
    assert validate_param_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "x=1;import os;os.system('id')#",
        "",
        "1x",
        "a b",
        "a-b",
        "a.b",
        "class",
        "None",
        "a" * 101,
        "café",
        "x\n",
    ],
)
def test_invalid_names(name: str) -> None:
    assert not is_valid_param_name(name)
    with pytest.raises(ValueError, match="invalid parameter name"):
        validate_param_name(name)


def test_injection_message() -> None:
    with pytest.raises(ValueError) as info:
        validate_param_name("x=1;import os")
    assert str(info.value) == "invalid parameter name 'x=1;import os': must be a Python identifier"


# --------------------------------------------------------------------------- papermill


def test_papermill_parameters_cell() -> None:
    source = '# Parameters\nlr = 0.5\nname = "run-2"\nlayers = [1, 2]\n'
    assert parse_papermill_parameters(source) == {"lr": 0.5, "name": "run-2", "layers": [1, 2]}
    assert parse_papermill_parameters("\n# Parameters\n") == {}


@pytest.mark.parametrize(
    "source", ["lr = 0.5\n", "# parameters\nlr = 1\n", "# Parameters of the model\nx = 1", ""]
)
def test_not_papermill_parameters_cell(source: str) -> None:
    assert parse_papermill_parameters(source) is None


# --------------------------------------------------------------------------- KEY=VALUE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lr=0.1", ("lr", 0.1)),
        ("opt=adam", ("opt", "adam")),
        ("x=[1,2]", ("x", [1, 2])),
        ("flag=True", ("flag", True)),
        ("n=-3", ("n", -3)),
        ("s='a=b'", ("s", "a=b")),
        ("expr=a=b", ("expr", "a=b")),
        ("empty=", ("empty", "")),
        ("code=__import__('os')", ("code", "__import__('os')")),
        ("tags={'b','a'}", ("tags", ["a", "b"])),
        (" lr =0.1", ("lr", 0.1)),
    ],
)
def test_parse_key_value(text: str, expected: tuple[str, object]) -> None:
    assert parse_key_value(text) == expected


@pytest.mark.parametrize("text", ["noequals", "=1", "1x=2", "x;import os=1", "class=1"])
def test_parse_key_value_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"KEY=VALUE|invalid parameter name"):
        parse_key_value(text)
