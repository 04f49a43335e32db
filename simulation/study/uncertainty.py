"""Comparisons under assumption uncertainty (`simulation compare --uncertainty N`).

The noise-only intervals of a comparison say how precisely the model's answer is known *if
every assumption holds*. Many parameters are assumptions with a plausible range
(`simulation.scenario.params.param(plausible=...)`), so this module also asks how the answer
moves when they take other plausible values — the probabilistic sensitivity analysis of
health-economic evaluation, applied to scenario comparisons.

How it works:

* **Draws.** N points of a space-filling design over every uncertain parameter (a Latin
  hypercube by default, or a scrambled Sobol sequence), seeded by the study's base seed, are
  mapped through each parameter's distribution. Parameters fitted by a calibration can be
  drawn jointly from its posterior table instead (one design dimension picks a row).
* **Pairing.** Draw d is run once on *every* scenario with the same parameter values and the
  same seed (`base seed + 1,000,000 + d`), so differences between scenarios stay paired:
  within a draw only the policy differs. A parameter only some scenarios use is still drawn
  for all. A parameter whose value differs between the compared scenarios is a lever of the
  comparison, not an uncertainty, and is held at each scenario's value; so is one a scenario
  sets away from its default (e.g. a fitted value), unless a posterior is given for it.
* **Intervals.** `ui_low`/`ui_high` are the 2.5th and 97.5th percentiles of a scenario's N
  per-draw results; `diff_ui_low`/`diff_ui_high` the same for its paired difference to the
  baseline. They hold assumption uncertainty plus one run's noise and, unlike a confidence
  interval, do not shrink with more draws: they say what the result could plausibly be.
* **Verdicts.** A difference is `robust` when it has the same sign as its mean in at least
  95 % of draws; otherwise it `depends on` the parameters that explain it, or on "noise"
  first when even the noise-only interval at the scenarios' own values contains 0.
* **What a difference depends on** is measured per parameter by the squared Spearman rank
  correlation between the parameter's draws and the paired difference (a regression-based,
  one-at-a-time measure: the share of the difference's rank variance the parameter explains
  on its own). With N draws and many parameters some correlation arises by chance, so a
  parameter is named only when its correlation is significant at 5 % family-wise across the
  parameters (a permutation test of the maximum correlation, exact for any N). It is not a
  Sobol index: interactions are not apportioned, and with few draws only strong drivers can
  be told from chance.

The draws are recorded in the manifest (design, seed, parameters, values) and as columns of
runs.parquet (`draw` and one column per drawn key), so a study is reproducible and resumable.
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from simulation.scenario import Scenario, ScenarioError
from simulation.scenario.params import ParamError, Uncertain, uncertain_parameters
from simulation.study.runner import RunTask
from simulation.study.statistics import METRIC_DIRECTIONS, PRIMARY_METRICS, name_width

__all__ = [
    "DESIGNS",
    "DRAW_OFFSET",
    "ROBUST_SHARE",
    "UncertaintyPlan",
    "UncertaintyResult",
    "analyse",
    "draw_runs",
    "draw_tasks",
    "headline_table",
    "load_posterior",
    "noise_runs",
    "plan",
]

#: Replication numbers (and seed offsets) of draw runs start here, apart from noise replications.
DRAW_OFFSET = 1_000_000
#: Space-filling designs over the draws.
DESIGNS = ("lhs", "sobol")
#: Share of draws a difference must keep its sign in to be called robust.
ROBUST_SHARE = 0.95
#: Most parameters named in a verdict.
MAX_NAMED = 3

_DESIGN_NAMES = {"lhs": "Latin hypercube", "sobol": "scrambled Sobol sequence"}
_NAN = float("nan")


@dataclass(frozen=True)
class UncertaintyPlan:
    """The draws of an uncertainty study: which parameters, from where, with what values."""

    n: int
    design: str
    seed: int
    drawn: tuple[Uncertain, ...]
    held: dict[str, str]
    draws: pd.DataFrame  # index `draw` 0..n-1, one column per drawn key
    posterior: str | None = None
    posterior_keys: tuple[str, ...] = ()

    @property
    def keys(self) -> list[str]:
        """Every drawn key: from ranges, then from the posterior."""
        return list(self.draws.columns)

    def record(self) -> dict[str, Any]:
        """What the manifest keeps: enough to redo (and check on resume) every draw."""
        values = self.draws.to_dict(orient="list")
        return {
            "n": self.n,
            "design": self.design,
            "seed": self.seed,
            "draw_offset": DRAW_OFFSET,
            "posterior": self.posterior,
            "posterior_keys": list(self.posterior_keys),
            "parameters": [
                {
                    "key": u.key,
                    "low": u.low,
                    "high": u.high,
                    "distribution": u.distribution,
                    "default": u.default,
                }
                for u in self.drawn
            ],
            "held": self.held,
            "digest": self.digest(),
            "draws": {k: [_plain(v) for v in vs] for k, vs in values.items()},
        }

    def digest(self) -> str:
        """SHA-256 of the draws: equal digests, equal draws."""
        text = json.dumps(
            {k: [_plain(v) for v in self.draws[k]] for k in self.draws.columns}, sort_keys=True
        )
        return hashlib.sha256(text.encode()).hexdigest()


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _value_of(s: Scenario, key: str) -> Any:
    node: Any = s
    for part in key.split("."):
        node = getattr(node, part)
    return node


def load_posterior(path: str | Path) -> pd.DataFrame:
    """A calibration's posterior table (`posterior.csv`): one row per accepted parameter set,
    one column per fitted key. Raises ScenarioError naming the file when it is unusable."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(path, [ParamError("--posterior", "file not found")])
    try:
        table = pd.read_csv(path)
    except (ValueError, OSError) as exc:
        raise ScenarioError(path, [ParamError("--posterior", f"unreadable CSV: {exc}")]) from None
    keys = {u.key for u in uncertain_parameters(Scenario)}
    unknown = [c for c in table.columns if c not in keys and c != "weight"]
    if unknown:
        raise ScenarioError(
            path,
            [
                ParamError(
                    "--posterior",
                    f"columns {unknown} are not parameters with a plausible range",
                )
            ],
        )
    table = table.drop(columns=["weight"], errors="ignore")
    if table.empty or table.isna().any().any():
        raise ScenarioError(
            path, [ParamError("--posterior", "needs at least one complete row of values")]
        )
    return table


