"""Property-based fuzzing of what users type: scenario files, sweep files and names.

Every generated input is wrong in a known way, and the command line must say so the way the
contract says (design.md §5): exit status 2, a message naming the key, no traceback, nothing
written. The commands run in this process (`simulation.cli.main([...])`), so thousands of
cases take seconds: a wrong file is refused before any run starts. Each case is given an
`--out` folder that must still not exist afterwards.

Valid names are checked the other way round: `simulation check` accepts them.
Examples are derandomised so CI sees the same cases on every run; the campaign is 3,400
generated cases (1,000 scenario values, 1,000 names, 800 sweep entries, 600 arbitrary TOML
documents).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
import tempfile
import typing
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.cli import main
from simulation.scenario.names import SWEEP_NAME_MAX_LENGTH, name_problem
from simulation.scenario.params import is_section
from simulation.scenario.settings import Scenario
from simulation.study.sweep.spec import SAMPLERS

FUZZ = settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# ---------------------------------------------------------------------- writing TOML
def toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes of control characters are TOML's too; DEL is
    escaped by hand, and characters beyond the BMP stay literal (JSON would write surrogate
    pairs, which TOML refuses)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(v: Any) -> str:
    """A TOML value for v (inline tables and arrays; NaN and infinities as TOML spells them)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        return repr(v)  # 'inf', '-inf', '1e-05' are TOML too
    if isinstance(v, str):
        return toml_string(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{toml_string(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def toml_assign(dotted: str, value: Any) -> str:
    """`[a.b]\\nc = value` for a dotted key a.b.c (or `c = value` at the top)."""
    *table, leaf = dotted.split(".")
    head = f"[{'.'.join(table)}]\n" if table else ""
    return f"{head}{leaf} = {toml_value(value)}\n"


# ---------------------------------------------------------------------- running the command
def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def assert_refused(command: str, text: str, key: str) -> None:
    """`simulation COMMAND file --out X` on `text`: exit 2, `key` named, no traceback, X and
    nothing else written."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "case.toml"
        path.write_text(text, encoding="utf-8")
        study = folder / "study"
        argv = [command, str(path), "--out", str(study), "--workers", "1", "--no-progress"]
        code, _, err = run_cli(argv)
        assert code == 2, (text, err)
        assert key in err, (key, err)
        assert "Traceback" not in err
        assert sorted(p.name for p in folder.iterdir()) == ["case.toml"], err


# ---------------------------------------------------------------------- scenario keys
def _scalar_keys(cls: type = Scenario, prefix: str = "") -> list[tuple[str, Any, dict]]:
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if is_section(f):
            out.extend(_scalar_keys(f.default_factory, f"{prefix}{f.name}."))
        else:
            out.append((prefix + f.name, hints[f.name], dict(f.metadata)))
    return out


KEYS = [k for k in _scalar_keys() if k[0] != "description"]  # any text is a description

_junk_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=40)
_junk_list = st.lists(st.integers(-5, 5) | _junk_text, max_size=3)
_junk_table = st.dictionaries(
    st.from_regex(r"[a-z]{1,6}", fullmatch=True), st.integers(), max_size=2
)


def _out_of_range(tp: type, meta: dict) -> st.SearchStrategy:
    lo, hi, lo_open = meta.get("lo"), meta.get("hi"), meta.get("lo_open")
    options = []
    if tp is int:
        if lo is not None:
            options.append(st.integers(max_value=math.ceil(lo) - (0 if lo_open else 1)))
        if hi is not None:
            options.append(st.integers(min_value=math.floor(hi) + 1))
        options.append(st.floats(allow_nan=True, allow_infinity=True))  # not an integer
    else:
        if lo is not None:
            options.append(st.floats(max_value=lo, exclude_max=not lo_open, allow_nan=False))
        if hi is not None:
            options.append(st.floats(min_value=hi, exclude_min=True, allow_nan=False))
        options.append(st.sampled_from([math.nan, math.inf, -math.inf]))
    return st.one_of(options)


def invalid_value(tp: type, meta: dict, key: str) -> st.SearchStrategy:
    """Values a scenario file may not give `key` (wrong type, out of range, not a choice)."""
    wrong_type = st.one_of(_junk_list, _junk_table)
    if tp is bool:
        return st.one_of(wrong_type, st.integers(), st.floats(), _junk_text)
    if tp in (int, float):
        return st.one_of(wrong_type, st.booleans(), _junk_text, _out_of_range(tp, meta))
    if key == "name":
        return st.one_of(wrong_type, st.integers(), NAMES.filter(lambda n: name_problem(n)))
    choices = meta.get("choices") or ()
    return st.one_of(wrong_type, st.integers(), _junk_text.filter(lambda t: t not in choices))


@st.composite
def bad_scenario(draw) -> tuple[str, str]:
    key, tp, meta = draw(st.sampled_from(KEYS))
    return toml_assign(key, draw(invalid_value(tp, meta, key))), key


NAMES = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,70}", fullmatch=True),
    st.sampled_from(["..", ".", "../x", "../../../x", "a/b", "a\\b", "a\x00b", ".hidden", "-x"]),
    st.integers(55, 70).map(lambda n: "x" * n),
)


@FUZZ
@given(case=bad_scenario())
def test_a_wrong_value_of_any_scenario_key_is_refused_by_run(case) -> None:
    text, key = case
    assert_refused("run", text, f": {key}:")


@FUZZ
@given(name=NAMES)
def test_names_are_accepted_exactly_when_they_follow_the_rule(name) -> None:
    text = f"name = {toml_value(name)}\n"
    if name_problem(name) is not None:
        assert_refused("run", text, ": name:")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "case.toml"
        path.write_text(text, encoding="utf-8")
        code, out, err = run_cli(["check", str(path)])
        assert code == 0, err
        assert f"({name})" in out


# ---------------------------------------------------------------------- sweep files
SWEEP = {
    "name": "fuzz",
    "base": "base.toml",
    "sampler": "grid",
    "replications": 1,
    "seed": 3,
    "timeseries": False,
    "outputs": ["service_coverage"],
}
PARAM = 'parameters."modes.smart_platform.coverage"'


def sweep_text(top: dict[str, Any], param: dict[str, Any], run: dict[str, Any]) -> str:
    lines = [f"{k} = {toml_value(v)}" for k, v in top.items()]
    lines.append("[run]")
    lines += [f"{k} = {toml_value(v)}" for k, v in run.items()]
    lines.append(f"[{PARAM}]")
    lines += [f"{k} = {toml_value(v)}" for k, v in param.items()]
    return "\n".join(lines) + "\n"


def _ints_outside(lo: int, hi: int) -> st.SearchStrategy:
    return st.one_of(st.integers(max_value=lo - 1), st.integers(min_value=hi + 1))


_not_int = st.one_of(st.floats(), _junk_text, st.booleans(), _junk_list)
_not_bool = st.one_of(st.integers(), st.floats(), _junk_text, _junk_list)
BAD_SWEEP_ENTRIES: dict[str, st.SearchStrategy] = {
    "name": st.one_of(
        st.integers(), NAMES.filter(lambda n: name_problem(n, SWEEP_NAME_MAX_LENGTH))
    ),
    "sampler": st.one_of(st.integers(), _junk_text.filter(lambda t: t not in SAMPLERS)),
    "replications": st.one_of(_not_int, _ints_outside(1, 100_000)),
    "seed": st.one_of(_not_int, _ints_outside(0, 2**62)),
    "timeseries": _not_bool,
    "outputs": st.one_of(
        st.integers(), st.just([]), st.lists(_junk_text.filter(lambda t: "_" not in t), min_size=1)
    ),
    "base": st.one_of(st.integers(), _junk_text, st.just("a\x00b.toml"), st.just("b" * 300)),
    "range": st.one_of(
        _junk_text,
        st.lists(st.floats(0, 1), max_size=1),
        st.lists(st.floats(0, 1), min_size=3, max_size=4),
        st.tuples(st.floats(0, 1), st.floats(0, 1)).filter(lambda t: not t[0] < t[1]).map(list),
        st.tuples(st.floats(1, exclude_min=True), st.floats(1, exclude_min=True)).map(list),
        st.tuples(st.floats(max_value=0, exclude_max=True), st.floats(0, 1)).map(list),
    ),
    "levels": st.one_of(_not_int, _ints_outside(2, 10_000)),
    "days": st.one_of(_not_int, st.integers(max_value=0), st.integers(min_value=100_000)),
}
_SWEEP_KEY_NAMED = {"range": f"{PARAM}.range", "levels": f"{PARAM}.levels", "days": "run.days"}


@st.composite
def bad_sweep(draw) -> tuple[str, str]:
    entry = draw(st.sampled_from(sorted(BAD_SWEEP_ENTRIES)))
    value = draw(BAD_SWEEP_ENTRIES[entry])
    top, param, run = dict(SWEEP), {"range": [0.0, 1.0], "levels": 2}, {"days": 70}
    if entry in ("range", "levels"):
        param[entry] = value
    elif entry == "days":
        run["days"] = value
    else:
        top[entry] = value
    return sweep_text(top, param, run), _SWEEP_KEY_NAMED.get(entry, entry)


def test_the_fuzzing_sweep_is_valid() -> None:
    """The unmutated sweep passes `simulation check`, so every refusal below is the mutation's."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "base.toml").write_text('name = "base"\n[run]\nscale = 0.003\n')
        path = folder / "sweep.toml"
        path.write_text(sweep_text(SWEEP, {"range": [0.0, 1.0], "levels": 2}, {"days": 70}))
        code, _, err = run_cli(["check", str(path)])
        assert code == 0, err


@settings(FUZZ, max_examples=800)
@given(case=bad_sweep())
def test_a_wrong_entry_of_a_sweep_file_is_refused_by_sweep(case) -> None:
    text, key = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "base.toml").write_text('name = "base"\n[run]\nscale = 0.003\n')
        path = folder / "case.toml"
        path.write_text(text, encoding="utf-8")
        study = folder / "study"
        argv = ["sweep", str(path), "--out", str(study), "--workers", "1", "--no-progress"]
        code, _, err = run_cli(argv)
        assert code == 2, (text, err)
        assert key in err, (key, err)
        assert "Traceback" not in err
        assert sorted(p.name for p in folder.iterdir()) == ["base.toml", "case.toml"]


# ---------------------------------------------------------------------- any TOML at all
_KEY_POOL = st.one_of(
    st.sampled_from(
        [*(k for k, _, _ in KEYS), "run", "city", "modes", "extends", "sampler", "parameters"]
    ),
    st.text(alphabet="abcxyz_-.", min_size=1, max_size=6),
)
_LEAVES = st.one_of(
    st.booleans(),
    st.integers(),
    st.floats(),
    _junk_text,
)
DOCUMENTS = st.dictionaries(
    _KEY_POOL,
    st.recursive(
        _LEAVES,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEY_POOL, inner, max_size=3),
        max_leaves=8,
    ),
    max_size=5,
)


@settings(FUZZ, max_examples=600)
@given(doc=DOCUMENTS)
def test_check_never_gives_a_traceback_on_any_toml(doc) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "case.toml"
        text = "".join(f"{toml_string(k)} = {toml_value(v)}\n" for k, v in doc.items())
        path.write_text(text, encoding="utf-8")
        code, out, err = run_cli(["check", str(path)])
        assert code in (0, 2), err
        assert "Traceback" not in err
        assert (code == 0) == out.startswith("ok:"), (out, err)
        if code == 2:
            assert err.startswith("error: "), err
        assert sorted(p.name for p in folder.iterdir()) == ["case.toml"]
