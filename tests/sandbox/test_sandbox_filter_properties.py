"""The SQL behind email-template/list agrees with a plain reading of section 5.4, for any data and filter."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kmsg_authoring.model import TEMPLATE_LIST_FILTERS, TEMPLATE_STATUSES
from kmsg_authoring.sandbox.store import TEMPLATES, Store, split_tags

TAGS = ["kmsg-author", "events", "reminders", "legacy", "Events"]
WORDS = ["Event", "event", "Invitation", "Reminder", "Ünal", "follow-up"]
DAYS = [f"2026-04-{d:02d}T00:00:00.000Z" for d in range(1, 8)]

docs = st.lists(
    st.fixed_dictionaries(
        {
            "appGuid": st.sampled_from(["a", "b"]),
            "name": st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join),
            "subject": st.text(alphabet=string.ascii_letters + " {}", max_size=12),
            "status": st.sampled_from(TEMPLATE_STATUSES),
            "adminTags": st.lists(st.sampled_from(TAGS), max_size=3).map(lambda t: " , ".join(t)),
            "createdAt": st.sampled_from(DAYS),
            "updatedAt": st.sampled_from(DAYS),
        }
    ),
    min_size=1,
    max_size=12,
)
tag_sets = st.lists(st.sampled_from(TAGS), min_size=1, max_size=2).map(",".join)
FILTER_VALUES = {
    "idIn": st.lists(st.integers(0, 13).map(lambda i: f"{i:024x}"), max_size=4),
    "appGuidIn": st.lists(st.sampled_from(["a", "b", "c"]), max_size=2),
    "name": st.sampled_from([*WORDS, "vent", "ÜNAL"]),
    "nameEq": st.sampled_from([*WORDS, "Event Invitation"]),
    "subject": st.text(alphabet="abcAB{", min_size=1, max_size=2),
    "status": st.sampled_from(TEMPLATE_STATUSES),
    "adminTags": st.sampled_from(["kmsg", "event", "Events", "s,r"]),
    "adminTagsAll": tag_sets,
    "excludeAdminTags": tag_sets,
    "createdAtGreaterThanOrEqual": st.sampled_from(DAYS),
    "createdAtLessThanOrEqual": st.sampled_from(DAYS),
    "updatedAtGreaterThanOrEqual": st.sampled_from(DAYS),
    "updatedAtLessThanOrEqual": st.sampled_from(DAYS),
}
# One or two filters at a time, so that results are rarely empty and each filter is really tested.
filters = st.lists(st.sampled_from(sorted(FILTER_VALUES)), min_size=1, max_size=2, unique=True).flatmap(
    lambda names: st.fixed_dictionaries({n: FILTER_VALUES[n] for n in names})
)


def matches(doc_id: str, doc: dict[str, Any], f: dict[str, Any]) -> bool:
    """Section 5.4 read literally: substrings ignore case, tag filters compare whole comma-separated tags."""
    tags = split_tags(doc["adminTags"])
    checks = [
        "idIn" not in f or doc_id in f["idIn"],
        "appGuidIn" not in f or doc["appGuid"] in f["appGuidIn"],
        "name" not in f or f["name"].casefold() in doc["name"].casefold(),
        "nameEq" not in f or f["nameEq"] == doc["name"],
        "subject" not in f or f["subject"].casefold() in doc["subject"].casefold(),
        "status" not in f or f["status"] == doc["status"],
        "adminTags" not in f or f["adminTags"].casefold() in doc["adminTags"].casefold(),
        "adminTagsAll" not in f or split_tags(f["adminTagsAll"]) <= tags,
        "excludeAdminTags" not in f or not split_tags(f["excludeAdminTags"]) & tags,
        "createdAtGreaterThanOrEqual" not in f or doc["createdAt"] >= f["createdAtGreaterThanOrEqual"],
        "createdAtLessThanOrEqual" not in f or doc["createdAt"] <= f["createdAtLessThanOrEqual"],
        "updatedAtGreaterThanOrEqual" not in f or doc["updatedAt"] >= f["updatedAtGreaterThanOrEqual"],
        "updatedAtLessThanOrEqual" not in f or doc["updatedAt"] <= f["updatedAtLessThanOrEqual"],
    ]
    return all(checks)


@settings(max_examples=200, deadline=None)
@given(data=docs, f=filters, offset=st.integers(0, 4), limit=st.integers(1, 5))
def test_list_filters_and_pager_agree_with_the_guide(
    data: list[dict[str, Any]], f: dict[str, Any], offset: int, limit: int
) -> None:
    store = Store(":memory:")
    try:
        with store.transaction():
            for i, doc in enumerate(data):
                store.insert(TEMPLATES, 1, {"id": f"{i:024x}", **doc})
                store.insert(TEMPLATES, 2, {"id": f"{i:024x}", **doc})  # another partner's twin: never listed
        expected = [f"{i:024x}" for i, doc in enumerate(data) if matches(f"{i:024x}", doc, f)]
        page, total = store.query(TEMPLATES, 1, f, offset, limit)
        assert total == len(expected)
        assert [d["id"] for d in page] == expected[offset : offset + limit]
    finally:
        store.close()


def test_the_property_covers_every_filter() -> None:
    assert set(FILTER_VALUES) == set(TEMPLATE_LIST_FILTERS)
