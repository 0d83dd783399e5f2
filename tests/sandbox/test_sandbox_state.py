"""State lives in SQLite: it survives a restart, and concurrent clients do not corrupt it."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kmsg_authoring.errors import ConfigError
from kmsg_authoring.sandbox import start_sandbox
from tests.sandbox.conftest import APP, Api, Clock


def test_state_survives_a_restart(db: Path, clock: Clock) -> None:
    with start_sandbox(db, clock=clock) as sb:
        api = Api(sb)
        template = api.add("Kept")
        uri = api.ok("unsubscribe-uri/add", {"appGuid": APP, "uri": "https://x.example/u"})
        api.ok(
            "message/send",
            {
                "receiverType": "user",
                "userIds": ["a@example.com"],
                "appGuid": APP,
                "templateId": template["id"],
                "type": "email",
                "msgParams": {
                    "recipient": {"type": "User", "value": "Message.userId"},
                    "eventName": {"type": "String", "value": "Expo"},
                    "joinLink": {"type": "MagicLink", "value": {"baseURL": "https://x.example"}},
                },
            },
        )
    with start_sandbox(db, clock=clock) as sb:
        api = Api(sb)
        assert sb.request_log == []
        assert api.ok("email-template/get", {"id": template["id"]}) == template
        assert api.ok("unsubscribe-uri/get", {"id": uri["id"]}) == uri
        assert api.ok("email-template/list")["totalCount"] == 1
        assert api.ok("email-template/update", {"id": template["id"], "name": "Renamed"})["version"] == 2
        assert api.ok("message/list")["totalCount"] == 1
    with start_sandbox(db) as sb:
        assert Api(sb).ok("email-template/get", {"id": template["id"]})["name"] == "Renamed"


def test_concurrent_writes_are_all_kept(api: Api) -> None:
    errors: list[BaseException] = []
    ids: list[str] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        client = Api(api.sandbox)
        try:
            for i in range(10):
                added = client.add(f"W{n}-{i}")
                updated = client.ok("email-template/update", {"id": added["id"], "subject": "again"})
                assert updated["version"] == 2
                with lock:
                    ids.append(added["id"])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            client.client.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(ids)) == 80
    listed = api.ok("email-template/list", {"pager": {"limit": 500}})
    assert listed["totalCount"] == 80 and {t["id"] for t in listed["objects"]} == set(ids)


def test_a_file_that_is_not_a_sandbox_database_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database")
    with pytest.raises(ConfigError, match="not a usable sandbox database"):
        start_sandbox(junk)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(ConfigError, match="not a sandbox database"):
        start_sandbox(other)
    with pytest.raises(ConfigError, match="does not exist"):
        start_sandbox(tmp_path / "missing" / "s.sqlite")


def test_a_busy_port_is_a_config_error(sandbox_port_taken: int, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{sandbox_port_taken}"):
        start_sandbox(tmp_path / "s.sqlite", port=sandbox_port_taken)


@pytest.fixture
def sandbox_port_taken(tmp_path: Path) -> Iterator[int]:
    with start_sandbox(tmp_path / "first.sqlite") as sb:
        yield sb.port
