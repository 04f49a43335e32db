"""Sweep files, designs, the Sobol analysis and a small end-to-end sweep.

Bad sweep files must be rejected with an error naming the file and key (and, through the
command line, exit status 2 with nothing written); designs must have the documented size,
structure and determinism; Sobol indices must use replicate means in design order.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE, SCENARIOS

from simulation.cli import main
from simulation.scenario import ScenarioError
from simulation.study.sweep import (
    SweepParameter,
    design,
    is_sweep_file,
    load_sweep,
    noise_share,
    point_scenarios,
    run_sweep,
    sobol_indices,
    summarise,
    sweep_from_dict,
    sweep_schema,
)

SHIPPED_SWEEPS = sorted(SCENARIOS.glob("sweep_*.toml"))

GOOD = """\
base = "{baseline}"
sampler = "sobol"
samples = 2
replications = 2
seed = 11
outputs = ["needs_met_rate", "service_coverage"]

[run]
scale = 0.003
days = 70

[fixed]
"modes.smart_platform.enabled" = true

[parameters."modes.smart_platform.coverage"]
range = [0.0, 1.0]

[parameters."principles.pairing"]
values = ["voluntary", "forced"]
"""


def write(folder: Path, text: str, name: str = "sweep_test.toml") -> Path:
    path = folder / name
    path.write_text(text.replace("{baseline}", BASELINE.as_posix()), encoding="utf-8")
    return path


def good(**replace: str) -> str:
    text = GOOD
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


P_COV = '[parameters."modes.smart_platform.coverage"]\nrange = [0.0, 1.0]'
P_PAIR = '[parameters."principles.pairing"]\nvalues = ["voluntary", "forced"]'

# (id, file text, key the error must name (None: the file itself), fragments of the message)
BAD = [
    ("unknown_top_key", "smaples = 4\n" + GOOD, "smaples", ("unknown key", "'samples'")),
    (
        "unknown_parameter_key",
        good(**{P_COV: '[parameters."modes.smart_platform.coverag"]\nrange = [0.0, 1.0]'}),
        'parameters."modes.smart_platform.coverag"',
        ("unknown scenario key", "modes.smart_platform.coverage"),
    ),
    (
        "parameter_is_a_table",
        good(**{P_COV: '[parameters."modes.regional"]\nvalues = [1, 2]'}),
        'parameters."modes.regional"',
        ("is a table", "modes.regional.strength"),
    ),
    (
        "unquoted_parameter_key",
        good(**{P_COV: "[parameters.modes.smart_platform.coverage]\nrange = [0.0, 1.0]"}),
        "parameters.modes",
        ("in quotes",),
    ),
    (
        "range_reversed",
        good(**{"range = [0.0, 1.0]": "range = [1.0, 0.0]"}),
        'parameters."modes.smart_platform.coverage".range',
        ("low must be below high",),
    ),
    (
        "range_out_of_bounds",
        good(**{"range = [0.0, 1.0]": "range = [0.0, 1.5]"}),
        'parameters."modes.smart_platform.coverage".range',
        ("high end", "at most 1.0"),
    ),
    (
        "range_not_numbers",
        good(**{"range = [0.0, 1.0]": 'range = ["none", 1.0]'}),
        'parameters."modes.smart_platform.coverage".range',
        ("two numbers",),
    ),
    (
        "range_of_three",
        good(**{"range = [0.0, 1.0]": "range = [0.0, 0.5, 1.0]"}),
        'parameters."modes.smart_platform.coverage".range',
        ("[low, high]",),
    ),
    (
        "fractional_range_of_integer",
        good(
            **{
                P_COV: '[parameters."modes.regional.meeting_interval_days"]\nrange = [7.5, 90]',
            }
        ),
        'parameters."modes.regional.meeting_interval_days".range',
        ("integer", "whole numbers"),
    ),
    (
        "range_of_a_boolean",
        good(**{P_COV: '[parameters."modes.regional.enabled"]\nrange = [0, 1]'}),
        'parameters."modes.regional.enabled".range',
        ("true/false", "values"),
    ),
    (
        "value_not_a_choice",
        good(**{'values = ["voluntary", "forced"]': 'values = ["voluntary", "sometimes"]'}),
        'parameters."principles.pairing".values[1]',
        ("'voluntary', 'forced'",),
    ),
    (
        "single_value",
        good(**{'values = ["voluntary", "forced"]': 'values = ["forced"]'}),
        'parameters."principles.pairing".values',
        ("at least 2", "[fixed]"),
    ),
    (
        "repeated_value",
        good(**{'values = ["voluntary", "forced"]': 'values = ["forced", "forced"]'}),
        'parameters."principles.pairing".values',
        ("repeats",),
    ),
    (
        "range_and_values",
        good(**{"range = [0.0, 1.0]": "range = [0.0, 1.0]\nvalues = [0.1, 0.2]"}),
        'parameters."modes.smart_platform.coverage"',
        ("exactly one of",),
    ),
    (
        "unknown_key_in_parameter",
        good(**{"range = [0.0, 1.0]": "range = [0.0, 1.0]\nlevles = 3"}),
        'parameters."modes.smart_platform.coverage".levles',
        ("unknown key", "levels"),
    ),
    (
        "sobol_with_one_parameter",
        good(**{P_PAIR: ""}),
        "parameters",
        ("at least 2 parameters", "got 1"),
    ),
    (
        "sobol_samples_not_power_of_two",
        good(**{"samples = 2": "samples = 6"}),
        "samples",
        ("power of 2", "got 6"),
    ),
    (
        "lhs_without_samples",
        good(**{'sampler = "sobol"\nsamples = 2': 'sampler = "lhs"'}),
        "samples",
        ("required", "lhs"),
    ),
    (
        "grid_without_levels",
        good(**{'sampler = "sobol"': 'sampler = "grid"'}),
        'parameters."modes.smart_platform.coverage".levels',
        ("grid sampler needs", "levels"),
    ),
    (
        "unknown_sampler",
        good(**{'sampler = "sobol"': 'sampler = "montecarlo"'}),
        "sampler",
        ("grid, lhs, sobol",),
    ),
    ("missing_sampler", good(**{'sampler = "sobol"\n': ""}), "sampler", ("required",)),
    (
        "replications_zero",
        good(**{"replications = 2": "replications = 0"}),
        "replications",
        ("between 1",),
    ),
    ("seed_string", good(**{"seed = 11": 'seed = "x"'}), "seed", ("integer",)),
    (
        "unknown_output",
        good(**{'"needs_met_rate", ': '"needs_met", '}),
        "outputs[0]",
        ("unknown metric", "'needs_met_rate'"),
    ),
    ("run_unknown_key", good(**{"days = 70": "dayz = 70"}), "run.dayz", ("allowed here", "days")),
    ("run_seed", good(**{"days = 70": "days = 70\nseed = 3"}), "run.seed", ("top-level",)),
    ("run_bad_value", good(**{"scale = 0.003": "scale = 2.0"}), "run.scale", ("at most 1",)),
    (
        "run_inconsistent",
        good(**{"days = 70": "days = 50"}),
        "run.days",
        ("run.warmup_days", "got 50"),
    ),
    (
        "fixed_unknown_key",
        good(**{'"modes.smart_platform.enabled" = true': '"modes.smart_platfrom.enabled" = true'}),
        'fixed."modes.smart_platfrom.enabled"',
        ("unknown scenario key", "modes.smart_platform.enabled"),
    ),
    (
        "fixed_bad_value",
        good(**{'"modes.smart_platform.enabled" = true': '"modes.smart_platform.enabled" = 1'}),
        'fixed."modes.smart_platform.enabled"',
        ("boolean",),
    ),
    (
        "fixed_and_swept",
        good(**{"[fixed]\n": '[fixed]\n"principles.pairing" = "forced"\n'}),
        'fixed."principles.pairing"',
        ("also swept",),
    ),
    (
        "reserved_key_swept",
        good(**{P_PAIR: '[parameters."run.seed"]\nrange = [1, 9]'}),
        'parameters."run.seed"',
        ("cannot be swept", "seed"),
    ),
    (
        "missing_base_file",
        good(**{'base = "{baseline}"': 'base = "nowhere.toml"'}),
        "base",
        ("not found", "nowhere.toml"),
    ),
    ("missing_base_key", good(**{'base = "{baseline}"\n': ""}), "base", ("required",)),
    ("malformed_toml", GOOD + "[run\n", None, ("malformed TOML",)),
    (
        "design_point_breaks_scenario_rule",
        good(
            **{
                P_PAIR: '[parameters."service.grid_staffing_weak"]\nrange = [0.0, 0.9]',
            }
        ),
        "parameters",
        ("design point", "service.grid_staffing_weak", "grid_staffing_strong"),
    ),
]


@pytest.mark.parametrize(
    ("text", "key", "fragments"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_sweep_file_names_file_and_key(workdir, text, key, fragments) -> None:
    path = write(workdir, text)
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    message = info.value.render()
    where = f"{path}: {key}:" if key else f"{path}:"
    assert where in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


@pytest.mark.parametrize(
    ("text", "key", "fragments"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_sweep_file_on_the_command_line_exits_2_and_writes_nothing(
    workdir, capsys, text, key, fragments
) -> None:
    path = write(workdir, text)
    out = workdir / "study"
    argv = ["sweep", str(path), "--out", str(out), "--workers", "1", "--no-progress"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"error: {path}:" in err
    assert "Traceback" not in err
    if key:
        assert key in err
    assert not out.exists()
    assert sorted(p.name for p in workdir.iterdir()) == [path.name]  # no results/ either
    assert main(["check", str(path)]) == 2
    assert key is None or key in capsys.readouterr().err


def test_missing_sweep_file(workdir, capsys) -> None:
    assert main(["sweep", str(workdir / "sweep_none.toml"), "--out", str(workdir / "o")]) == 2
    assert "not found" in capsys.readouterr().err
    assert not (workdir / "o").exists()


def test_scenario_file_given_to_sweep_is_rejected(workdir, capsys) -> None:
    assert main(["sweep", str(BASELINE), "--out", str(workdir / "o")]) == 2
    assert "is a scenario file, not a sweep file" in capsys.readouterr().err
    assert not (workdir / "o").exists()


def test_base_that_is_itself_broken_is_blamed(workdir) -> None:
    (workdir / "base.toml").write_text(f'extends = "{BASELINE.as_posix()}"\n[run]\ndayz = 3\n')
    path = write(workdir, good(**{'base = "{baseline}"': 'base = "base.toml"'}))
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    assert f"{workdir / 'base.toml'}: run.dayz: unknown key" in info.value.render()


def test_every_problem_is_reported_at_once(workdir) -> None:
    path = write(workdir, good(**{"seed = 11": 'seed = "x"', "samples = 2": "samples = 6"}))
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    keys = {p.key for p in info.value.problems}
    assert {"seed", "samples"} <= keys


def test_is_sweep_file(workdir) -> None:
    assert is_sweep_file(write(workdir, GOOD))
    assert not is_sweep_file(BASELINE)
    assert is_sweep_file(write(workdir, "[broken", name="sweep_broken.toml"))


# ---------------------------------------------------------------------------- designs
def test_grid_is_every_combination(workdir) -> None:
    text = f"""base = "{BASELINE.as_posix()}"
