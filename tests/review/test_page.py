"""The offline page: network blocked, remote images as placeholder boxes of their declared size."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from kmsg_authoring.review.page import CSP, declared_size, offline_page, placeholder_images


@pytest.mark.parametrize(
    ("tag", "size"),
    [
        ('<img src="https://x/a.png" width="120" height="40">', (120, 40)),
        ("<img src='https://x/a.png' width=120px height=40>", (120, 40)),
        ('<img src="https://x/a.png" style="display:block;width:300px;height:90px">', (300, 90)),
        ('<img src="https://x/a.png" width="100%">', (None, None)),
        ('<img src="https://x/a.png" data-width="5" height="7">', (None, 7)),
    ],
    ids=["attributes", "unquoted-px", "style", "percent", "data-attribute"],
)
def test_declared_size(tag: str, size: tuple[int | None, int | None]) -> None:
    assert declared_size(tag) == size


def test_remote_images_become_boxes_of_their_size_and_data_images_stay() -> None:
    html = (
        '<p><img alt="Logo" src="https://cdn.example.com/logo.png" width="120" height="40">'
        '<img src="data:image/png;base64,AAAA" alt="QR"><img src="//x/y.gif" alt=""></p>'
    )
    out = placeholder_images(html)
    assert "cdn.example.com" not in out and "//x/y.gif" not in out
    assert 'src="data:image/png;base64,AAAA"' in out
    first = unquote(out.split('src="', 1)[1].split('"', 1)[0])
    assert first.startswith("data:image/svg+xml,") and "width='120' height='40'" in first
    assert 'alt="Logo"' in out and 'width="120"' in out


def test_offline_page_blocks_the_network_before_anything_can_fetch() -> None:
    html = (
        '<!DOCTYPE html><html lang="en"><head><link rel="stylesheet" href="https://x/s.css"></head><body></body></html>'
    )
    out = offline_page(html)
    assert out.index(CSP) < out.index("https://x/s.css")
    assert '<head><meta http-equiv="Content-Security-Policy"' in out
    bare = offline_page("<p>no head</p>")
    assert bare.startswith("<head><meta http-equiv")
