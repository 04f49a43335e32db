"""A study folder that survives crashes: every finished run is on disk at once.

Layout of `results/<study>/` (design.md §6):

    manifest.json        versions, git revision, scenario files and hashes, seeds, times,
                         and the status of every run (rewritten atomically as runs finish)
    runs.parquet         one row per run (scenario, replication, seed, status, metrics,
                         structure counts); consolidated from parts/
    timeseries.parquet   one row per run and day; consolidated from parts/
    journal.jsonl        append-only log, one line per finished or failed run (flushed and
                         fsynced): the source of truth when a study is resumed
    parts/               one small Parquet file per finished run (runs and time series)
    charts/              figures written by `simulation compare`/`report`

Every file is written to a temporary name and renamed into place, so a reader never sees half
a file, and a killed study loses at most the runs that were still computing.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

import simulation

__all__ = ["FORMAT_VERSION", "StudyStore", "atomic_write_bytes", "environment"]

FORMAT_VERSION = 1


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same folder and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _atomic_parquet(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _git_revision() -> str | None:
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    rev = out.stdout.strip()
    if out.returncode != 0 or not rev:
        return None
    dirty = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        timeout=5,
        check=False,
    ).stdout.strip()
    return rev + ("-dirty" if dirty else "")


def environment() -> dict[str, Any]:
    """Versions that decide a run's numbers (recorded in every manifest)."""
    import mesa
    import numpy
    import scipy

    return {
        "package_version": simulation.__version__,
        "git_revision": _git_revision(),
        "python": sys.version.split()[0],
        "mesa": mesa.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "platform": platform.platform(),
    }


def run_key(scenario: str, replication: int) -> str:
    """The identity of a run inside a study."""
    return f"{scenario}/r{replication:05d}"


def _part_name(key: str) -> str:
    return key.replace("/", "__")


class StudyStore:
    """Reads and writes one study folder (see the module docstring)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.parts = self.folder / "parts"
        self.manifest_path = self.folder / "manifest.json"
        self.journal_path = self.folder / "journal.jsonl"
        self.manifest: dict[str, Any] = {}

    # ------------------------------------------------------------------ life cycle
    def exists(self) -> bool:
        return self.manifest_path.exists()

    def start(self, manifest: dict[str, Any]) -> None:
        """Create the folder and write the initial manifest (every run pending)."""
        self.parts.mkdir(parents=True, exist_ok=True)
        self.manifest = {
            "format_version": FORMAT_VERSION,
            **manifest,
            "environment": environment(),
            "started": _now(),
            "finished": None,
        }
        self.write_manifest()

    def load(self) -> dict[str, Any]:
        self.manifest = json.loads(self.manifest_path.read_text())
        return self.manifest

    def write_manifest(self) -> None:
        text = json.dumps(self.manifest, indent=2, sort_keys=False, default=str)
        atomic_write_bytes(self.manifest_path, text.encode())

    # ------------------------------------------------------------------ runs
    def journal(self) -> dict[str, dict[str, Any]]:
        """Last journal entry per run key (torn last lines from a crash are ignored)."""
        out: dict[str, dict[str, Any]] = {}
        if not self.journal_path.exists():
            return out
        for line in self.journal_path.read_text().splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            out[entry["key"]] = entry
        return out

    def finished_keys(self) -> set[str]:
        """Runs with a result on disk (ok or failed); a resumed study skips them."""
        done = set()
        for key, entry in self.journal().items():
            if (
                entry["status"] == "failed"
                or (self.parts / f"run-{_part_name(key)}.parquet").exists()
            ):
                done.add(key)
        return done

    def record(self, key: str, row: dict[str, Any], timeseries: pd.DataFrame | None) -> None:
        """Persist one finished run: its parts first, then the journal line that vouches for them."""
        name = _part_name(key)
        if timeseries is not None and not timeseries.empty:
            _atomic_parquet(timeseries, self.parts / f"ts-{name}.parquet")
        _atomic_parquet(pd.DataFrame([row]), self.parts / f"run-{name}.parquet")
        entry = {
            "key": key,
            "status": row.get("status", "ok"),
            "seconds": row.get("seconds"),
            "error": row.get("error"),
            "time": _now(),
        }
        with self.journal_path.open("a") as fh:
            fh.write(json.dumps(entry) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        runs = self.manifest.setdefault("runs", {})
        runs[key] = {k: entry[k] for k in ("status", "seconds", "error") if entry[k] is not None}

    def set_status(self, keys: Iterable[str], status: str) -> None:
        runs = self.manifest.setdefault("runs", {})
        for key in keys:
            runs.setdefault(key, {})["status"] = status

    def consolidate(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Gather every part into runs.parquet and timeseries.parquet (atomic replacements)."""
        run_files = sorted(self.parts.glob("run-*.parquet"))
        ts_files = sorted(self.parts.glob("ts-*.parquet"))
        runs = (
            pd.concat([pd.read_parquet(f) for f in run_files], ignore_index=True)
            if run_files
            else pd.DataFrame()
        )
        ts = (
            pd.concat([pd.read_parquet(f) for f in ts_files], ignore_index=True)
            if ts_files
            else pd.DataFrame()
        )
        order = self.manifest.get("scenario_order")
        if not runs.empty:
            if order:
                runs["_o"] = runs["scenario"].map({n: i for i, n in enumerate(order)})
                runs = runs.sort_values(["_o", "replication"]).drop(columns="_o")
            runs = runs.reset_index(drop=True)
        if not ts.empty:
            if order:
                ts["_o"] = ts["scenario"].map({n: i for i, n in enumerate(order)})
                ts = ts.sort_values(["_o", "replication", "day"]).drop(columns="_o")
            ts = ts.reset_index(drop=True)
        _atomic_parquet(runs, self.folder / "runs.parquet")
        _atomic_parquet(ts, self.folder / "timeseries.parquet")
        return runs, ts

    def finish(self, status: str) -> None:
        self.manifest["finished"] = _now()
        self.manifest["status"] = status
        self.write_manifest()