sampler = "grid"
[parameters."modes.smart_platform.coverage"]
range = [0.0, 1.0]
levels = 3
[parameters."principles.pairing"]
values = ["voluntary", "forced"]
[parameters."modes.regional.meeting_interval_days"]
range = [10, 40]
levels = 4
"""
    spec = load_sweep(write(workdir, text))
    d = design(spec)
    assert spec.design_size() == len(d) == 3 * 2 * 4
    assert not d.duplicated().any()
    assert sorted(set(d["modes.smart_platform.coverage"])) == [0.0, 0.5, 1.0]
    assert sorted(set(d["modes.regional.meeting_interval_days"])) == [10, 20, 30, 40]
    assert set(d["principles.pairing"]) == {"voluntary", "forced"}
    assert d["modes.regional.meeting_interval_days"].dtype == np.int64
    assert list(d.index) == list(range(1, 25))


def test_lhs_puts_one_point_in_each_stratum(workdir) -> None:
    text = good(**{'sampler = "sobol"\nsamples = 2': 'sampler = "lhs"\nsamples = 10'})
    text += '[parameters."city.digital_access_60_plus"]\nrange = [0.2, 0.7]\n'
    spec = load_sweep(write(workdir, text))
    d = design(spec)
    assert len(d) == 10
    for key, (lo, hi) in {
        "modes.smart_platform.coverage": (0.0, 1.0),
        "city.digital_access_60_plus": (0.2, 0.7),
    }.items():
        strata = np.floor((d[key].to_numpy() - lo) / (hi - lo) * 10).astype(int)
        assert sorted(strata) == list(range(10)), key
    # a discrete parameter with 2 choices over 10 strata: exactly 5 each
    assert d["principles.pairing"].value_counts().to_dict() == {"voluntary": 5, "forced": 5}
    # deterministic given the seed, different for another seed
    pd.testing.assert_frame_equal(design(spec), d)
    other = sweep_from_dict({**tomllib.loads(write(workdir, text).read_text()), "seed": 12})
    assert not design(other).equals(d)


def test_sobol_design_size_structure_and_determinism(workdir) -> None:
    text = good(**{"samples = 2": "samples = 8"})
    text += '[parameters."city.digital_access_60_plus"]\nrange = [0.2, 0.7]\n'
    spec = load_sweep(write(workdir, text))
    d = design(spec)
    n, dims = 8, 3
    assert spec.design_size() == len(d) == n * (dims + 2)
    pd.testing.assert_frame_equal(design(spec), d)
    data = tomllib.loads(write(workdir, text).read_text())
    assert not design(sweep_from_dict({**data, "seed": 12})).equals(d)
    # Saltelli blocks of D + 2 rows: A, then A with column j taken from B, then B
    cont = ["modes.smart_platform.coverage", "city.digital_access_60_plus"]
    for b in range(n):
        block = d.iloc[b * (dims + 2) : (b + 1) * (dims + 2)]
        a, bb = block.iloc[0], block.iloc[-1]
        for j, key in enumerate(spec.keys):
            ab = block.iloc[1 + j]
            for other in spec.keys:
                expected = bb[other] if other == key else a[other]
                assert ab[other] == expected, (b, key, other)
        assert (a[cont] != bb[cont]).all()


def test_unit_draws_map_to_each_value_equally() -> None:
    u = (np.arange(1000) + 0.5) / 1000
    ints = SweepParameter("k", int, low=7, high=10).from_unit(u)
    assert pd.Series(ints).value_counts().to_dict() == {7: 250, 8: 250, 9: 250, 10: 250}
    choice = SweepParameter("k", str, values=("a", "b", "c", "d")).from_unit(u)
    assert pd.Series(choice).value_counts().to_dict() == {"a": 250, "b": 250, "c": 250, "d": 250}
    floats = SweepParameter("k", float, low=0.2, high=0.7).from_unit(np.array([0.0, 0.5, 1.0]))
    assert floats[0] == 0.2
    assert floats[1] == pytest.approx(0.45)
    assert floats[2] == pytest.approx(0.7)
    assert SweepParameter("k", int, low=7, high=10).from_unit(np.array([1.0])) == [10]


def test_integer_grid_with_more_levels_than_integers_is_an_error(workdir) -> None:
    text = f"""base = "{BASELINE.as_posix()}"
