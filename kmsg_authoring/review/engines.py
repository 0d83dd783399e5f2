"""Browser engines that take full-page screenshots of an email, as mail clients render it.

- chromium: Blink, as Gmail and Outlook on the web show mail in most readers' browsers. Headless
  Chromium through Playwright (Debian's /usr/bin/chromium, else one from `playwright install`);
  one browser per run, pages rendered in parallel.
- webkit: WebKit, as Apple Mail renders it. WebKitGTK's MiniBrowser through its WebDriver
  (Debian's webkit2gtk-driver) with Selenium, on a private Xvfb display.
- firefox: Gecko, as Thunderbird renders it. Firefox ESR headless, driven through its built-in
  Marionette protocol with Mozilla's marionette-driver client (neither Debian nor PyPI ships a
  geckodriver for Linux, and `firefox --screenshot` would start one browser per image).

Every engine gets the same offline page (review.page), a viewport exactly the snapshot width,
device scale 1 and the scheme's prefers-color-scheme, and every screenshot is re-encoded by Pillow
so that the same pixels always give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Self

from kmsg_authoring.review.browser import (
    ALL_ENGINES,
    CHROMIUM,
    ENGINES,
    FIREFOX,
    OUTLOOK_APPROX,
    WEBKIT,
    Engine,
    Shot,
)
from kmsg_authoring.review.chromium import ChromiumEngine
from kmsg_authoring.review.firefox import FirefoxEngine
from kmsg_authoring.review.webkit import WebKitEngine


FACTORIES: dict[str, Callable[[], Engine]] = {
    CHROMIUM: ChromiumEngine,
    WEBKIT: WebKitEngine,
    FIREFOX: FirefoxEngine,
    OUTLOOK_APPROX: ChromiumEngine,
}


def parse_engines(value: str | Sequence[str]) -> tuple[str, ...]:
    """Engine names from `chromium,webkit` or a list (`outlook-approx` too); an unknown name is a usage error."""
    from kmsg_authoring.errors import UsageError

    items = value.split(",") if isinstance(value, str) else list(value)
    names = [str(n).strip().lower() for n in items if str(n).strip()]
    for n in names:
        if n not in ALL_ENGINES:
            raise UsageError(f"unknown engine '{n}' (engines: {', '.join(ALL_ENGINES)})")
    if not names:
        raise UsageError(f"no engine given (engines: {', '.join(ENGINES)})")
    return tuple(dict.fromkeys(names))


class Engines:
    """The engines of a run, each started once on first use and closed together."""

    def __init__(self, names: Sequence[str], factories: dict[str, Callable[[], Engine]] | None = None) -> None:
        made = factories or FACTORIES
        self.engines: dict[str, Engine] = {n: made[n]() for n in names}

    def check(self) -> None:
        """Fail before any work when an engine is not installed."""
        for engine in self.engines.values():
            engine.check()

    def shoot(
        self, shots: dict[str, list[Shot]], progress: Callable[[str], None] | None = None
    ) -> dict[str, dict[str, bytes]]:
        """Shots per engine -> PNG bytes per engine and key; the engines work at the same time."""
        from concurrent.futures import ThreadPoolExecutor

        work = {name: list(items) for name, items in shots.items() if items}
        if not work:
            return {}
        if len(work) == 1:
            name, items = next(iter(work.items()))
            return {name: self.engines[name].shoot(items, progress)}
        with ThreadPoolExecutor(max_workers=len(work)) as pool:
            futures = {name: pool.submit(self.engines[name].shoot, items, progress) for name, items in work.items()}
            return {name: f.result() for name, f in futures.items()}

    def close(self) -> None:
        """Stop every started browser."""
        for engine in self.engines.values():
            engine.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