def _unit_design(n: int, d: int, design: str, seed: int) -> np.ndarray:
    from scipy.stats import qmc

    gen = np.random.default_rng(seed)
    if design == "lhs":
        return qmc.LatinHypercube(d=d, rng=gen).random(n)
    with warnings.catch_warnings():
        # Sobol balance is best at powers of two; any N still fills the space evenly.
        warnings.simplefilter("ignore", UserWarning)
        return qmc.Sobol(d=d, scramble=True, rng=gen).random(n)


def plan(
    scenarios: Sequence[Scenario],
    n: int,
    seed: int,
    *,
    design: str = "lhs",
    posterior: pd.DataFrame | None = None,
    posterior_name: str | None = None,
) -> UncertaintyPlan:
    """The N draws for a comparison of `scenarios` (deterministic given `seed`).

    Raises ScenarioError when there is nothing to draw or a draw makes a scenario invalid.
    """
    if design not in DESIGNS:
        raise ScenarioError(
            None, [ParamError("--uncertainty-design", f"must be one of {', '.join(DESIGNS)}")]
        )
    if n < 2:
        raise ScenarioError(None, [ParamError("--uncertainty", f"needs at least 2 draws, got {n}")])
    post_keys = tuple(posterior.columns) if posterior is not None else ()
    drawn: list[Uncertain] = []
    held: dict[str, str] = {}
    post_ok: list[str] = []
    for u in uncertain_parameters(Scenario):
        values = {_value_of(s, u.key) for s in scenarios}
        if len(values) > 1:
            held[u.key] = "differs between the scenarios (a lever of the comparison)"
        elif u.key in post_keys:
            post_ok.append(u.key)
        elif values != {u.default}:
            held[u.key] = f"set to {values.pop()!r} in the scenarios (default {u.default!r})"
        else:
            drawn.append(u)
    for key in post_keys:
        if key in held:
            held[key] += "; its posterior column is not used"
    if not drawn and not post_ok:
        raise ScenarioError(
            None,
            [ParamError("--uncertainty", "no parameter with a plausible range is left to draw")],
        )
    dims = len(drawn) + (1 if post_ok else 0)
    unit = _unit_design(n, dims, design, seed)
    cols: dict[str, Any] = {u.key: u.from_unit(unit[:, j]) for j, u in enumerate(drawn)}
    if post_ok:
        assert posterior is not None
        rows = np.minimum((unit[:, -1] * len(posterior)).astype(int), len(posterior) - 1)
        for key in post_ok:
            cols[key] = posterior[key].to_numpy()[rows]
    draws = pd.DataFrame(cols, index=pd.RangeIndex(n, name="draw"))
    return UncertaintyPlan(
        n, design, seed, tuple(drawn), held, draws, posterior_name, tuple(post_ok)
    )


