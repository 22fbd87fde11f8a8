"""Files replaced whole: written beside their place, then renamed over it.

Readers see the old file or the new one, never half of one. The new file gets
the mode any file the user creates would get (0666 less the umask), not the
owner-only mode of a temporary file: the tables, the report and the exports
are meant to be shared as every other tool's output is.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def umask() -> int:
    """The process's umask, read without changing it where Linux says it."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and put back at once
    os.umask(mask)
    return mask


def temporary_beside(path: Path) -> Path:
    """An empty file in `path`'s folder, named after it, with a new file's mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~umask())
    finally:
        os.close(fd)
    return Path(tmp)


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path to write; renamed over `path` when the block ends
    normally, removed when it raises."""
    tmp = temporary_beside(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
