"""Paging stops on a short page before totalCount and on more requests than totalCount allows."""

from __future__ import annotations

import itertools
import json

import httpx
import pytest

from kmsg_authoring.errors import ApiError
from tests.api.test_client import make_client


def test_short_pages_of_new_ids_before_total_count_stop_at_the_first() -> None:
    """One new id per page with totalCount 10**9 ran for about 100,000 requests."""
    ids = itertools.count()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"objects": [{"id": str(next(ids))}], "totalCount": 10**9})

    client, _ = make_client(handler)
    with pytest.raises(ApiError, match=r"a short page \(1 of 3\) before totalCount 1000000000 was reached"):
        client.list_all("email-template/list", {}, page_size=3)
    assert client.counts["email-template/list"] == 1


def test_full_pages_past_what_total_count_allows_stop() -> None:
    """Full pages of new ids while totalCount grows: no more requests than the first totalCount allows."""
    ids = itertools.count()
    pages = itertools.count(1)

    def handler(request: httpx.Request) -> httpx.Response:
        limit = json.loads(request.content)["pager"]["limit"]
        total = 7 * next(pages)  # each answer says there are more
        return httpx.Response(
            200, json={"objects": [{"id": str(next(ids))} for _ in range(limit)], "totalCount": total}
        )

    client, _ = make_client(handler)
    with pytest.raises(ApiError, match=r"4 requests, more than totalCount 28 at 3 per page allows"):
        client.list_all("email-template/list", {}, page_size=3)
    assert client.counts["email-template/list"] == 4  # ceil(7 / 3) = 3 allowed


def test_a_last_short_page_at_total_count_ends_paging() -> None:
    items = [{"id": str(i)} for i in range(7)]

    def handler(request: httpx.Request) -> httpx.Response:
        pager = json.loads(request.content)["pager"]
        start, limit = pager["offset"], pager["limit"]
        return httpx.Response(200, json={"objects": items[start : start + limit], "totalCount": len(items)})

    client, _ = make_client(handler)
    assert [o["id"] for o in client.list_all("email-template/list", {}, page_size=3)] == [str(i) for i in range(7)]
    assert client.counts["email-template/list"] == 3