sampler = "grid"
[parameters."modes.regional.meeting_interval_days"]
range = [10, 12]
levels = 4
"""
    with pytest.raises(ScenarioError, match="would repeat values; at most 3"):
        load_sweep(write(workdir, text))


def test_point_scenarios_carry_the_point_values(workdir) -> None:
    spec = load_sweep(write(workdir, GOOD))
    d = design(spec)
    scenarios = point_scenarios(spec, d)
    assert [s.name for s in scenarios] == [f"sweep_test-p{i:04d}" for i in range(1, 9)]
    for s, (_, row) in zip(scenarios, d.iterrows(), strict=True):
        assert s.modes.smart_platform.coverage == row["modes.smart_platform.coverage"]
        assert s.principles.pairing == row["principles.pairing"]
        assert s.modes.smart_platform.enabled  # [fixed]
        assert (s.run.scale, s.run.days) == (0.003, 70)  # [run]


# ---------------------------------------------------------------------------- schema and files
def test_schema_is_valid_and_published() -> None:
    schema = sweep_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    published = json.loads((SCENARIOS / "sweep.schema.json").read_text(encoding="utf-8"))
    assert published == json.loads(json.dumps(schema)), "run: simulation schema --write"


def test_schema_rejects_what_the_loader_rejects(workdir) -> None:
    validator = jsonschema.Draft202012Validator(sweep_schema())
    data = tomllib.loads(GOOD.replace("{baseline}", "x.toml"))
    assert list(validator.iter_errors(data)) == []
    for bad in (
        {**data, "smaples": 3},
        {**data, "sampler": "montecarlo"},
        {**data, "parameters": {"modes.smart_platform.coverag": {"range": [0, 1]}}},
        {**data, "parameters": {"principles.pairing": {"values": ["voluntary", "sometimes"]}}},
        {**data, "parameters": {"modes.regional.enabled": {"range": [0, 1]}}},
    ):
        assert list(validator.iter_errors(bad)), bad


@pytest.mark.parametrize("path", SHIPPED_SWEEPS, ids=lambda p: p.stem)
def test_shipped_sweep_loads_and_validates(path: Path) -> None:
    spec = load_sweep(path)
    assert spec.name == path.stem
    assert spec.description
    assert "sweep" in spec.name
    assert 200 <= spec.n_runs() <= 400  # "about a minute on 2 cores" at its scale
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert list(jsonschema.Draft202012Validator(sweep_schema()).iter_errors(data)) == []


def test_shipped_sweep_is_present() -> None:
    assert SHIPPED_SWEEPS, "ship at least one scenarios/sweep_*.toml"


# ---------------------------------------------------------------------------- analysis
def _synthetic(workdir: Path, n: int = 256):
    """A sobol spec over three unit ranges and the design's unit coordinates."""
    text = f"""base = "{BASELINE.as_posix()}"
sampler = "sobol"
samples = {n}
replications = 2
seed = 5
outputs = ["needs_met_rate"]
[parameters."modes.smart_platform.coverage"]
range = [0.0, 1.0]
[parameters."modes.central_community.information_share"]
range = [0.0, 1.0]
[parameters."city.digital_access_60_plus"]
range = [0.0, 1.0]
"""
    spec = load_sweep(write(workdir, text), check_design=False)
    d = design(spec)
    x = d.to_numpy(dtype=float)
    return spec, d, x


