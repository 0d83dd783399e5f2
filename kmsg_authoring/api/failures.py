"""How a request failed: the kinds of failure the client retries or reports, and the retry delay's jitter."""

from __future__ import annotations

import random

from kmsg_authoring.errors import ApiError


class AmbiguousWriteError(ApiError):
    """A write failed in a way that leaves unknown whether the server applied it."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message, status=status, retryable=True)


def default_jitter(delay: float) -> float:
    """The guide's delay plus up to a quarter more, so parallel clients do not retry in step."""
    return delay + random.uniform(0.0, delay / 4)


class Failure(Exception):
    """One attempt failed; retryable says whether another attempt may help, sent whether it left."""

    def __init__(self, error: ApiError, *, retryable: bool, sent: bool = True) -> None:
        super().__init__(error.message)
        self.error, self.retryable, self.sent = error, retryable, sent
