"""A study folder that survives crashes: every finished run is on disk at once.

Layout of `results/<study>/` (design.md §6):

    manifest.json        versions, git revision, scenario files and hashes, seeds, times,
                         and the status of every run (rewritten atomically every few seconds)
    runs.parquet         one row per run (scenario, replication, seed, status, metrics,
                         structure counts); consolidated from the journal
    timeseries.parquet   one row per run and day; consolidated from parts/
    journal.jsonl        append-only log, one line per finished or failed run holding its whole
                         row (one write, fsynced): the record of what finished, read by --resume
    parts/               one small Parquet file of daily series per finished run
    charts/              figures written by `simulation compare`/`report`

Every file but the journal is written to a temporary name, fsynced and renamed into place, so a
reader never sees half a file; the journal only grows, one whole line per write(2). A killed
study (Ctrl-C, SIGTERM, SIGKILL, a crash) loses at most the runs that were still computing.
A folder in use is locked (`StudyStore.locked`: an OS lock, `fcntl.flock`, on the folder
itself): a second process gets `StudyLockedError` (or waits, when asked), so two processes
never compute or record the same runs; the lock dies with its process, so a killed study never
blocks its resume. A damaged manifest or journal gives `StudyDamagedError`, saying what is
damaged and how to recover; the journal is the source of truth.

The order of writes is what makes resuming safe: a run's series part is on disk before the
journal line that vouches for it, so a run is either finished (journal line, and part when it
keeps series) or redone by `--resume`, and redoing it replaces its part rather than adding a
second copy.

Why the row goes in the journal rather than in a Parquet part of its own (format 1 did that):
writing and later reading a one-row Parquet file costs about 15-20 ms, a JSON line 0.1 ms, and
the parent process does this for every run while the workers compute, so on many workers it
was the bottleneck. Python's JSON writes floats exactly (repr) and keeps NaN, so a row read
back from the journal equals the row written.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import simulation

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: studies are not locked
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "FORMAT_VERSION",
    "StudyDamagedError",
    "StudyError",
    "StudyFormatError",
    "StudyLockedError",
    "StudyStore",
    "atomic_write_bytes",
    "environment",
    "run_key",
]

FORMAT_VERSION = 2


class StudyError(Exception):
    """A study folder cannot be used as asked (the message says why and what to do)."""


class StudyLockedError(StudyError):
    """Another process is working in the study folder."""


class StudyDamagedError(StudyError):
    """The study's manifest (or journal) cannot be read; the message says how to recover."""


class StudyFormatError(StudyError):
    """The folder holds a study of another format version (it cannot be resumed here)."""


