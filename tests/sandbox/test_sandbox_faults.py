"""Injected faults: 5xx before processing, dropped connections (some after the write), latency, seeds."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kmsg_authoring.sandbox import Faults, Sandbox, start_sandbox
from kmsg_authoring.sandbox.faults import ERROR_STATUSES
from tests.sandbox.conftest import Api, template_body


def _outcomes(faults: Faults, n: int, write: bool = False) -> list[str]:
    out = []
    for _ in range(n):
        d = faults.decide(write)
        out.append(f"{d.error_status}" if d.error_status else f"drop-{d.drop}" if d.drop else "ok")
    return out


def test_a_seed_makes_faults_reproducible_and_rates_hold() -> None:
    a = _outcomes(Faults(error_rate=0.3, drop_rate=0.1, seed=7), 3000, write=True)
    assert a == _outcomes(Faults(error_rate=0.3, drop_rate=0.1, seed=7), 3000, write=True)
    assert a != _outcomes(Faults(error_rate=0.3, drop_rate=0.1, seed=8), 3000, write=True)
    counts = Counter("5xx" if o.isdigit() else o for o in a)
    assert 0.27 < counts["5xx"] / 3000 < 0.33
    drops = counts["drop-before"] + counts["drop-after"]
    assert 0.05 < drops / 3000 < 0.09  # 10% of the 70% not failed
    assert 0.3 < counts["drop-after"] / drops < 0.7
    assert {int(o) for o in a if o.isdigit()} == set(ERROR_STATUSES)


def test_reads_and_writes_without_drop_after_write_drop_before() -> None:
    assert "drop-after" not in _outcomes(Faults(drop_rate=0.5, seed=1), 200, write=False)
    assert "drop-after" not in _outcomes(Faults(drop_rate=0.5, drop_after_write=False, seed=1), 200, write=True)


def test_setting_the_seed_again_restarts_the_sequence() -> None:
    faults = Faults(error_rate=0.5, seed=3)
    first = _outcomes(faults, 50)
    faults.seed = 3
    assert _outcomes(faults, 50) == first


@pytest.mark.parametrize("kwargs", [{"error_rate": 1.5}, {"drop_rate": -0.1}, {"latency_ms": -1}])
def test_bad_settings_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Faults(**kwargs)  # type: ignore[arg-type]


@pytest.fixture
def faulty(tmp_path: Path) -> Iterator[Sandbox]:
    with start_sandbox(tmp_path / "f.sqlite", faults=Faults(seed=11)) as sb:
        yield sb


def _statuses(sb: Sandbox, n: int) -> list[str]:
    api = Api(sb)
    out = []
    for _ in range(n):
        try:
            out.append(str(api.post("email-template/list").status_code))
        except httpx.TransportError:
            out.append("dropped")
            api = Api(sb)
    return out


def test_over_http_the_same_seed_gives_the_same_faults(tmp_path: Path) -> None:
    runs = []
    for i in range(2):
        with start_sandbox(tmp_path / f"{i}.sqlite", faults=Faults(error_rate=0.3, drop_rate=0.1, seed=5)) as sb:
            runs.append(_statuses(sb, 80))
    assert runs[0] == runs[1]
    counts = Counter(runs[0])
    assert counts["200"] and counts["dropped"] and sum(counts[str(s)] for s in ERROR_STATUSES) >= 10


def test_a_5xx_comes_before_processing(faulty: Sandbox) -> None:
    api = Api(faulty)
    faulty.faults.error_rate = 1.0
    response = api.post("email-template/add", template_body())
    assert response.status_code in ERROR_STATUSES
    assert response.json()["code"] in ("internalError", "badGateway", "serviceUnavailable", "gatewayTimeout")
    faulty.faults.error_rate = 0.0
    assert api.ok("email-template/list")["totalCount"] == 0


def test_a_drop_before_processing_writes_nothing(faulty: Sandbox) -> None:
    faulty.faults.drop_rate = 1.0
    faulty.faults.drop_after_write = False
    with pytest.raises(httpx.TransportError):
        Api(faulty).post("email-template/add", template_body())
    faulty.faults.drop_rate = 0.0
    assert Api(faulty).ok("email-template/list")["totalCount"] == 0


def test_a_drop_after_the_write_leaves_the_template_created(faulty: Sandbox) -> None:
    faulty.faults = Faults(drop_rate=1.0, drop_after_write=True, seed=2)
    predicted = _outcomes(Faults(drop_rate=1.0, drop_after_write=True, seed=2), 20, write=True)
    failures = 0
    for i in range(20):
        with pytest.raises(httpx.TransportError):
            Api(faulty).post("email-template/add", template_body(f"T{i}"))
        failures += 1
    faulty.faults = Faults()
    listed = Api(faulty).ok("email-template/list", {"pager": {"limit": 100}})
    created = [f"T{i}" for i, o in enumerate(predicted) if o == "drop-after"]
    assert failures == 20
    assert 0 < len(created) < 20
    assert [t["name"] for t in listed["objects"]] == created
    assert faulty.request_log.count("email-template/add") == 20


def test_latency_is_added(faulty: Sandbox) -> None:
    faulty.faults.latency_ms = 150
    started = time.monotonic()
    Api(faulty).ok("email-template/list")
    assert time.monotonic() - started >= 0.15


def test_sandbox_only_endpoints_never_fail(faulty: Sandbox) -> None:
    faulty.faults.error_rate = 1.0
    api = Api(faulty)
    for _ in range(5):
        api.ok("sandbox/users/add", {"users": [{"id": "a@example.com"}]})
    assert api.post("email-template/list").status_code in ERROR_STATUSES


def test_the_request_log_records_every_request_in_order(faulty: Sandbox) -> None:
    api = Api(faulty)
    faulty.faults.error_rate = 1.0
    api.post("email-template/add", template_body())
    faulty.faults.error_rate = 0.0
    api.post("email-template/add", template_body())
    api.post("email-template/list")
    api.post("no/such")
    httpx.post(faulty.url + "/email-template/get", json={"id": "x"})  # no KS
    httpx.get(faulty.outbox_url)
    assert faulty.request_log == [
        "email-template/add",
        "email-template/add",
        "email-template/list",
        "no/such",
        "email-template/get",
    ]
    assert faulty.request_log.snapshot() == list(faulty.request_log)
    faulty.request_log.clear()
    assert faulty.request_log == []


def test_the_request_hook_sees_method_path_and_status_only(tmp_path: Path) -> None:
    seen: list[tuple[str, str, int]] = []
    with start_sandbox(
        tmp_path / "h.sqlite", faults=Faults(seed=1), on_request=lambda m, p, s, ms: seen.append((m, p, s))
    ) as sb:
        api = Api(sb)
        api.post("email-template/list")
        sb.faults.drop_rate = 1.0
        with pytest.raises(httpx.TransportError):
            api.post("email-template/list")
    assert seen == [("POST", "/api/v1/email-template/list", 200), ("POST", "/api/v1/email-template/list", 0)]