def _runs(d: pd.DataFrame, values: np.ndarray) -> pd.DataFrame:
    """runs.parquet-like rows: values[replication, point]."""
    rows = []
    for r in range(values.shape[0]):
        for i, dp in enumerate(d.index):
            rows.append(
                {
                    "design_point": dp,
                    "replication": r,
                    "status": "ok",
                    "needs_met_rate": values[r, i],
                }
            )
    return pd.DataFrame(rows)


def test_sobol_indices_recover_a_known_additive_function(workdir) -> None:
    spec, d, x = _synthetic(workdir)
    f = 4 * x[:, 0] + 1 * x[:, 1]  # variances 16/12 and 1/12: S1 = 16/17, 1/17, 0
    runs = _runs(d, np.vstack([f, f]))
    points = summarise(spec, d, runs)
    table, warnings = sobol_indices(spec, points, runs)
    assert warnings == []
    s1 = table.set_index("parameter")["S1"]
    assert s1["modes.smart_platform.coverage"] == pytest.approx(16 / 17, abs=0.08)
    assert s1["modes.central_community.information_share"] == pytest.approx(1 / 17, abs=0.05)
    assert s1["city.digital_access_60_plus"] == pytest.approx(0.0, abs=0.03)
    # the table's row order does not matter: indices follow design_point, not position
    shuffled = points.sample(frac=1.0, random_state=1)
    again, _ = sobol_indices(spec, shuffled, runs)
    pd.testing.assert_frame_equal(again, table)
    # ... whereas feeding SALib the same outputs out of design order gives other numbers
    from SALib.analyze import sobol as sobol_analyze

    problem = {"num_vars": 3, "names": spec.keys, "bounds": [[0, 1]] * 3}
    wrong = sobol_analyze.analyze(
        problem, shuffled["needs_met_rate_mean"].to_numpy(), calc_second_order=False, seed=6
    )
    assert abs(wrong["S1"][0] - s1.iloc[0]) > 0.3


