"""Names that become paths, and the files and folders a user names: checked once, here.

A scenario's or sweep's `name` ends up in paths (`results/<kind>-<name>-<time>/`, the
`parts/ts-<name>__r00000.parquet` of each run) and in every row of a study. Anything a user
types is therefore checked before it can name a file: a name is 1 to `NAME_MAX_LENGTH`
letters, digits, '_', '-' or '.', starting with a letter or digit, so it can never climb out
of its folder (`..`, `/`), hide a file (a leading dot), hold a NUL byte or exceed what a file
system accepts. The same rule is published in the JSON Schemas (`name_schema`).

Files read (scenario and sweep files, and files they name) must be existing regular files of
a bounded size: a FIFO or a device would block a reader forever, and a folder is a mistake.
Folders written (`--out`) must be folders, or creatable inside a writable folder; this is
checked before anything is written, so a mistake leaves no half-made study behind.

Every check returns a message saying what is wrong and what is allowed (or None); the
callers put it under the file, key or option. None of them writes anything.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import Any

from simulation.scenario.params import short_repr

__all__ = [
    "MAX_FILE_BYTES",
    "NAME_MAX_LENGTH",
    "SWEEP_NAME_MAX_LENGTH",
    "check_input_file",
    "check_output_folder",
    "name_problem",
    "name_rule",
    "name_schema",
    "short_repr",
]

#: Longest name: leaves room for the study folder's prefix and time stamp, a sweep's design
#: point suffix and a run's replication within the 255 bytes a file name may have.
NAME_MAX_LENGTH = 64
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
#: A sweep's name is followed by a design point's "-p0001" (up to "-p100000") in the names
#: of its scenarios.
SWEEP_NAME_MAX_LENGTH = NAME_MAX_LENGTH - 8


def name_schema(max_length: int = NAME_MAX_LENGTH) -> dict[str, Any]:
    """The rule as JSON Schema (published for scenario and sweep files)."""
    return {
        "type": "string",
        "pattern": f"^[A-Za-z0-9][A-Za-z0-9_.-]{{0,{max_length - 1}}}$",
        "maxLength": max_length,
    }


#: Largest scenario or sweep file read (the shipped ones are under 20 KB).
MAX_FILE_BYTES = 1_000_000


def name_rule(max_length: int = NAME_MAX_LENGTH) -> str:
    """The rule for names, in words (quoted by every message about a name)."""
    return (
        f"1 to {max_length} characters: letters A-Z a-z, digits, '_', '-' or '.', "
        "starting with a letter or digit"
    )


def name_problem(value: Any, max_length: int = NAME_MAX_LENGTH) -> str | None:
    """What is wrong with `value` as a name used in paths, or None when it is fine."""
    if not isinstance(value, str):
        return f"must be a string, got {short_repr(value)}"
    if len(value) > max_length:
        return f"is {len(value):,} characters long; a name is {name_rule(max_length)}"
    if not _NAME_RE.fullmatch(value):
        return f"must be {name_rule(max_length)}; got {short_repr(value)}"
    return None


def _path_problem(path: Path) -> str | None:
    """Problems of the path text itself (before the file system is asked)."""
    text = str(path)
    if "\x00" in text:
        return "the path contains a NUL byte"
    if len(os.fsencode(text)) > 4096:
        return f"the path is {len(text):,} characters long (at most 4096)"
    if any(len(os.fsencode(part)) > 255 for part in path.parts):
        return "a part of the path is longer than 255 bytes (the file system's limit)"
    return None


def check_input_file(path: Path, kind: str = "scenario file") -> str | None:
    """What is wrong with `path` as a file to read, or None: it must be an existing regular
    file of at most MAX_FILE_BYTES (a FIFO, device or folder would block or fail a reader)."""
    problem = _path_problem(path)
    if problem is not None:
        return problem
    try:
        st = path.stat()
    except FileNotFoundError:
        return "file not found"
    except NotADirectoryError:
        return "file not found (a part of the path is a file, not a folder)"
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if stat.S_ISDIR(st.st_mode):
        return f"is a folder, not a {kind}"
    if not stat.S_ISREG(st.st_mode):
        return f"is not a regular file (a FIFO, socket or device); a {kind} must be a file"
    if st.st_size > MAX_FILE_BYTES:
        return f"is {st.st_size:,} bytes; a {kind} is at most {MAX_FILE_BYTES:,} bytes"
    if not os.access(path, os.R_OK):
        return "cannot be read (permission denied)"
    return None


def check_output_folder(path: Path) -> str | None:
    """What is wrong with `path` as a study folder to write, or None.

    It must be a folder, or not exist yet with its nearest existing ancestor a folder this
    process may write into. Nothing is created here.
    """
    problem = _path_problem(path)
    if problem is not None:
        return problem
    try:
        if path.exists() or path.is_symlink():
            if not path.is_dir():
                return "exists and is not a folder (a study is written into a folder)"
            if not os.access(path, os.R_OK | os.W_OK | os.X_OK):
                return "is a folder this user cannot read and write"
            return None
        ancestor = path.absolute().parent
        while not ancestor.exists():
            if ancestor.is_symlink():
                return f"{ancestor} is a broken symbolic link"
            ancestor = ancestor.parent
    except OSError as exc:
        if exc.errno == errno.ENOTDIR:
            return "a part of the path is a file, not a folder"
        return f"cannot be used: {exc.strerror or exc}"
    if not ancestor.is_dir():
        return f"{ancestor} is a file, not a folder"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"cannot be created: {ancestor} is not writable by this user"
    return None
