"""Fixtures for the sandbox tests: a running sandbox, a client for one partner, a clock to move."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from kmsg_authoring.sandbox import Sandbox, make_ks, start_sandbox

APP = "app-guid-1"


def template_body(name: str = "Event Invitation", **extra: Any) -> dict[str, Any]:
    """A valid email-template/add body (section 5.1)."""
    body: dict[str, Any] = {
        "appGuid": APP,
        "name": name,
        "subject": "You're invited to {eventName}",
        "body": "<p>Hi {recipient.firstName},</p><p>Join us at {eventName}!</p><a href='{joinLink}'>Go</a>",
        "toAttributePath": "{recipient.email}",
        "msgParamsMap": {
            "recipient": {"type": "User"},
            "eventName": {"type": "String"},
            "joinLink": {"type": "MagicLink"},
        },
    }
    body.update(extra)
    return body


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = field(default_factory=lambda: datetime(2026, 4, 9, 4, 56, 27, 940000, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Api:
    """POSTs JSON to the sandbox with one partner's KS."""

    def __init__(self, sandbox: Sandbox, partner: int = 1) -> None:
        self.sandbox = sandbox
        self.ks = make_ks(partner)
        # Plain HTTP to 127.0.0.1: verify=False only skips loading CA certificates, which costs more than a test.
        self.client = httpx.Client(
            base_url=sandbox.url + "/", headers={"Authorization": f"Bearer {self.ks}"}, timeout=10, verify=False
        )

    def post(self, endpoint: str, body: Any = None) -> httpx.Response:
        return self.client.post(endpoint, json={} if body is None else body)

    def ok(self, endpoint: str, body: Any = None) -> Any:
        response = self.post(endpoint, body)
        assert response.status_code == 200, response.text
        return response.json()

    def error(self, endpoint: str, body: Any, status: int) -> dict[str, Any]:
        response = self.post(endpoint, body)
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/json")
        data: dict[str, Any] = response.json()
        assert set(data) == {"code", "message"}
        return data

    def add(self, name: str = "Event Invitation", **extra: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.ok("email-template/add", template_body(name, **extra))
        return result


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "sandbox.sqlite"


@pytest.fixture
def sandbox(db: Path, clock: Clock) -> Iterator[Sandbox]:
    with start_sandbox(db, clock=clock) as sb:
        yield sb


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[Api]:
    client = Api(sandbox, partner=1)
    yield client
    client.client.close()


@pytest.fixture
def other(sandbox: Sandbox) -> Iterator[Api]:
    """A client of another partner."""
    client = Api(sandbox, partner=2)
    yield client
    client.client.close()
