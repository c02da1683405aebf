"""One writer at a time for a DuckDB warehouse file, across every process that writes it.

DuckDB lets one process open a file for writing, and a second one fails at once ("Could not set
lock"). Every writer — `profiles run`, a run the Dagster daemon launched for the schedule, a
sensor, a backfill or the UI, `profiles cleanup` — first takes an exclusive `flock` on
`<file>.lock` and waits for it instead of failing; the few commands that read the file itself
(validate, compile) take it shared. The operating system drops the lock when its process dies,
so a killed run never leaves it held. The lock file names its holder, for the message a waiting
process prints.

A run holds the lock from its first step to its end (see `orchestration.run_envelope`): its
steps open and close the file one after another, and no other writer may slip in between them.
Taking the lock again in the process that holds it nests (`profiles run` holds it around the
Dagster run it executes in process); it is let go when the outermost holder releases it.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

#: Seconds between two looks at a lock held by someone else (and two "waiting" messages).
POLL_SECONDS = 0.5


@dataclass
class _Held:
    fd: int
    owner: str
    mode: int
    depth: int = 1


_HELD: dict[str, _Held] = {}


def lock_path(database: str | Path) -> Path:
    return Path(f"{database}.lock")


def holder(database: str | Path) -> dict:
    """Who holds (or last held) the lock: {"owner", "pid", "host", "since"}; {} if nobody wrote it."""
    try:
        return json.loads(lock_path(database).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}


def acquire(database: str | Path, owner: str, *, shared: bool = False, timeout: float | None = None,
            on_wait: Callable[[dict], None] | None = None) -> dict | None:
    """Take the lock for `owner` (a run id, a command), waiting while another process holds it.

    Held already by this process: one level deeper (each `acquire` needs its `release`).
    Returns what the lock file said of the previous holder ({"released": False} there means it
    died holding the lock: an interrupted run), or None when `timeout` seconds passed first."""
    key = str(Path(database).resolve())
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    if key in _HELD and (_HELD[key].mode == fcntl.LOCK_EX or shared):
        _HELD[key].depth += 1
        return {}
    path = lock_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = _HELD[key].fd if key in _HELD else os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    started, told = time.monotonic(), 0.0
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            waited = time.monotonic() - started
            if timeout is not None and waited >= timeout:
                if key not in _HELD:
                    os.close(fd)
                return None
            if on_wait and (told == 0.0 or waited - told >= 5):
                on_wait(holder(key))
                told = waited or 1e-9
            time.sleep(POLL_SECONDS)
    _HELD[key] = _Held(fd, owner, mode, _HELD[key].depth + 1 if key in _HELD else 1)
    previous = holder(key)
    if not shared:
        _write(fd, {"owner": owner, "pid": os.getpid(), "host": socket.gethostname(), "since": time.time(),
                    "released": False})
    return previous


def _write(fd: int, note: dict) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(note).encode(), 0)


def release(database: str | Path) -> None:
    """Undo one `acquire`: the outermost lets the lock go (a no-op when this process does not
    hold it)."""
    key = str(Path(database).resolve())
    held = _HELD.get(key)
    if held is not None and held.depth > 1:
        held.depth -= 1
        return
    held = _HELD.pop(key, None)
    if held is not None:
        if held.mode == fcntl.LOCK_EX:
            _write(held.fd, {**holder(key), "released": True})
        fcntl.flock(held.fd, fcntl.LOCK_UN)
        os.close(held.fd)


@contextmanager
def locked(database: str | Path, owner: str, *, shared: bool = False, timeout: float | None = None,
           on_wait: Callable[[dict], None] | None = None) -> Iterator[dict]:
    """The lock for the duration of a block; yields what the previous holder left (see
    `acquire`). Raises TimeoutError after `timeout` seconds."""
    previous = acquire(database, owner, shared=shared, timeout=timeout, on_wait=on_wait)
    if previous is None:
        raise TimeoutError(holder(database))
    try:
        yield previous
    finally:
        release(database)