def _native(u_integer: bool, value: Any) -> Any:
    value = _plain(value)
    return int(value) if u_integer else float(value)


def draw_tasks(
    scenarios: Sequence[Scenario], uplan: UncertaintyPlan, base_seed: int
) -> list[RunTask]:
    """One run per draw and scenario; draw d of every scenario shares values and seed.

    Every scenario of every draw is validated first; an invalid one raises ScenarioError
    naming the draw and parameters (nothing runs).
    """
    integer = {u.key: u.integer for u in uncertain_parameters(Scenario)}
    tasks: list[RunTask] = []
    problems: list[ParamError] = []
    for d, row in uplan.draws.iterrows():
        ov = {k: _native(integer[k], row[k]) for k in uplan.keys}
        labels = (("draw", int(d)), *ov.items())
        rep = DRAW_OFFSET + int(d)
        for s in scenarios:
            try:
                sd = s.replace(ov)
            except ScenarioError as exc:
                if len(problems) < 5:
                    problems.extend(
                        ParamError("--uncertainty", f"draw {d} on {s.name}: {p.key}: {p.message}")
                        for p in exc.problems
                    )
                continue
            tasks.append(RunTask(sd, rep, base_seed + rep, labels, timeseries=False))
    if problems:
        problems.append(
            ParamError("--uncertainty", "plausible ranges that break a scenario are a schema bug")
        )
        raise ScenarioError(None, problems)
    return tasks


def check_resumable(manifest: dict[str, Any], uplan: UncertaintyPlan | None, path: Path) -> None:
    """Refuse to resume a study with other draws than it started with (or none)."""
    old = manifest.get("uncertainty")
    if old is None and uplan is None:
        return
    if old is None or uplan is None:
        had = "with" if old else "without"
        raise ScenarioError(
            path,
            [
                ParamError(
                    "--uncertainty",
                    f"the study was started {had} --uncertainty; resume it the same way or use a new --out",
                )
            ],
        )
    if old.get("digest") != uplan.digest():
        raise ScenarioError(
            path,
            [
                ParamError(
                    "--uncertainty",
                    f"the study drew {old.get('n')} points ({old.get('design')}, seed "
                    f"{old.get('seed')}); resume with the same --uncertainty, design, seed and "
                    "posterior, or use a new --out",
                )
            ],
        )


def noise_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs at the scenarios' own values (noise only): rows without a draw."""
    return runs[runs["draw"].isna()] if "draw" in runs else runs


