"""Shared helpers for the test suite: paths, a tiny city, and scenario files written on the fly.

Conventions:
* a "small city" is the shipped baseline at `scale=0.003` (about 6,240 residents, the smallest
  scale with a comfortable margin over 5 residents per community) for tens of days;
* a "tiny city" (`TINY`) is one street with two communities and 200 residents, used by the
  unit tests of the service rules, which then set problems' attributes by hand;
* files written by `write_toml` live in pytest's temporary folder, never in `scenarios/`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline.toml"
SHIPPED = sorted(SCENARIOS.glob("*.toml"))  # scenario and sweep files


def _is_sweep(path: Path) -> bool:
    """A sweep file has a top-level `sampler` or `[parameters]` (design.md §5)."""
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return "sampler" in data or "parameters" in data


SHIPPED_SCENARIOS = [p for p in SHIPPED if not _is_sweep(p)]
MODE_NAMES = (
    "regional",
    "cross_domain",
    "central_community",
    "dual_reporting",
    "red_commercial_street",
    "smart_platform",
)

#: Overrides of the small city used by model-level tests (fast: well under a second a run).
SMALL = {"scale": 0.003, "days": 70}

#: A smaller organisational city for tests that switch modes on: organisation counts do not
#: shrink with `scale`, and pairing 1,105 agencies takes seconds (see the report).
FEW_UNITS = {
    "city.n_county_agencies": 120,
    "city.n_nonpublic_enterprises": 400,
    "city.n_social_organisations": 120,
    "city.agency_members": 4000,
}

#: One street, two communities, 200 residents, two agencies, nothing else; no warm-up and a
#: ten-day resolution limit. Problems are plentiful so every day has some to pick from.
TINY = {
    "city.n_streets": 1,
    "city.n_communities": 2,
    "city.residents": 200,
    "scale": 1.0,
    "city.n_city_agencies": 1,
    "city.n_county_agencies": 1,
    "city.n_state_enterprises": 0,
    "city.n_nonpublic_enterprises": 0,
    "city.n_social_organisations": 0,
    "city.n_commercial_districts": 0,
    "city.n_parks": 0,
    "city.agency_members": 0,
    "days": 40,
    "warmup_days": 0,
    "resolution_limit_days": 10,
    "demand.problems_per_resident_year": 20.0,
}


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A resolved temporary folder (error messages name resolved paths)."""
    return Path(os.path.realpath(tmp_path))


@pytest.fixture
def write_toml(workdir: Path) -> Callable[..., Path]:
    """Write a scenario file into the temporary folder and return its path.

    `extends_baseline=True` prepends `extends = "<absolute path of baseline.toml>"`.
    """

    def write(name: str, text: str, *, extends_baseline: bool = False) -> Path:
        path = workdir / name
        head = f'extends = "{BASELINE.as_posix()}"\n' if extends_baseline else ""
        path.write_text(head + text, encoding="utf-8")
        return path

    return write


# ---------------------------------------------------------------------------- bad scenario files
# Each case: files to write (name -> text; "{baseline}" stands for the absolute path of the
# shipped baseline), the file given to the loader, the file the error must blame, the dotted
# key it must name (None where no key applies) and fragments of "what is allowed".
class BadCase:
    def __init__(
        self,
        id: str,
        files: dict[str, str],
        key: str | None,
        fragments: tuple[str, ...],
        entry: str = "bad.toml",
        blamed: str | None = None,
    ) -> None:
        self.id = id
        self.files = files
        self.key = key
        self.fragments = fragments
        self.entry = entry
        self.blamed = blamed or entry

    def write(self, folder: Path) -> Path:
        for name, text in self.files.items():
            (folder / name).write_text(
                text.replace("{baseline}", BASELINE.as_posix()), encoding="utf-8"
            )
        return folder / self.entry

    def __repr__(self) -> str:
        return self.id


def _ext(text: str) -> dict[str, str]:
    """A single bad.toml that extends the baseline and adds `text`."""
    return {"bad.toml": 'extends = "{baseline}"\n' + text}