def test_indices_use_replicate_means_and_noise_share_allows_for_common_seeds(workdir) -> None:
    spec, d, x = _synthetic(workdir, n=64)
    f = x[:, 0]
    rng = np.random.default_rng(3)
    common = rng.normal(0, 1.0, size=(2, 1))  # seed effects shared by every point
    runs = _runs(d, f + common)
    points = summarise(spec, d, runs)
    np.testing.assert_allclose(points["needs_met_rate_mean"], f + common.mean())
    assert noise_share(runs, "needs_met_rate", len(d)) == pytest.approx(0.0, abs=1e-9)
    table, warnings = sobol_indices(spec, points, runs)
    assert table.set_index("parameter")["S1"].iloc[0] == pytest.approx(1.0, abs=0.1)
    assert not any("noise" in w for w in warnings)
    # point-specific noise of variance s2 in each of 2 replications: share ~ s2 / 2 / var(f)
    s2 = 1 / 12
    noisy = _runs(d, f + rng.normal(0, np.sqrt(s2), size=(2, len(d))))
    share = noise_share(noisy, "needs_met_rate", len(d))
    assert 0.25 < share < 0.8  # expected (s2/2) / (1/12 + s2/2) = 1/3 of the spread
    _, warnings = sobol_indices(spec, summarise(spec, d, noisy), noisy)
    assert any("noise" in w for w in warnings)