def draw_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs of the uncertainty draws."""
    return runs[runs["draw"].notna()] if "draw" in runs else runs.iloc[0:0]


# ---------------------------------------------------------------------- analysis
@dataclass
class UncertaintyResult:
    """The analysis of the draws: per-(scenario, metric) columns, p_best_ui, attributions."""

    plan: UncertaintyPlan
    columns: (
        pd.DataFrame
    )  # scenario, metric, ui_low, ui_high, diff_ui_*, same_sign, verdict, depends_on
    p_best: pd.Series
    sensitivity: pd.DataFrame  # scenario, metric, parameter, rho, explained, p_value, p_adjusted
    n_complete: int = 0
    notes: list[str] = field(default_factory=list)


def _wide(runs: pd.DataFrame, metric: str, scenarios: Sequence[str]) -> pd.DataFrame:
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    wide = ok.pivot(index="draw", columns="scenario", values=metric)
    return wide.reindex(columns=list(scenarios)).astype(float).dropna(how="any")


#: Permutations of the differences behind the attribution p-values.
N_PERMUTATIONS = 1999


def _standard_ranks(x: np.ndarray) -> np.ndarray:
    """Column ranks (ties averaged), centred and scaled so that a dot product over n is the
    Spearman correlation; constant columns become zeros."""
    r = stats.rankdata(x, axis=0)
    r = r - r.mean(axis=0)
    sd = np.sqrt((r**2).mean(axis=0))
    return np.divide(r, sd, out=np.zeros_like(r), where=sd > 0)


def _attribution(x: pd.DataFrame, d: np.ndarray, seed: int) -> pd.DataFrame:
    """Squared Spearman correlation of each drawn parameter with the differences `d`, with
    permutation p-values: raw, and family-wise adjusted across the parameters by the
    maximum statistic (Westfall-Young), which stays exact with few draws and many
    parameters, where tables of the t approximation would name parameters by chance."""
    n = len(d)
    xs = _standard_ranks(x.to_numpy(dtype=float))
    ds = _standard_ranks(np.asarray(d, dtype=float)[:, None])[:, 0]
    rho = xs.T @ ds / n
    constant = (np.ptp(x.to_numpy(dtype=float), axis=0) == 0) | (np.ptp(d) == 0)
    gen = np.random.default_rng(seed)
    perms = np.argsort(gen.random((N_PERMUTATIONS, n)), axis=1)
    null = np.abs(ds[perms] @ xs / n)  # permutations x parameters
    tol = 1e-12
    p_raw = (1 + (null >= np.abs(rho) - tol).sum(axis=0)) / (N_PERMUTATIONS + 1)
    top = null.max(axis=1)
    p_adj = (1 + (top[:, None] >= np.abs(rho)[None, :] - tol).sum(axis=0)) / (N_PERMUTATIONS + 1)
    out = pd.DataFrame(
        {
            "parameter": x.columns,
            "rho": np.where(constant, _NAN, rho),
            "p_value": np.where(constant, _NAN, p_raw),
            "p_adjusted": np.where(constant, _NAN, p_adj),
        }
    )
    out.insert(2, "explained", out["rho"] ** 2)
    return out.sort_values("explained", ascending=False, na_position="last")


def _quantiles(x: np.ndarray) -> tuple[float, float]:
    if x.size < 2:
        return _NAN, _NAN
    lo, hi = np.quantile(x, [0.025, 0.975])
    return float(lo), float(hi)


def analyse(
    runs: pd.DataFrame,
    baseline: str,
    metric: str,
    uplan: UncertaintyPlan,
    metrics: Sequence[str] | None = None,
) -> UncertaintyResult:
    """Intervals, verdicts, probability of best and attributions from the draw runs."""
    dr = draw_runs(runs)
    scenarios = [baseline] + [s for s in pd.unique(dr["scenario"]) if s != baseline]
    metric_list = [m for m in (metrics or PRIMARY_METRICS) if m in dr.columns]
    params = dr.drop_duplicates("draw").set_index("draw")[uplan.keys].astype(float)
    records, sens = [], []
    n_complete = 0
    for m in metric_list:
        wide = _wide(dr, m, scenarios)
        n_complete = max(n_complete, len(wide))
        base = wide[baseline].to_numpy() if baseline in wide else np.array([])
        for s in scenarios:
            vals = wide[s].to_numpy() if s in wide else np.array([])
            lo, hi = _quantiles(vals)
            rec: dict[str, Any] = {"scenario": s, "metric": m, "ui_low": lo, "ui_high": hi}
            rec.update(diff_ui_low=_NAN, diff_ui_high=_NAN, same_sign=_NAN)
            rec.update(verdict="", depends_on="")
            if s != baseline and vals.size >= 2:
                d = vals - base
                rec["diff_ui_low"], rec["diff_ui_high"] = _quantiles(d)
                sign = np.sign(d.mean())
                share = float(np.mean(np.sign(d) == sign))
                rec["same_sign"] = share
                att = _attribution(params.loc[wide.index], d, uplan.seed)
                att.insert(0, "metric", m)
                att.insert(0, "scenario", s)
                sens.append(att)
                named = att[att["p_adjusted"] < 0.05]["parameter"].head(MAX_NAMED).tolist()
                if share >= ROBUST_SHARE:
                    rec["verdict"] = "robust"
                else:
                    rec["depends_on"] = ";".join(named)
                    rec["verdict"] = (
                        "depends on " + ", ".join(named)
                        if named
                        else "depends on several assumptions (none singled out: add draws)"
                    )
            records.append(rec)
    columns = pd.DataFrame(records)
    sensitivity = pd.concat(sens, ignore_index=True) if sens else pd.DataFrame()
    p_best = _p_best(dr, metric, scenarios)
    notes = []
    if n_complete < uplan.n:
        notes.append(
            f"{uplan.n - n_complete} of {uplan.n} draws lack a successful run of some scenario "
            "and were left out of the uncertainty intervals"
        )
    return UncertaintyResult(uplan, columns, p_best, sensitivity, n_complete, notes)


def _p_best(dr: pd.DataFrame, metric: str, scenarios: Sequence[str]) -> pd.Series:
    """Share of draws in which each scenario has the best value (ties shared)."""
    if metric not in dr:
        return pd.Series(dtype=float, name="p_best_ui")
    wide = _wide(dr, metric, scenarios)
    if wide.empty:
        return pd.Series(_NAN, index=list(scenarios), name="p_best_ui")
    score = METRIC_DIRECTIONS.get(metric, 1) * wide.to_numpy()
    best = score.max(axis=1, keepdims=True)
    winners = score >= best - 1e-12 * np.maximum(1.0, np.abs(best))
    share = (winners / winners.sum(axis=1, keepdims=True)).mean(axis=0)
    return pd.Series(share, index=wide.columns, name="p_best_ui")


def merge(table: pd.DataFrame, result: UncertaintyResult) -> pd.DataFrame:
    """The comparison table with the uncertainty columns added (same rows, same order).

    A difference that is not robust and whose noise-only interval already contains 0 is
    first of all a matter of noise: its verdict says so ("depends on noise", then any
    parameters named), so a reader does not hunt for an assumption behind a difference
    the default values do not show either.
    """
    out = table.merge(result.columns, on=["scenario", "metric"], how="left")
    lo, hi = out["diff_ci_low"], out["diff_ci_high"]
    within_noise = ~((lo > 0) | (hi < 0))  # NaN intervals count as not separated
    shaky = out["verdict"].fillna("").str.startswith("depends on") & within_noise
    for i in out.index[shaky]:
        named = out.at[i, "depends_on"]
        out.at[i, "verdict"] = "depends on noise" + (
            f" and {named.replace(';', ', ')}" if isinstance(named, str) and named else ""
        )
    out.attrs.update(table.attrs)
    return out


def merge_ranking(ranking: pd.DataFrame, result: UncertaintyResult) -> pd.DataFrame:
    """The ranking with `p_best_ui` (probability of being best across the draws)."""
    out = ranking.copy()
    out["p_best_ui"] = out["scenario"].map(result.p_best).astype(float)
    return out


# ---------------------------------------------------------------------- terminal
def _fmt(x: float, dec: int, sign: bool = False) -> str:
    if not np.isfinite(x):
        return "n/a"
    return f"{x:+.{dec}f}" if sign else f"{x:.{dec}f}"


def _dec(values: np.ndarray) -> int:
    v = np.abs(values[np.isfinite(values)])
    v = v[v > 0]
    if v.size == 0:
        return 3
    return int(min(max(2 - math.floor(math.log10(float(v.max()))), 0), 6))


def headline_table(
    table: pd.DataFrame,
    result: UncertaintyResult,
    metrics: Sequence[str],
    baseline: str,
    ranking: pd.DataFrame | None = None,
) -> str:
    """Both interval kinds side by side for the headline metrics, then what drives each
    difference that is not robust, then the probability of being best both ways."""
    up = result.plan
    how = _DESIGN_NAMES[up.design]
    src = f"; {len(up.posterior_keys)} from the posterior {up.posterior}" if up.posterior else ""
    lines = [
        f"Under assumption uncertainty: {up.n} draws ({how}, seed {up.seed}) of "
        f"{len(up.keys)} parameters{src}, each run once on every scenario "
        f"({len(up.held)} held: see the manifest).",
        "CI = 95 % confidence interval of the mean, noise only (assumptions at their values); "
        "UI = 2.5-97.5 % of the draws (assumptions and noise).",
    ]
    for m in metrics:
        sub = table[table["metric"] == m]
        if sub.empty or "ui_low" not in sub:
            continue
        dec = _dec(sub["mean"].to_numpy(float))
        ddec = max(dec, _dec(sub["diff"].to_numpy(float)))
        rows = [
            ("scenario", "mean", "CI (noise)", "UI (+assumptions)", "Δ", "Δ CI", "Δ UI", "verdict")
        ]
        for r in sub.itertuples():
            ci = f"[{_fmt(r.ci_low, dec)}, {_fmt(r.ci_high, dec)}]"
            ui = f"[{_fmt(r.ui_low, dec)}, {_fmt(r.ui_high, dec)}]"
            if r.scenario == baseline:
                rows.append((r.scenario, _fmt(r.mean, dec), ci, ui, "", "", "", "(baseline)"))
                continue
            mark = "*" if r.p_adjusted < 0.05 else ""
            dci = f"[{_fmt(r.diff_ci_low, ddec)}, {_fmt(r.diff_ci_high, ddec)}]{mark}"
            dui = f"[{_fmt(r.diff_ui_low, ddec)}, {_fmt(r.diff_ui_high, ddec)}]"
            share = f" ({r.same_sign:.0%} same sign)" if np.isfinite(r.same_sign) else ""
            rows.append(
                (
                    r.scenario,
                    _fmt(r.mean, dec),
                    ci,
                    ui,
                    _fmt(r.diff, ddec, sign=True),
                    dci,
                    dui,
                    f"{r.verdict}{share}",
                )
            )
        widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]
        lines.append("")
        lines.append(m)
        for i, row in enumerate(rows):
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
            if i == 0:
                lines.append("  ".join("-" * w for w in widths))
    sens = result.sensitivity
    if not sens.empty:
        lines.append("")
        lines.append(
            "What each difference depends on (squared Spearman correlation of the parameter's "
            "draws with the paired difference; family-wise permutation p < 0.05 across parameters):"
        )
        for m in metrics:
            for s in [s for s in pd.unique(sens["scenario"])]:
                part = sens[(sens["scenario"] == s) & (sens["metric"] == m)]
                sig = part[part["p_adjusted"] < 0.05].head(MAX_NAMED)
                if sig.empty:
                    continue
                named = ", ".join(
                    f"{p} {e:.0%}" for p, e in zip(sig.parameter, sig.explained, strict=True)
                )
                lines.append(f"  {m}, {s}: {named}")
    if ranking is not None and "p_best_ui" in ranking:
        lines.append("")
        lines.append("Probability of being best: noise only (bootstrap) vs across the draws:")
        w = name_width(ranking["scenario"])
        for r in ranking.itertuples():
            lines.append(f"  {r.scenario:<{w}} {r.p_best:6.1%}   {r.p_best_ui:6.1%}")
    lines.extend(f"note: {n}" for n in result.notes)
    return "\n".join(lines)