# Locks held here, by the folder's (device, inode) and the holding thread, with how often each
# is held: a study resumed inside a call that already holds its lock (the --precision loop)
# must not wait for itself. Another thread takes the lock through a descriptor of its own, so
# it is refused (or waits) like another process: flock locks belong to open files.
_HELD: dict[tuple[int, int, int], list[int]] = {}
_HELD_GUARD = threading.Lock()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # what open() would give: mkstemp's 0600 would hide results


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same folder and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _FILE_MODE)
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
    """Write a Parquet file atomically; its data is fsynced before the rename so that a journal
    line written after it never vouches for a file that a power cut could leave empty."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            df.to_parquet(fh, index=False)
            fh.flush()
            os.fsync(fh.fileno())
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


def _json_value(value: Any) -> Any:
    """numpy scalars (and anything else) in a journal row, as plain JSON values."""
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


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

    # ------------------------------------------------------------------ the lock
    @contextlib.contextmanager
    def locked(self, wait: bool = False) -> Iterator[None]:
        """Hold the study's lock (creating the folder if needed) for the duration.

        Raises StudyLockedError when another process holds it, unless `wait`, in which case
        it waits for that process to finish. Re-entrant within a thread.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        st = os.fstat(fd)
        ident = (st.st_dev, st.st_ino, threading.get_ident())
        with _HELD_GUARD:
            held = _HELD.get(ident)
            if held is not None:
                held[1] += 1
        if held is not None:
            os.close(fd)
            try:
                yield
            finally:
                with _HELD_GUARD:
                    held[1] -= 1
            return
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
                except BlockingIOError:
                    raise StudyLockedError(
                        f"{self.folder} is in use by another process (a study folder is locked "
                        "while a run, compare or sweep works in it); wait for it to finish, or "
                        "add --wait to wait for it"
                    ) from None
            with _HELD_GUARD:
                _HELD[ident] = [fd, 1]
            try:
                yield
            finally:
                with _HELD_GUARD:
                    _HELD.pop(ident, None)
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    # ------------------------------------------------------------------ life cycle
    def exists(self) -> bool:
        """Whether the folder holds a study (its manifest, or a journal left without one)."""
        return self.manifest_path.exists() or self.journal_path.exists()

    def foreign_content(self) -> list[str]:
        """Names in the folder when it is not a study folder (so a study never writes into, or
        later consolidates over, a folder of other files); empty when it is safe to start."""
        if not self.folder.exists() or self.exists():
            return []
        return sorted(p.name for p in self.folder.iterdir())

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
        """Read the manifest, and prepare an interrupted study for more runs.

        A kill can leave the manifest's run statuses behind the journal (it is rewritten every
        few seconds, the journal at every run), a torn last journal line, and temporary files
        of writes that never finished: the statuses are brought up to date from the journal,
        the torn line is closed so the next entry starts on a line of its own, and stale
        temporary files are removed.
        """
        self.manifest = self.read_manifest()
        self._tidy()
        return self.manifest

    def rebuild(self, manifest: dict[str, Any], reason: str) -> None:
        """Replace a damaged manifest by `manifest` (what the resuming command would have
        started) with the run statuses from the journal, and say so in it (`rebuilt`)."""
        self.manifest = {
            "format_version": FORMAT_VERSION,
            **manifest,
            "environment": environment(),
            "started": None,
            "finished": None,
            "rebuilt": {"time": _now(), "reason": reason},
        }
        self.parts.mkdir(parents=True, exist_ok=True)
        self._tidy()
        self.write_manifest()

    def _tidy(self) -> None:
        self._close_torn_journal()
        for tmp in [*self.folder.glob(".*.tmp"), *self.parts.glob(".*.tmp")]:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self.sync_statuses()

    def read_manifest(self) -> dict[str, Any]:
        """The manifest as a dict; StudyDamagedError when it is unreadable, not JSON, not an
        object or of another format (nothing is changed)."""
        path = self.manifest_path
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise StudyDamagedError(self._damage(f"{path} is missing")) from None
        except OSError as exc:
            raise StudyDamagedError(
                self._damage(f"{path} cannot be read ({exc.strerror or exc})")
            ) from None
        try:
            manifest = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            why = "is empty" if not raw.strip() else f"is not valid JSON ({exc})"
            raise StudyDamagedError(self._damage(f"{path} {why}")) from None
        if not isinstance(manifest, dict):
            raise StudyDamagedError(
                self._damage(f"{path} holds a JSON {type(manifest).__name__}, not an object")
            )
        version = manifest.get("format_version")
        if version != FORMAT_VERSION:
            shown = "no format version" if version is None else f"format {version!r}"
            raise StudyFormatError(
                f"{self.folder} holds a study of {shown}; this version ({simulation.__version__}) "
                f"resumes study folders of format {FORMAT_VERSION} only. Its finished results stay "
                "readable (runs.parquet); finish it with the version that started it, or start "
                "again with another --out"
            )
        return manifest

    def _damage(self, what: str) -> str:
        n = len(self.journal()) if self.journal_path.is_file() else 0
        return (
            f"{what}. The journal ({self.journal_path.name}) is the record of finished runs "
            f"({n} on disk): resume with the same command and --resume to rebuild the manifest "
            "from it (the runs it holds are checked against the command's), or start again with "
            "another --out"
        )

    def sync_statuses(self) -> None:
        """Set each journaled run's status in the manifest from the journal (the source of
        truth: an interrupt can fall between a run's journal line and its manifest entry)."""
        runs = self.manifest.setdefault("runs", {})
        for key, entry in self.journal().items():
            runs[key] = {
                k: entry[k] for k in ("status", "seconds", "error") if entry.get(k) is not None
            }

    def _close_torn_journal(self) -> None:
        if not self.journal_path.exists():
            return
        try:
            self._close_torn_line()
        except OSError as exc:
            raise StudyDamagedError(
                f"{self.journal_path} cannot be repaired ({exc.strerror or exc}); it is the record "
                "of the study's finished runs: restore it, or start again with another --out"
            ) from None

    def _close_torn_line(self) -> None:
        with self.journal_path.open("rb+") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell() == 0:
                return
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":
                fh.write(b"\n")
                fh.flush()
                os.fsync(fh.fileno())

    def write_manifest(self) -> None:
        """Rewrite manifest.json atomically from the in-memory manifest."""
        text = json.dumps(self.manifest, indent=2, sort_keys=False, default=str)
        atomic_write_bytes(self.manifest_path, text.encode())

    # ------------------------------------------------------------------ runs
    def journal(self) -> dict[str, dict[str, Any]]:
        """Last journal entry per run key (torn lines from a crash are ignored)."""
        out: dict[str, dict[str, Any]] = {}
        if not self.journal_path.exists():
            return out
        try:
            text = self.journal_path.read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            raise StudyDamagedError(
                f"{self.journal_path} cannot be read ({exc.strerror or exc}); it is the record "
                "of the study's finished runs: restore it, or start again with another --out"
            ) from None
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if (
                isinstance(entry, dict)
                and isinstance(entry.get("key"), str)
                and entry.get("status") in ("ok", "failed")
            ):
                out[entry["key"]] = entry
        return out

    def part_path(self, key: str) -> Path:
        """The daily-series part of a run key (a Parquet file)."""
        return self.parts / f"ts-{_part_name(key)}.parquet"

    def finished_keys(self) -> set[str]:
        """Runs with a result on disk (ok or failed); a resumed study skips them.

        A failed run counts as finished: a run depends only on its scenario and seed, so
        running it again would fail again (a study with a fixed model goes to a new folder).
        """
        return {
            key
            for key, entry in self.journal().items()
            if entry["status"] in ("ok", "failed")
            and isinstance(entry.get("row"), dict)
            and (not entry.get("timeseries") or self.part_path(key).exists())
        }

    def community_part_path(self, key: str) -> Path:
        """The per-community part of a run key (a Parquet file; absent for sweeps)."""
        return self.parts / f"cm-{_part_name(key)}.parquet"

    def record(
        self,
        key: str,
        row: dict[str, Any],
        timeseries: pd.DataFrame | None,
        digest: str | None = None,
        communities: pd.DataFrame | None = None,
    ) -> None:
        """Persist one finished run: its parts first (daily series, communities), then the
        journal line (with the run's row, and the digest of its scenario's parameters) that
        vouches for them."""
        has_ts = timeseries is not None and not timeseries.empty
        if communities is not None and not communities.empty:
            _atomic_parquet(communities, self.community_part_path(key))
        if has_ts:
            _atomic_parquet(timeseries, self.part_path(key))
        entry = {
            "key": key,
            "status": row.get("status", "ok"),
            "seconds": row.get("seconds"),
            "error": row.get("error"),
            "time": _now(),
            "timeseries": has_ts,
            "digest": digest,
            "row": row,
        }
        line = (json.dumps(entry, default=_json_value) + "\n").encode()
        # One write(2) of the whole line on an O_APPEND descriptor, then fsync: the line is on
        # disk before the next run is recorded, and is never interleaved with another.
        fd = os.open(self.journal_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, _FILE_MODE)
        try:
            written = os.write(fd, line)
            if written != len(line):  # a short write: finish the line rather than tear it
                os.write(fd, line[written:])
            os.fsync(fd)
        finally:
            os.close(fd)
        runs = self.manifest.setdefault("runs", {})
        runs[key] = {k: entry[k] for k in ("status", "seconds", "error") if entry[k] is not None}

    def set_status(self, keys: Iterable[str], status: str) -> None:
        """Mark runs (e.g. pending, interrupted) in the in-memory manifest."""
        runs = self.manifest.setdefault("runs", {})
        for key in keys:
            runs.setdefault(key, {})["status"] = status

    def _gather(self, files: list[Path]) -> pd.DataFrame:
        if not files:
            return pd.DataFrame()
        tables = []
        for f in files:
            try:
                tables.append(pq.read_table(f))
            except (OSError, pa.ArrowException) as exc:
                raise StudyDamagedError(
                    f"{f} (a run's daily series) is damaged ({exc}); delete it and resume with "
                    "--resume: its run is then redone"
                ) from None
        try:
            table = pa.concat_tables(tables, promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # pragma: no cover - exotic mixes
            return pd.concat([t.to_pandas() for t in tables], ignore_index=True)
        return table.replace_schema_metadata(None).to_pandas()

    def consolidate(self, keys: Iterable[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Write runs.parquet (from the journal) and timeseries.parquet (from the parts),
        atomically, and return them; communities.parquet too when runs left per-community
        parts (a study without them, e.g. a sweep, has no such file).

        Only finished runs are gathered (or only `keys`), so a series part written just before
        a kill, and redone after, appears once. Rows are sorted by scenario order and
        replication, so the files do not depend on the order in which runs finished.
        """
        journal = self.journal()
        done = self.finished_keys() if keys is None else set(keys) & set(journal)
        names = sorted(done)
        runs = pd.DataFrame([journal[k]["row"] for k in names]) if names else pd.DataFrame()
        ts_files = [f for k in names if (f := self.part_path(k)).exists()]
        ts = self._gather(ts_files)
        order = self.manifest.get("scenario_order")
        rank = {n: i for i, n in enumerate(order or [])}
        if not runs.empty:
            runs = runs.assign(_o=runs["scenario"].map(rank)).sort_values(
                ["_o", "scenario", "replication"], kind="stable"
            )
            runs = runs.drop(columns="_o").reset_index(drop=True)
        if not ts.empty:
            ts = ts.assign(_o=ts["scenario"].map(rank)).sort_values(
                ["_o", "scenario", "replication", "day"], kind="stable"
            )
            ts = ts.drop(columns="_o").reset_index(drop=True)
        _atomic_parquet(runs, self.folder / "runs.parquet")
        _atomic_parquet(ts, self.folder / "timeseries.parquet")
        cm_files = [f for k in names if (f := self.community_part_path(k)).exists()]
        if cm_files:
            cm = self._gather(cm_files)
            cm = cm.assign(_o=cm["scenario"].map(rank)).sort_values(
                ["_o", "scenario", "replication", "community"], kind="stable"
            )
            _atomic_parquet(
                cm.drop(columns="_o").reset_index(drop=True), self.folder / "communities.parquet"
            )
        return runs, ts

    def finish(self, status: str) -> None:
        """Stamp the end time and the study's status, and write the manifest."""
        self.manifest["finished"] = _now()
        self.manifest["status"] = status
        self.write_manifest()
