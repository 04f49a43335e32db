"""Full-scale speed and memory of the model, its scaling with residents, and plain Mesa beside it.

One command (from the repository root):

    .venv/bin/python benchmarks/run.py [--quick] [--repeats N] [--full-repeats N] [--out DIR]

What it measures (each measurement in a fresh subprocess, its peak RSS read from the OS):

* the scenario (default `scenarios/chifeng_2018.toml`, all six modes) at every `--scales`
  (default 0.01 0.03 0.1 0.3 1.0; 1.0 is the whole city, ~2.08 M residents), 365 days, one
  replication: model construction and the daily steps timed separately, peak RSS;
* a plain Mesa model with one trivial `mesa.Agent` per resident (one draw and one attribute
  update per step, activated with `model.agents.shuffle_do("step")`) at the same sizes. A
  year of it at two million agents would take an hour, so it runs a few steps after
  construction and its year is **extrapolated from the median time per step**;
* throughput in resident-days per second for both, and their ratio;
* a least-squares line of time and memory against residents (is the cost linear?).

Medians of `--repeats` (small and medium scales) and `--full-repeats` (scale 1) runs, with
min-max; the runs of all cases are interleaved (repeat 1 of every case, then repeat 2, ...)
so a burst of load on a shared machine spreads over cases instead of hitting one. Results go
to DIR/results.json (every raw run, machine, versions, date) and DIR/results.md (the tables,
also printed). DIR defaults to benchmarks/out/ (gitignored).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "worker.py"

# Targets of the "Full-scale speed and memory" issue (2-core machine, one process).
TARGET_TOTAL_S = 20.0
TARGET_PEAK_MIB = 1024.0
TARGET_RATIO = 30.0


# ---------------------------------------------------------------------------------- running
def run_child(args: list[str], timeout: float) -> dict[str, Any]:
    """Run one worker in a fresh interpreter; add its wall time and OS-reported peak RSS.

    `os.wait4` returns the resource usage of that one child; RUSAGE_CHILDREN would be the
    maximum over every child so far, which would mix measurements.
    """
    cmd = [sys.executable, str(WORKER), *args]
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, cwd=ROOT)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            assert proc.stdout is not None
            out = proc.stdout.read()
            proc.stdout.close()
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4, not by Popen
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(
                f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.read().decode()[-4000:]}"
            )
    rec = json.loads(out.decode().strip().splitlines()[-1])
    rec["peak_rss_mib"] = usage.ru_maxrss / 1024.0
    rec["process_wall_s"] = wall
    rec["load_before"] = load_before
    rec["load_after"] = os.getloadavg()[0]
    return rec


def mesa_steps(n_agents: int, minimum: int) -> int:
    """Steps to time for a plain Mesa model of `n_agents`: at least `minimum`, more when
    small (a step of 20,000 agents takes milliseconds, too short to time alone)."""
    return max(minimum, min(100, math.ceil(4_000_000 / max(n_agents, 1))))


# ---------------------------------------------------------------------------------- stats
def stat(values: list[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def fit_line(x: list[float], y: list[float]) -> dict[str, float]:
    """Least-squares y = a + b x, with R^2 and the largest relative residual."""
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxx = sum((xi - mx) ** 2 for xi in x)
    sxy = sum((xi - mx) * (yi - my) for xi, yi in zip(x, y, strict=True))
    b = sxy / sxx if sxx else float("nan")
    a = my - b * mx
    ss_res = sum((yi - (a + b * xi)) ** 2 for xi, yi in zip(x, y, strict=True))
    ss_tot = sum((yi - my) ** 2 for yi in y)
    r2 = 1.0 - ss_res / ss_tot if ss_tot else float("nan")
    worst = max(abs(yi - (a + b * xi)) / yi for xi, yi in zip(x, y, strict=True) if yi)
    return {"intercept": a, "slope": b, "r2": r2, "max_rel_residual": worst}


def summarise_model(runs: list[dict[str, Any]]) -> dict[str, Any]:
    first = runs[0]
    out: dict[str, Any] = {
        k: first[k]
        for k in (
            "scale",
            "days",
            "n_residents",
            "n_problems",
            "n_communities",
            "n_units",
            "n_members",
            "n_alliances",
            "n_agents",
        )
    }
    for key in (
        "import_s",
        "construct_s",
        "steps_s",
        "total_s",
        "construct_cpu_s",
        "steps_cpu_s",
        "peak_rss_mib",
        "rss_import_mib",
    ):
        out[key] = stat([r[key] for r in runs])
    rd = first["n_residents"] * first["days"]
    out["resident_days_per_s_steps"] = stat([rd / r["steps_s"] for r in runs])
    out["resident_days_per_s_total"] = stat([rd / r["total_s"] for r in runs])
    return out


def summarise_mesa(runs: list[dict[str, Any]], days: int) -> dict[str, Any]:
    n = runs[0]["n_agents"]
    per_step = [statistics.median(r["step_s"]) for r in runs]
    per_step_cpu = [statistics.median(r["step_cpu_s"]) for r in runs]
    year = [r["construct_s"] + days * statistics.median(r["step_s"]) for r in runs]
    return {
        "n_agents": n,
        "steps_timed": runs[0]["steps"],
        "construct_s": stat([r["construct_s"] for r in runs]),
        "step_s": stat(per_step),
        "step_cpu_s": stat(per_step_cpu),
        "year_extrapolated_s": stat(year),
        "peak_rss_mib": stat([r["peak_rss_mib"] for r in runs]),
        "agent_steps_per_s": stat([n / s for s in per_step]),
        "agent_days_per_s_with_construction": stat([n * days / y for y in year]),
        "us_per_agent_step": stat([s / n * 1e6 for s in per_step]),
        "bytes_per_agent": stat(
            [(r["peak_rss_mib"] - r["rss_import_mib"]) * 2**20 / n for r in runs]
        ),
    }


# ---------------------------------------------------------------------------------- report
def fmt(s: dict[str, float], digits: int = 2, scale: float = 1.0) -> str:
    """'median (min-max)'."""
    m, lo, hi = s["median"] * scale, s["min"] * scale, s["max"] * scale
    if s["n"] == 1:
        return f"{m:.{digits}f}"
    return f"{m:.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})"


def big(x: float) -> str:
    """Compact large numbers: 1.23 M, 45.6 k."""
    if x >= 1e6:
        return f"{x / 1e6:.2f} M"
    if x >= 1e3:
        return f"{x / 1e3:.1f} k"
    return f"{x:.0f}"


def render(result: dict[str, Any]) -> str:
    meta, model, mesa_ = result["meta"], result["model"], result["mesa"]
    full = model[-1]
    lines = [
        f"# Benchmark: {meta['scenario']} ({meta['days']} days, one replication)",
        "",
        f"{meta['date']} · {meta['machine']['cpu_model']} · {meta['machine']['nproc']} CPUs"
        f" · Python {meta['versions']['python']} · Mesa {meta['versions']['mesa']}"
        f" · numpy {meta['versions']['numpy']} · git {meta['git']['revision'][:10]}"
        f"{' (dirty)' if meta['git']['dirty'] else ''}",
        "",
        "Medians with (min–max) over the repeats; wall-clock seconds; every run in a fresh "
        "process; peak = the process's peak RSS.",
        f"Load average during the runs: {meta['load_min']:.1f}–{meta['load_max']:.1f} "
        f"on {meta['machine']['nproc']} CPUs (a loaded machine inflates wall times; CPU "
        "seconds are in the JSON).",
        "",
        f"## Full scale (scale {full['scale']:g}: {full['n_residents']:,} residents, "
        f"{full['n_problems']:,} problems, {full['n_members']:,} members, "
        f"{full['n_agents']:,} Mesa agents; {full['total_s']['n']} runs)",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        f"| import (not counted below) | {fmt(full['import_s'])} s | |",
        f"| construction | {fmt(full['construct_s'])} s | |",
        f"| {full['days']} steps | {fmt(full['steps_s'])} s | |",
        f"| total (construction + steps) | {fmt(full['total_s'])} s | ≤ {TARGET_TOTAL_S:g} s |",
        f"| peak RSS | {fmt(full['peak_rss_mib'], 0)} MiB | ≤ {TARGET_PEAK_MIB:g} MiB |",
        f"| resident-days/s, steps only | {big(full['resident_days_per_s_steps']['median'])} | |",
        f"| resident-days/s, with construction | "
        f"{big(full['resident_days_per_s_total']['median'])} | |",
    ]
    ratio = result["ratio"]
    if mesa_:
        mfull = mesa_[-1]
        lines += [
            f"| plain Mesa, same agents: µs per agent-step | {fmt(mfull['us_per_agent_step'])} | |",
            f"| plain Mesa: agent-days/s (extrapolated per step) | "
            f"{big(mfull['agent_steps_per_s']['median'])} | |",
            f"| **ratio, model / plain Mesa (steps only)** | "
            f"**{ratio['steps_only']:.0f}×** | ≥ {TARGET_RATIO:g}× |",
            f"| ratio, with construction in both | {ratio['with_construction']:.0f}× | |",
        ]
    lines += [
        "",
        "## Scaling with residents (the model)",
        "",
        "| scale | residents | problems | construct s | steps s | total s | peak MiB "
        "| ns per resident-day (steps) | resident-days/s (total) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in model:
        rd = r["n_residents"] * r["days"]
        lines.append(
            f"| {r['scale']:g} | {r['n_residents']:,} | {r['n_problems']:,} "
            f"| {fmt(r['construct_s'])} | {fmt(r['steps_s'])} | {fmt(r['total_s'])} "
            f"| {fmt(r['peak_rss_mib'], 0)} | {r['steps_s']['median'] / rd * 1e9:.1f} "
            f"| {big(r['resident_days_per_s_total']['median'])} |"
        )
    if mesa_:
        lines += [
            "",
            "## Plain Mesa beside it (one trivial agent per resident; per step, extrapolated)",
            "",
            "| agents | steps timed | construct s | s per step | µs per agent-step | "
            "peak MiB | bytes per agent | agent-days/s | model / Mesa |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
    for r, mr in zip(model, mesa_, strict=False):
        ratio_here = r["resident_days_per_s_steps"]["median"] / mr["agent_steps_per_s"]["median"]
        lines.append(
            f"| {mr['n_agents']:,} | {mr['steps_timed']} | {fmt(mr['construct_s'])} "
            f"| {fmt(mr['step_s'], 3)} | {fmt(mr['us_per_agent_step'])} "
            f"| {fmt(mr['peak_rss_mib'], 0)} | {mr['bytes_per_agent']['median']:.0f} "
            f"| {big(mr['agent_steps_per_s']['median'])} | {ratio_here:.0f}× |"
        )
    units = {
        "construct_s": ("s", "µs", 1e6),
        "steps_s": ("s", "µs (per resident-year)", 1e6),
        "total_s": ("s", "µs", 1e6),
        "peak_rss_mib": ("MiB", "bytes", 2**20),
        "mesa_step_s": ("s", "µs per agent-step", 1e6),
    }
    single = all(r["total_s"]["n"] == 1 for r in model)
    for stat_name, fits in result["fits"].items():
        if not fits or (single and stat_name == "min"):  # one run each: min == median
            continue
        lines += [
            "",
            f"## Linear fit against residents ({stat_name}s; y = a + b · residents)",
            "",
            "| quantity | a (fixed) | b (per resident) | R² | worst relative residual |",
            "|---|---|---|---|---|",
        ]
        for key, f in fits.items():
            ua, ub, k = units[key]
            lines.append(
                f"| {key} | {f['intercept']:.3g} {ua} | {f['slope'] * k:.3g} {ub} "
                f"| {f['r2']:.4f} | {f['max_rel_residual']:.1%} |"
            )
    lines += ["", "## Verdicts", ""]
    lines += [f"- {v}" for v in result["verdicts"]]
    return "\n".join(lines) + "\n"


def verdicts(result: dict[str, Any]) -> list[str]:
    full = result["model"][-1]
    out = []
    t, p = full["total_s"]["median"], full["peak_rss_mib"]["median"]
    is_full = full["scale"] == 1.0
    tag = "" if is_full else f" (largest scale run: {full['scale']:g}, not the full city)"
    out.append(
        f"{'PASS' if t <= TARGET_TOTAL_S else 'FAIL'}: total {t:.1f} s ≤ {TARGET_TOTAL_S:g} s{tag}"
    )
    out.append(
        f"{'PASS' if p <= TARGET_PEAK_MIB else 'FAIL'}: peak {p:.0f} MiB ≤ "
        f"{TARGET_PEAK_MIB:g} MiB{tag}"
    )
    r = result["ratio"]["steps_only"]
    if not math.isnan(r):
        out.append(
            f"{'PASS' if r >= TARGET_RATIO else 'FAIL'}: {r:.0f}× the resident-days/s of plain "
            f"Mesa (steps only; {result['ratio']['with_construction']:.0f}× with construction) "
            f"≥ {TARGET_RATIO:g}×"
        )
    fits_min, fits_med = result["fits"]["min"], result["fits"]["median"]
    steps = fits_min.get("steps_s")
    if steps:
        ok = steps["r2"] >= 0.98
        out.append(
            f"{'PASS' if ok else 'CHECK'}: daily steps linear in residents (fit on minima: "
            f"R² {steps['r2']:.4f}, {steps['slope'] * 1e9 / full['days']:.1f} ns per "
            f"resident-day + {steps['intercept']:.2f} s fixed per year; on medians R² "
            f"{fits_med['steps_s']['r2']:.4f})"
        )
        c = fits_min["construct_s"]
        out.append(
            f"NOTE: construction = {c['intercept']:.2f} s fixed (organisations and their "
            f"matching do not scale with residents) + {c['slope'] * 1e6:.2f} µs per resident "
            "(fit on minima)"
        )
    return out


# ---------------------------------------------------------------------------------- meta
def machine_info() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu,
        "mem_total_gib": round(mem_kib / 2**20, 1),
        "platform": platform.platform(),
        "hostname": platform.node(),
    }


def git_info() -> dict[str, Any]:
    """Read-only: the revision and whether the tree has local changes."""

    def git(*a: str) -> str:
        try:
            return subprocess.run(
                ["git", *a], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {
        "revision": git("rev-parse", "HEAD") or "unknown",
        "dirty": bool(git("status", "--porcelain")),
    }


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("mesa", "numpy", "scipy", "pandas", "chifeng-integration-sim"):
        try:
            out[pkg.replace("chifeng-integration-sim", "package")] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


# ---------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="scales 0.01 0.1 1, one run each")
    ap.add_argument("--repeats", type=int, default=3, help="runs per small/medium case (3)")
    ap.add_argument("--full-repeats", type=int, default=3, help="runs at scale 1 (3)")
    ap.add_argument("--scales", type=float, nargs="+", default=[0.01, 0.03, 0.1, 0.3, 1.0])
    ap.add_argument("--scenario", default="scenarios/chifeng_2018.toml")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=20180917)
    ap.add_argument("--mesa-steps", type=int, default=5, help="least steps of plain Mesa (5)")
    ap.add_argument("--no-mesa", action="store_true", help="skip the plain Mesa comparison")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = ap.parse_args(argv)
    if args.quick:
        args.scales, args.repeats, args.full_repeats = [0.01, 0.1, 1.0], 1, 1
        args.mesa_steps = 3
    scales = sorted(set(args.scales))
    scenario = str((ROOT / args.scenario).resolve())
    started = dt.datetime.now(dt.UTC)
    records: dict[str, list[dict[str, Any]]] = {}
    loads: list[float] = []
    n_rounds = max(args.repeats if s < 1.0 else args.full_repeats for s in scales)
    for rnd in range(n_rounds):
        for s in scales:
            reps = args.full_repeats if s >= 1.0 else args.repeats
            if rnd >= reps:
                continue
            rec = run_child(
                ["model", scenario, str(s), str(args.days), str(args.seed)], args.timeout
            )
            records.setdefault(f"model@{s:g}", []).append(rec)
            loads += [rec["load_before"], rec["load_after"]]
            print(
                f"[{rnd + 1}/{reps}] model@{s:<6g} residents {rec['n_residents']:>9,}  "
                f"construct {rec['construct_s']:6.2f} s  steps {rec['steps_s']:6.2f} s  "
                f"peak {rec['peak_rss_mib']:6.0f} MiB  (load {rec['load_before']:.1f})",
                flush=True,
            )
            if args.no_mesa:
                continue
            # Plain Mesa with exactly as many agents as the model had residents, right after
            # it, so both see the same load on a shared machine.
            n = rec["n_residents"]
            steps = mesa_steps(n, args.mesa_steps)
            mrec = run_child(["mesa", str(n), str(steps), str(args.seed)], args.timeout)
            records.setdefault(f"mesa@{s:g}", []).append(mrec)
            loads += [mrec["load_before"], mrec["load_after"]]
            print(
                f"[{rnd + 1}/{reps}] mesa@{s:<7g} agents    {n:>9,}  "
                f"construct {mrec['construct_s']:6.2f} s  "
                f"step {statistics.median(mrec['step_s']):6.3f} s x{steps}  "
                f"peak {mrec['peak_rss_mib']:6.0f} MiB  (load {mrec['load_before']:.1f})",
                flush=True,
            )
    model = [summarise_model(records[f"model@{s:g}"]) for s in scales]
    mesa_ = (
        [] if args.no_mesa else [summarise_mesa(records[f"mesa@{s:g}"], args.days) for s in scales]
    )
    xs = [float(r["n_residents"]) for r in model]
    # Lines through the medians and through the minima: load on a shared machine only ever
    # adds time, so the minima are the least disturbed estimate of the intrinsic cost.
    fits: dict[str, Any] = {"median": {}, "min": {}}
    if len(xs) >= 2:
        for stat_name, f in fits.items():
            for key in ("construct_s", "steps_s", "total_s", "peak_rss_mib"):
                f[key] = fit_line(xs, [r[key][stat_name] for r in model])
            if mesa_:
                f["mesa_step_s"] = fit_line(
                    [float(m["n_agents"]) for m in mesa_], [m["step_s"][stat_name] for m in mesa_]
                )
    full = model[-1]
    ratio: dict[str, float] = {"steps_only": float("nan"), "with_construction": float("nan")}
    if mesa_:
        ratio = {
            "steps_only": full["resident_days_per_s_steps"]["median"]
            / mesa_[-1]["agent_steps_per_s"]["median"],
            "with_construction": full["resident_days_per_s_total"]["median"]
            / mesa_[-1]["agent_days_per_s_with_construction"]["median"],
        }
    result: dict[str, Any] = {
        "meta": {
            "date": started.isoformat(timespec="seconds"),
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "scenario": args.scenario,
            "days": args.days,
            "seed": args.seed,
            "scales": scales,
            "repeats": args.repeats,
            "full_repeats": args.full_repeats,
            "machine": machine_info(),
            "versions": versions(),
            "git": git_info(),
            "load_min": min(loads) if loads else float("nan"),
            "load_max": max(loads) if loads else float("nan"),
            "mesa_note": "plain Mesa resident-days/s are extrapolated from the median time "
            "per step over the steps timed, not a full year",
        },
        "model": model,
        "mesa": mesa_,
        "fits": fits,
        "ratio": ratio,
        "raw": records,
    }
    result["verdicts"] = verdicts(result)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(result, indent=1))
    text = render(result)
    (args.out / "results.md").write_text(text)
    print()
    print(text)
    print(f"written: {args.out / 'results.json'}, {args.out / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
