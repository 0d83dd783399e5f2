"""Injected faults: a share of 5xx answers, added latency, dropped connections.

Every request draws the same number of values from one random generator, whatever the outcome, so
with a seed the same sequence of requests meets the same sequence of faults.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any

# Gateway-style failures a client must treat as transient.
ERROR_STATUSES: tuple[int, ...] = (500, 502, 503, 504)


@dataclass(frozen=True)
class Decision:
    """What happens to one request."""

    latency_s: float = 0.0
    error_status: int | None = None  # answer with this 5xx before processing
    drop: str | None = None  # "before" or "after" processing: close the socket with no response


@dataclass
class Faults:
    """Fault settings; mutable, so a test can turn faults on and off while the sandbox runs.

    error_rate: share of requests answered with a 5xx before they are processed.
    drop_rate: share of the other requests whose connection is closed with no response.
    drop_after_write: when set, half of the dropped writes are dropped after the write committed,
        so the client sees a failure although the change was made.
    latency_ms: added to every request.
    seed: makes the sequence of faults reproducible; setting it again restarts the sequence.
    """

    error_rate: float = 0.0
    drop_rate: float = 0.0
    drop_after_write: bool = True
    latency_ms: int = 0
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("error_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1 (got {value})")
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms must not be negative (got {self.latency_ms})")
        self._lock = threading.Lock()

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name == "seed":
            object.__setattr__(self, "_rng", random.Random(value))

    @property
    def active(self) -> bool:
        """Whether any fault is configured."""
        return bool(self.error_rate or self.drop_rate or self.latency_ms)

    def decide(self, write: bool) -> Decision:
        """The fate of the next request; write says whether it changes state."""
        with self._lock:
            rng: random.Random = self.__dict__["_rng"]
            error_draw, drop_draw, after_draw = rng.random(), rng.random(), rng.random()
            status = ERROR_STATUSES[rng.randrange(len(ERROR_STATUSES))]
        latency = self.latency_ms / 1000.0
        if error_draw < self.error_rate:
            return Decision(latency, error_status=status)
        if drop_draw < self.drop_rate:
            after = write and self.drop_after_write and after_draw < 0.5
            return Decision(latency, drop="after" if after else "before")
        return Decision(latency)
