"""Finding the live template of a name: one lookup for publish, send-test and pull."""

from __future__ import annotations

from kmsg_authoring.model import MANAGED_TAG, TemplateStatus
from kmsg_authoring.publish.remote import find_live
from tests.publish.fake_api import FakeApi

GUID = "app-1"


def _add(api: FakeApi, name: str, *, managed: bool, app_guid: str = GUID) -> str:
    with api.client() as client:
        stored = client.add_template(
            {
                "appGuid": app_guid,
                "name": name,
                "subject": "s",
                "body": "<p>b</p>",
                "adminTags": MANAGED_TAG if managed else "other",
            }
        )
    return str(stored["id"])


def test_find_live_puts_managed_copies_first_then_the_one_created_first() -> None:
    api = FakeApi()
    foreign = _add(api, "Welcome", managed=False)
    first = _add(api, "Welcome", managed=True)
    second = _add(api, "Welcome", managed=True)
    _add(api, "Welcome", managed=True, app_guid="another-app")
    _add(api, "Welcome again", managed=True)
    gone = _add(api, "Welcome", managed=True)
    api.templates[gone]["status"] = TemplateStatus.DELETED.value
    with api.client() as client:
        found = find_live(client, GUID, "Welcome")
    assert [r["id"] for r in found] == [first, second, foreign]


def test_find_live_finds_nothing_for_an_unknown_name() -> None:
    api = FakeApi()
    _add(api, "Welcome", managed=True)
    with api.client() as client:
        assert find_live(client, GUID, "Goodbye") == []
