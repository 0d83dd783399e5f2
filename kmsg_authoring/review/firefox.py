"""Firefox: Gecko, as Thunderbird renders it; Firefox ESR headless through Marionette."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kmsg_authoring.review.schemes import DARK, LIGHT
from kmsg_authoring.review.browser import (
    EXTRA,
    FIREFOX,
    LOAD_TIMEOUT,
    START_TIMEOUT,
    BrowserMissing,
    Engine,
    Shot,
    normalize_png,
    program_stamp,
)
from kmsg_authoring.review.framing import MEASURE, SETTLE, FilePages, end_process, framed_shot, wait_for


FIREFOX_PREFS: dict[str, Any] = {
    "marionette.port": 0,  # any free port; Firefox writes it to MarionetteActivePort in the profile
    "network.proxy.type": 1,  # every request goes to a closed local port: nothing leaves the machine
    "network.proxy.http": "127.0.0.1",
    "network.proxy.http_port": 9,
    "network.proxy.ssl": "127.0.0.1",
    "network.proxy.ssl_port": 9,
    "network.proxy.allow_hijacking_localhost": True,
    "ui.useOverlayScrollbars": 1,  # a classic scrollbar would take width from the snapshot
    "layout.css.prefers-color-scheme.content-override": 1,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.aboutwelcome.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "app.update.disabledForTesting": True,
    "app.normandy.enabled": False,
    "extensions.update.enabled": False,
    "browser.safebrowsing.update.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "gfx.font_rendering.opentype_svg.enabled": False,
    "layout.css.devPixelsPerPx": "1.0",
}


def firefox_path() -> str | None:
    """Firefox ESR (or Firefox), or one named by KMSG_FIREFOX."""
    return os.environ.get("KMSG_FIREFOX") or shutil.which("firefox-esr") or shutil.which("firefox")


def _pref_line(name: str, value: Any) -> str:
    import json

    return f"user_pref({json.dumps(name)}, {json.dumps(value)});\n"


class FirefoxEngine(Engine):
    """Firefox ESR headless, driven through its built-in Marionette protocol."""

    name = FIREFOX

    def __init__(self) -> None:
        self.executable = firefox_path()
        self.pages = FilePages()
        self._profile: tempfile.TemporaryDirectory[str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._client: Any = None
        self._scheme = LIGHT

    def identity(self) -> str:
        return f"firefox:{program_stamp(self.executable)}"

    def check(self) -> None:
        if self.executable is None or not Path(self.executable).is_file():
            raise BrowserMissing(
                "the firefox engine needs Firefox ESR: apt-get install firefox-esr"
                + (f" ({self.executable} does not exist)" if self.executable else "")
            )
        try:
            import marionette_driver  # noqa: F401
        except ImportError:
            raise BrowserMissing(
                "the firefox engine is driven with marionette-driver, which is not installed: run " + EXTRA
            ) from None

    def _open(self) -> Any:
        if self._client is None:
            from marionette_driver.marionette import Marionette

            self._profile = tempfile.TemporaryDirectory(prefix="kmsg-firefox-")
            profile = Path(self._profile.name)
            (profile / "user.js").write_text(
                "".join(_pref_line(k, v) for k, v in FIREFOX_PREFS.items()), encoding="utf-8"
            )
            env = {**os.environ, "MOZ_HEADLESS": "1", "MOZ_CRASHREPORTER_DISABLE": "1"}
            try:
                self._proc = subprocess.Popen(
                    [
                        str(self.executable),
                        "--headless",
                        "--marionette",
                        "-remote-allow-system-access",
                        "--no-remote",
                        "--profile",
                        str(profile),
                        "about:blank",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=env,
                )
            except OSError as exc:
                raise BrowserMissing(f"cannot start {self.executable} (apt-get install firefox-esr): {exc}") from None
            port_file = profile / "MarionetteActivePort"

            def port() -> int:
                if self._proc is not None and self._proc.poll() is not None:
                    raise BrowserMissing(f"{self.executable} exited at start-up (apt-get install firefox-esr)")
                try:
                    text = port_file.read_text(encoding="ascii").strip()
                except OSError:
                    return 0
                return int(text) if text.isdigit() else 0

            number = wait_for(port, START_TIMEOUT, "Firefox")
            client = Marionette(host="127.0.0.1", port=number)
            client.start_session()
            client.timeout.page_load = LOAD_TIMEOUT
            self._client = client
        return self._client

    def _set_scheme(self, client: Any, scheme: str) -> None:
        if scheme != self._scheme:
            client.set_pref("layout.css.prefers-color-scheme.content-override", 0 if scheme == DARK else 1)
            self._scheme = scheme

    def _shot(self, client: Any, shot: Shot) -> bytes:
        self._set_scheme(client, shot.scheme)

        def resize(width: int, height: int) -> tuple[int, int]:
            client.set_window_rect(width=width, height=height)
            inner_w, inner_h, outer_w, outer_h, _ = client.execute_script(MEASURE)
            return outer_w - inner_w, outer_h - inner_h

        def script(js: str, *args: Any) -> Any:
            return client.execute_script(js, script_args=list(args))

        def capture() -> bytes:
            return bytes(client.screenshot(full=False, format="binary"))

        return framed_shot(
            shot,
            resize,
            client.navigate,
            script,
            lambda: client.execute_async_script(SETTLE),
            capture,
            self.pages,
            "Firefox",
        )

    def shoot(self, shots: Sequence[Shot], progress: Callable[[str], None] | None = None) -> dict[str, bytes]:
        self.check()
        if not shots:
            return {}
        client = self._open()
        out: dict[str, bytes] = {}
        for shot in sorted(shots, key=lambda s: s.scheme != LIGHT):
            out[shot.key] = normalize_png(self._shot(client, shot))
            if progress:
                progress(shot.key)
        return out

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):  # the browser may already be gone
                self._client.delete_session()
            self._client = None
        end_process(self._proc)
        self._proc = None
        if self._profile is not None:
            self._profile.cleanup()
            self._profile = None
        self.pages.close()
