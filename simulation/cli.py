"""The `simulation` command (also `python -m simulation`); design.md §6 is its contract.

    simulation run SCENARIO [--replications N] [--days D] [--seed S] [--scale F] [--out DIR]
    simulation compare SCENARIO... [--baseline NAME] [--metric M] [--precision H] [...]
    simulation sweep SWEEPFILE [--workers N] [--scheduler ADDRESS] [--resume] [--out DIR]
    simulation calibrate CALIBFILE [--trials N] [--scale F] [--days D] [--resume] [--out DIR]
    simulation report DIR [--lang en|zh] [--no-pdf]
    simulation check FILE...
    simulation schema [--write]
    simulation app [--port P] [--lang en|zh]

User mistakes (a bad file, key, value or option) print one line per problem naming the file,
key or option and what is allowed, exit with status 2 and write nothing. Ctrl-C keeps every
finished run and exits with status 130; `--resume` finishes the study.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from simulation import __version__

__all__ = ["main"]

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
_OPTION_OF = {
    "run.days": "--days",
    "run.scale": "--scale",
    "run.seed": "--seed",
    "run.replications": "--replications",
}


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if not 0 <= value <= 2**62:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**62, got {value}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {value}")
    return value


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--replications",
        type=_positive_int,
        help="replications per scenario (default: the file's run.replications)",
    )
    p.add_argument(
        "--days", type=_positive_int, help="simulated days (default: the file's run.days)"
    )
    p.add_argument(
        "--seed",
        type=_seed,
        help="base seed; replication r uses seed + r (default: the file's run.seed)",
    )
    p.add_argument(
        "--scale",
        type=_fraction,
        help="fraction of the population to simulate, in (0, 1] (default: the file's run.scale)",
    )
    _add_exec_options(p)


def _add_exec_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, help="study folder (default: results/<kind>-<name>-<time>)")
    p.add_argument(
        "--workers", type=_positive_int, help="local worker processes (default: all cores)"
    )
    p.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786"
    )
    p.add_argument("--resume", action="store_true", help="finish an interrupted study in --out")
    p.add_argument(
        "--wait",
        action="store_true",
        help="if another process is working in --out, wait for it instead of stopping",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _add_uncertainty_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--uncertainty",
        type=_positive_int,
        metavar="N",
        help="also run N draws of every uncertain parameter (from its plausible range), the "
        "same draw on every scenario, and show intervals with assumption uncertainty",
    )
    p.add_argument(
        "--uncertainty-design",
        choices=("lhs", "sobol"),
        default="lhs",
        help="design over the draws: Latin hypercube (default) or scrambled Sobol",
    )
    p.add_argument(
        "--posterior",
        type=Path,
        metavar="CSV",
        help="draw fitted parameters from a calibration's posterior.csv instead of their ranges",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simulation",
        description="Integrated party building in a city: compare integration modes before rollout.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run replications of one scenario")
    p.add_argument("scenario", type=Path, help="scenario file (TOML)")
    _add_run_options(p)

    p = sub.add_parser("compare", help="compare scenarios on paired replications")
    p.add_argument("scenarios", type=Path, nargs="+", help="scenario files (TOML)")
    p.add_argument(
        "--baseline", help="name of the scenario the others are compared with (default: the first)"
    )
    p.add_argument(
        "--metric",
        default="needs_met_rate",
        help="metric for ranking and --precision (default: needs_met_rate)",
    )
    p.add_argument(
        "--precision",
        type=_positive_float,
        help="add replications until every 95%% half-width of --metric is at most this",
    )
    p.add_argument(
        "--max-replications",
        type=_positive_int,
        default=200,
        help="cap for --precision (default: 200)",
    )
    p.add_argument("--no-charts", action="store_true", help="do not write charts")
    _add_uncertainty_options(p)
    p.add_argument(
        "--lang", choices=["en", "zh"], default="en", help="language of the charts (default: en)"
    )
    _add_run_options(p)

    p = sub.add_parser("sweep", help="run a parameter sweep (grid, Latin hypercube or Sobol)")
    p.add_argument("sweepfile", type=Path, help="sweep file (TOML)")
    _add_exec_options(p)

    p = sub.add_parser("calibrate", help="fit uncertain parameters to target figures (resumable)")
    p.add_argument("calibfile", type=Path, help="calibration file (TOML)")
    p.add_argument(
        "--trials", type=_positive_int, help="complete trials to reach (default: the file's)"
    )
    p.add_argument(
        "--scale", type=_fraction, help="fraction of the population (default: the file's [run])"
    )
    p.add_argument("--days", type=_positive_int, help="simulated days (default: the file's [run])")
    _add_exec_options(p)

    p = sub.add_parser("report", help="write the decision report (HTML and PDF) of a comparison")
    p.add_argument("folder", type=Path, help="folder of a finished `simulation compare` study")
    p.add_argument("--lang", choices=["en", "zh"], default="en", help="language (default: en)")
    p.add_argument("--no-pdf", action="store_true", help="write the HTML report only")

    p = sub.add_parser("check", help="validate scenario or sweep files")
    p.add_argument("files", type=Path, nargs="+")

    p = sub.add_parser("schema", help="print the JSON Schema of scenario (or sweep) files")
    p.add_argument("--sweep", action="store_true", help="print the schema of sweep files instead")
    p.add_argument(
        "--write",
        action="store_true",
        help="write scenarios/scenario.schema.json and scenarios/sweep.schema.json instead",
    )
    p = sub.add_parser("app", help="serve the interactive dashboard on 127.0.0.1")
    p.add_argument("--port", type=_port, default=8765, help="TCP port (default: 8765)")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="page language")
    return parser


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 1 and 65535, got {value}")
    return value


def _cmd_app(args: argparse.Namespace) -> int:
    try:
        from simulation.views import app
    except ImportError as exc:
        return _usage_error(f"error: the dashboard needs Solara ({exc}); reinstall the package")
    from simulation.views.app.server import port_in_use

    if port_in_use(args.port):
        return _usage_error(f"error: --port: port {args.port} on 127.0.0.1 is in use; pick another")
    try:
        app.serve(args.port, args.lang)
    except KeyboardInterrupt:
        return 0
    return 0


def _usage_error(message: str) -> int:
    print(message, file=sys.stderr)
    return EXIT_USAGE


def _render(exc, args: argparse.Namespace | None = None) -> str:
    """A ScenarioError as text, naming the command-line option where one set the key."""
    given = {
        key
        for key, opt in _OPTION_OF.items()
        if args is not None and getattr(args, opt.lstrip("-").replace("-", "_"), None) is not None
    }
    lines = []
    for line in exc.render().splitlines():
        for key in given:
            if f": {key}:" in line:
                line = f"{line} (set by {_OPTION_OF[key]})"
        lines.append(f"error: {line}")
    return "\n".join(lines)


def _study_options(args: argparse.Namespace) -> dict:
    """The options `run` and `compare` share, as API keyword arguments."""
    return {
        "replications": args.replications,
        "days": args.days,
        "seed": args.seed,
        "scale": args.scale,
        "out": args.out,
        "workers": args.workers,
        "scheduler": args.scheduler,
        "resume": args.resume,
        "progress": not args.no_progress,
        "wait": args.wait,
    }


def _cmd_run(args: argparse.Namespace) -> int:
    from simulation import api
    from simulation.study import statistics as analysis

    study = api.run(args.scenario, **_study_options(args))
    runs = study.runs
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    if not ok.empty:
        table = analysis.compare(ok, ok["scenario"].iloc[0])
        print(analysis.summary_table(table))
        cols = ["n_streets", "n_communities", "n_agencies", "n_members", "n_residents"]
        first = ok.iloc[0]
        print("structure: " + ", ".join(f"{c}={int(first[c]):,}" for c in cols if c in ok))
    _report_end(study)
    return EXIT_INTERRUPTED if study.interrupted else (1 if ok.empty else 0)


def _report_end(study) -> None:
    n = len(study.runs)
    failed = int((study.runs["status"] != "ok").sum()) if "status" in study.runs else 0
    state = "interrupted" if study.interrupted else "finished"
    print(f"{state}: {n} run(s) on disk ({failed} failed) in {study.folder}")
    if study.interrupted:
        print(f"resume with the same command and --resume --out {study.folder}")


def _cmd_compare(args: argparse.Namespace) -> int:
    import warnings

    from simulation import api
    from simulation.views.fonts import LanguageFallbackWarning

    # A missing Chinese font is said once, as a line, like every other message of the command.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LanguageFallbackWarning)
        result = api.compare(
            args.scenarios,
            baseline=args.baseline,
            metric=args.metric,
            precision=args.precision,
            max_replications=args.max_replications,
            charts=not args.no_charts,
            lang=args.lang,
            uncertainty=args.uncertainty,
            uncertainty_design=args.uncertainty_design,
            posterior=args.posterior,
            **_study_options(args),
        )
    for w in caught:
        if issubclass(w.category, LanguageFallbackWarning):
            print(f"warning: {w.message}", file=sys.stderr)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    print(result.summary())
    for path in result.charts:
        print(f"chart: {path}")
    print(f"comparison: {result.study.folder / 'comparison.csv'}")
    if result.uncertainty is not None:
        print(f"sensitivity: {result.study.folder / 'sensitivity.csv'}")
    _report_end(result.study)
    if not result.study.interrupted:
        print(f"decision report: simulation report {result.study.folder} [--lang zh]")
    return EXIT_INTERRUPTED if result.study.interrupted else 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from simulation.study import sweep

    result = sweep.run_sweep(
        args.sweepfile,
        out=args.out,
        workers=args.workers,
        scheduler=args.scheduler,
        resume=args.resume,
        progress=not args.no_progress,
        wait=args.wait,
    )
    print(result.summary())
    _report_end(result.study)
    if result.study.interrupted:
        return EXIT_INTERRUPTED
    runs = result.study.runs
    return 0 if "status" in runs and (runs["status"] == "ok").any() else 1


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from simulation import api

    result = api.calibrate(
        args.calibfile,
        trials=args.trials,
        scale=args.scale,
        days=args.days,
        out=args.out,
        workers=args.workers,
        scheduler=args.scheduler,
        resume=args.resume,
        progress=not args.no_progress,
    )
    if result.interrupted:
        print(f"interrupted: {len(result.trials)} trial(s) in {result.folder}")
        print(f"resume with the same command and --resume --out {result.folder}")
        return EXIT_INTERRUPTED
    if result.fit.empty:
        print(f"no trial completed; see {result.folder / 'trials.csv'}")
        return 1
    print(result.summary())
    for name in ("fit.csv", "fitted.toml", "trials.csv", "posterior.csv"):
        if (result.folder / name).exists():
            print(f"{name.split('.')[0]}: {result.folder / name}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from simulation import api
    from simulation.views.report import ReportError

    try:
        files = api.report(args.folder, lang=args.lang, pdf=not args.no_pdf)
    except ReportError as exc:
        return _usage_error(f"error: {exc}")
    for note in files.warnings:
        print(f"warning: {note}", file=sys.stderr)
    print(f"report: {files.html}")
    if files.pdf is not None:
        print(f"report: {files.pdf}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from simulation import api
    from simulation.scenario import Scenario, ScenarioError

    bad = 0
    checked_scenario = False
    for path, res in api.check(args.files):
        if isinstance(res, ScenarioError):
            bad += 1
            print(_render(res, args), file=sys.stderr)
        else:
            print(f"ok: {path} ({res.name})")
            checked_scenario = checked_scenario or isinstance(res, Scenario)
    if checked_scenario:
        _note_unranged()
    return EXIT_USAGE if bad else 0


def _note_unranged() -> None:
    """Name the effect-carrying parameters that have no plausible range yet."""
    from simulation.scenario import Scenario
    from simulation.scenario.params import unranged_parameters

    gaps = unranged_parameters(Scenario)
    if gaps:
        print(
            f"note: {len(gaps)} effect-carrying parameter(s) (assumptions or calibrated values) "
            "have no plausible range, so compare --uncertainty holds them at their values: "
            + ", ".join(gaps)
        )


def _cmd_schema(args: argparse.Namespace) -> int:
    from simulation.scenario import scenario_schema
    from simulation.study.sweep import sweep_schema

    if args.write:
        from simulation.study.store import atomic_write_bytes

        for name, schema in (("scenario", scenario_schema()), ("sweep", sweep_schema())):
            path = Path("scenarios") / f"{name}.schema.json"
            atomic_write_bytes(
                path, (json.dumps(schema, indent=2, ensure_ascii=False) + "\n").encode()
            )
            print(f"wrote {path}")
    else:
        schema = sweep_schema() if args.sweep else scenario_schema()
        print(json.dumps(schema, indent=2, ensure_ascii=False))
    return 0


_COMMANDS = {
    "run": _cmd_run,
    "compare": _cmd_compare,
    "sweep": _cmd_sweep,
    "calibrate": _cmd_calibrate,
    "report": _cmd_report,
    "check": _cmd_check,
    "schema": _cmd_schema,
    "app": _cmd_app,
}


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings of this package as one `warning: ...` line on stderr (no file and line)."""
    print(f"warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 some runs failed, 2 usage, a folder that
    cannot be used, or every run failed, 130 interrupted)."""
    import warnings

    from simulation.scenario import ScenarioError
    from simulation.study.store import StudyError

    args = _parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return _COMMANDS[args.command](args)
    except ScenarioError as exc:
        return _usage_error(_render(exc, args))
    except StudyError as exc:
        return _usage_error(f"error: {exc}")
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `simulation schema | head`: the reader left, not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # a full disk, a quota, a folder gone read-only mid-study
        return _usage_error(_os_error(exc, args))


def _os_error(exc: OSError, args: argparse.Namespace) -> str:
    """A file-system failure as one message: which file, why, and how to finish the study."""
    where = f"{exc.filename}: " if exc.filename else ""
    message = f"error: {where}{exc.strerror or exc}"
    study = next(
        (p for p in Path(exc.filename or "").parents if (p / "manifest.json").is_file()), None
    )
    if study is not None and hasattr(args, "resume"):
        message += (
            f"\nthe runs finished so far are kept in {study}; make room and finish with the "
            f"same command and --resume --out {study}"
        )
    return message


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
