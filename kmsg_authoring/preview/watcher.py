"""File watching for the live preview: a swappable watcher and a debouncer for bursts of saves."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

# Files editors write beside the one being saved; they change nothing a template reads.
_SCRATCH_SUFFIXES = ("~", ".swp", ".swx", ".swo", ".tmp", ".bak")
_SCRATCH_NAMES = ("4913", ".DS_Store")


def is_scratch(path: str) -> bool:
    """Whether a path is an editor's scratch file (swap, backup, lock)."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return name in _SCRATCH_NAMES or name.startswith((".#", "#")) or name.endswith(_SCRATCH_SUFFIXES)


class Watcher(Protocol):
    """Reports changed paths (absolute) under the watched folders until stopped."""

    def start(self, folders: list[Path], on_change: Callable[[Path], None], *, flat: Sequence[Path] = ()) -> None:
        """Watch folders recursively and flat ones without their subfolders; on_change runs in the watcher's thread."""

    def stop(self) -> None:
        """Stop watching and release the watcher's thread."""


class WatchdogWatcher:
    """A Watcher on watchdog's native observer (inotify, FSEvents, ReadDirectoryChangesW)."""

    def __init__(self) -> None:
        self._observer: Any = None

    def start(self, folders: list[Path], on_change: Callable[[Path], None], *, flat: Sequence[Path] = ()) -> None:
        """Watch each folder recursively, and each flat one without its subfolders."""
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                # Opening or reading a file changes nothing; a directory "modified" only echoes its entries.
                if event.event_type in ("opened", "closed_no_write") or (
                    event.is_directory and event.event_type == "modified"
                ):
                    return
                for p in (event.src_path, getattr(event, "dest_path", "")):
                    if p:
                        on_change(Path(p.decode() if isinstance(p, bytes) else p))

        observer = Observer()
        handler = Handler()
        for folder, recursive in [*((f, True) for f in folders), *((f, False) for f in flat)]:
            if folder.is_dir():
                observer.schedule(handler, str(folder), recursive=recursive)
        observer.daemon = True
        observer.start()
        self._observer = observer

    def stop(self) -> None:
        """Stop the observer thread."""
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None


class Debouncer:
    """Gathers changed paths and hands them over once saves stop arriving for `quiet` seconds.

    An editor's save is often several events (write, rename, chmod), and a "save all" is a burst across
    files: one rebuild per burst, never later than `patience` seconds after its first event.
    """

    def __init__(
        self,
        on_burst: Callable[[set[str]], None],
        *,
        quiet: float = 0.05,
        patience: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.on_burst = on_burst
        self.quiet = quiet
        self.patience = patience
        self.clock = clock
        self._pending: set[str] = set()
        self._first = 0.0
        self._last = 0.0
        self._cond = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None

    def add(self, path: str) -> None:
        """Record a changed path."""
        with self._cond:
            now = self.clock()
            if not self._pending:
                self._first = now
            self._pending.add(path)
            self._last = now
            self._cond.notify_all()

    def due(self) -> set[str] | None:
        """The burst, if it is over (quiet long enough, or waited long enough); else None."""
        with self._cond:
            if not self._pending:
                return None
            now = self.clock()
            if now - self._last >= self.quiet or now - self._first >= self.patience:
                burst, self._pending = self._pending, set()
                return burst
            return None

    def _wait_time(self) -> float | None:
        if not self._pending:
            return None
        now = self.clock()
        return max(0.0, min(self._last + self.quiet, self._first + self.patience) - now)

    def run(self) -> None:
        """Hand over bursts until closed (the body of the debouncing thread)."""
        while True:
            with self._cond:
                while not self._closed and self._wait_time() != 0.0:
                    self._cond.wait(self._wait_time())
                if self._closed:
                    return
            burst = self.due()
            if burst:
                self.on_burst(burst)

    def start(self) -> None:
        """Run in a daemon thread."""
        self._thread = threading.Thread(target=self.run, name="kmsg-preview-debounce", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread (a burst being handled finishes first)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