def test_no_indices_when_a_design_point_has_no_ok_run(workdir) -> None:
    spec, d, x = _synthetic(workdir, n=4)
    runs = _runs(d, np.vstack([x[:, 0], x[:, 0]]))
    runs.loc[runs["design_point"] == 3, "status"] = "failed"
    table, warnings = sobol_indices(spec, summarise(spec, d, runs), runs)
    assert table.empty
    assert any("p0003" in w and "no ok run" in w for w in warnings)


def test_no_indices_for_a_constant_output(workdir) -> None:
    spec, d, _ = _synthetic(workdir, n=4)
    runs = _runs(d, np.ones((2, len(d))))
    table, warnings = sobol_indices(spec, summarise(spec, d, runs), runs)
    assert table.empty
    assert any("does not vary" in w for w in warnings)


# ---------------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory):
    """GOOD (sobol, N=2, D=2: 8 points x 2 replications) run in this process."""
    folder = tmp_path_factory.mktemp("sweep")
    path = write(folder, GOOD)
    result = run_sweep(path, out=folder / "study", workers=1, progress=False)
    return path, result


def test_small_sweep_writes_every_file(small_sweep) -> None:
    _, result = small_sweep
    folder = result.study.folder
    for name in ("manifest.json", "runs.parquet", "design.csv", "summary.csv", "sobol.csv"):
        assert (folder / name).is_file(), name
    runs = pd.read_parquet(folder / "runs.parquet")
    assert len(runs) == 16
    assert (runs["status"] == "ok").all()
    assert list(runs["design_point"]) == [i for i in range(1, 9) for _ in range(2)]
    # common seeds across design points
    assert set(runs.groupby("design_point")["seed"].apply(tuple)) == {(11, 12)}
    d = pd.read_csv(folder / "design.csv").set_index("design_point")
    joined = runs.merge(d, left_on="design_point", right_index=True, suffixes=("", "_design"))
    for key in ("modes.smart_platform.coverage", "principles.pairing"):
        assert (joined[key] == joined[f"{key}_design"]).all(), key
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kind"] == "sweep"
    assert manifest["sweep"]["design_size"] == 8
    assert manifest["sweep"]["digest"] == result.spec.digest()
    assert manifest["scenarios"]["sweep_test-p0001"]["overrides"]["principles.pairing"] in (
        "voluntary",
        "forced",
    )
    assert all(r["status"] == "ok" for r in manifest["runs"].values())


