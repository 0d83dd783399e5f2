"""Fixtures for the deliverability tests: a real spamd shared by the tests that only need one running."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from kmsg_authoring.review import spamd

# CI installs SpamAssassin and sets KMSG_REQUIRE_BROWSER (every external tool present), so there a
# missing spamd fails instead of skipping.
REQUIRED = bool(os.environ.get("KMSG_REQUIRE_BROWSER"))


def have_spamd() -> bool:
    """Whether SpamAssassin's spamd is installed."""
    try:
        spamd.find_spamd()
    except spamd.SpamAssassinMissing:
        return False
    return True


requires_spamd = pytest.mark.skipif(
    not have_spamd() and not REQUIRED, reason="SpamAssassin is not installed (apt-get install spamassassin)"
)


@pytest.fixture(scope="session")
def spamd_address() -> Iterator[tuple[str, int]]:
    """One private spamd for the session's tests."""
    with spamd.spamd_server(children=2) as address:
        yield address
