"""The one Chromium the browser tests drive: Debian's binary, the toolkit's own flags, and when to skip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kmsg_authoring.review.browser import CHROMIUM_ARGS

CHROMIUM = Path("/usr/bin/chromium")
# The flags the snapshot engine starts Chromium with (headless as root, no network, stable pixels).
ARGS = list(CHROMIUM_ARGS)

# CI installs Chromium and sets KMSG_REQUIRE_BROWSER, so there a missing browser fails instead of skipping.
requires_chromium = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("KMSG_REQUIRE_BROWSER"),
        reason="Debian's chromium is not installed at /usr/bin/chromium",
    ),
]