def test_small_sweep_sobol_csv_is_salib_on_replicate_means(small_sweep) -> None:
    from SALib.analyze import sobol as sobol_analyze

    _, result = small_sweep
    folder = result.study.folder
    runs = pd.read_parquet(folder / "runs.parquet")
    sobol = pd.read_csv(folder / "sobol.csv")
    assert list(sobol.columns) == [
        "output",
        "parameter",
        "S1",
        "S1_conf",
        "ST",
        "ST_conf",
        "noise_share",
    ]
    assert len(sobol) == 2 * 2
    means = runs.groupby("design_point")["needs_met_rate"].mean().sort_index().to_numpy()
    problem = {"num_vars": 2, "names": result.spec.keys, "bounds": [[0, 1]] * 2}
    si = sobol_analyze.analyze(
        problem,
        means,
        calc_second_order=False,
        num_resamples=1000,
        seed=result.spec.seed + 1,
    )
    got = sobol[sobol["output"] == "needs_met_rate"]
    np.testing.assert_allclose(got["S1"], si["S1"])
    np.testing.assert_allclose(got["ST"], si["ST"])
    summary = pd.read_csv(folder / "summary.csv")
    np.testing.assert_allclose(summary["needs_met_rate_mean"], means)


def test_small_sweep_summary_text(small_sweep) -> None:
    _, result = small_sweep
    text = result.summary()
    assert "N*(D+2) = 8 points x 2 replication(s) = 16 runs" in text
    assert "16 of 16 on disk, 0 failed" in text
    assert "Sobol indices" in text
    assert "modes.smart_platform.coverage" in text


def test_resuming_a_finished_sweep_runs_nothing(small_sweep) -> None:
    path, result = small_sweep
    before = pd.read_parquet(result.study.folder / "runs.parquet")
    again = run_sweep(path, out=result.study.folder, workers=1, resume=True, progress=False)
    assert again.study.manifest["sessions"][-1]["runs"] == 0
    pd.testing.assert_frame_equal(again.study.runs, before)


def test_resuming_with_a_changed_sweep_is_refused(small_sweep, workdir) -> None:
    _, result = small_sweep
    changed = write(workdir, good(**{"range = [0.0, 1.0]": "range = [0.0, 0.9]"}))
    before = (result.study.folder / "manifest.json").read_text()
    with pytest.raises(
        ScenarioError, match=r"differs from the sweep that started .* in: parameters"
    ):
        run_sweep(changed, out=result.study.folder, workers=1, resume=True, progress=False)
    assert (result.study.folder / "manifest.json").read_text() == before


def test_grid_sweep_summary_lists_top_points(workdir) -> None:
    text = f"""base = "{BASELINE.as_posix()}"
sampler = "grid"
replications = 1
outputs = ["service_coverage"]
[run]
scale = 0.003
days = 70
[fixed]
"modes.smart_platform.enabled" = true
[parameters."modes.smart_platform.coverage"]
values = [0.0, 1.0]
"""
    result = run_sweep(write(workdir, text), out=workdir / "g", workers=1, progress=False)
    assert result.sobol is None
    assert not (workdir / "g" / "sobol.csv").exists()
    text = result.summary()
    assert "top 2 design points by service_coverage" in text
    best = result.points.sort_values("service_coverage_mean").iloc[-1]
    assert best["modes.smart_platform.coverage"] == 1.0  # the platform adds a channel