BAD_CASES: list[BadCase] = [
    # unknown keys
    BadCase("unknown_key", _ext("[run]\ndayz = 100\n"), "run.dayz", ("unknown key", "days")),
    BadCase("unknown_top_key", _ext('nmae = "x"\n'), "nmae", ("unknown key", "name")),
    BadCase(
        "unknown_mode",
        _ext("[modes.teleport]\nenabled = true\n"),
        "modes.teleport",
        ("unknown key", "regional", "smart_platform"),
    ),
    BadCase(
        "unknown_mode_param",
        _ext("[modes.regional]\nenabld = true\n"),
        "modes.regional.enabld",
        ("unknown key", "enabled"),
    ),
    # wrong types
    BadCase("string_for_int", _ext('[run]\ndays = "many"\n'), "run.days", ("integer",)),
    BadCase("float_for_int", _ext("[run]\ndays = 365.5\n"), "run.days", ("integer",)),
    BadCase(
        "bool_for_number",
        _ext("[service]\nreport_hazard = true\n"),
        "service.report_hazard",
        ("number",),
    ),
    BadCase(
        "string_for_bool",
        _ext('[modes.regional]\nenabled = "yes"\n'),
        "modes.regional.enabled",
        ("boolean",),
    ),
    BadCase("scalar_for_table", _ext("run = 5\n"), "run", ("table",)),
    BadCase("int_for_string", _ext("name = 5\n"), "name", ("string",)),
    BadCase(
        "not_a_choice",
        _ext('[mechanisms]\nmatching = "best"\n'),
        "mechanisms.matching",
        ("'optimal'", "'adhoc'"),
    ),
    BadCase(
        "extends_not_a_string", {"bad.toml": "extends = 5\n"}, "extends", ("file name", "string")
    ),
    # out of range
    BadCase("below_minimum", _ext("[run]\ndays = 0\n"), "run.days", ("at least 1",)),
    BadCase(
        "above_maximum",
        _ext("[service]\nreport_hazard = 1.5\n"),
        "service.report_hazard",
        ("at most 1",),
    ),
    BadCase("open_lower_bound", _ext("[run]\nscale = 0.0\n"), "run.scale", ("greater than 0",)),
    BadCase(
        "not_finite", _ext("[service]\nreport_hazard = inf\n"), "service.report_hazard", ("finite",)
    ),
    # inconsistent combinations
    BadCase(
        "days_not_beyond_warmup_plus_limit",
        _ext("[run]\ndays = 60\n"),
        "run.days",
        ("run.warmup_days", "run.resolution_limit_days", "got 60"),
    ),
    BadCase(
        "shares_not_summing_to_one",
        _ext("[demand.category_shares]\nhousing = 0.5\n"),
        "demand.category_shares",
        ("sum to 1",),
    ),
    BadCase(
        "old_plus_strong_above_one",
        _ext("[city]\nold_community_share = 0.7\nstrong_community_share = 0.5\n"),
        "city.strong_community_share",
        ("at most 1",),
    ),
    BadCase(
        "weak_staffing_above_strong",
        _ext("[service]\ngrid_staffing_weak = 0.5\n"),
        "service.grid_staffing_weak",
        ("grid_staffing_strong",),
    ),
    BadCase(
        "fewer_communities_than_streets",
        _ext("[city]\nn_communities = 10\n"),
        "city.n_communities",
        ("n_streets",),
    ),
    BadCase("scale_too_small", _ext("[run]\nscale = 0.0001\n"), "run.scale", ("5 per community",)),
    BadCase(
        "red_street_without_districts",
        _ext(
            "[city]\nn_commercial_districts = 0\n\n[modes.red_commercial_street]\nenabled = true\n"
        ),
        "modes.red_commercial_street.enabled",
        ("n_commercial_districts",),
    ),
    # files
    BadCase("malformed_toml", {"bad.toml": "[run\ndays = 5\n"}, None, ("malformed TOML", "line 1")),
    BadCase("missing_file", {}, None, ("not found",), entry="missing.toml"),
    BadCase(
        "missing_extends_target",
        {"bad.toml": 'extends = "nowhere.toml"\n'},
        "extends",
        ("not found", "nowhere.toml"),
    ),
    BadCase(
        "circular_extends",
        {"a.toml": 'extends = "b.toml"\n', "b.toml": 'extends = "a.toml"\n'},
        "extends",
        ("circular", "a.toml -> b.toml -> a.toml"),
        entry="a.toml",
    ),
    BadCase(
        "error_in_parent_blames_parent",
        {
            "parent.toml": 'extends = "{baseline}"\n[run]\ndayz = 1\n',
            "child.toml": 'extends = "parent.toml"\n[run]\ndays = 100\n',
        },
        "run.dayz",
        ("unknown key",),
        entry="child.toml",
        blamed="parent.toml",
    ),
]


def expected_location(case: BadCase, folder: Path) -> str:
    """The `file: key:` prefix an error line for `case` must carry."""
    path = folder / case.blamed
    return f"{path}: {case.key}:" if case.key else f"{path}:"
