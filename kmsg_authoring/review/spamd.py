"""SpamAssassin's spamd: started once on a loopback port with a private configuration, asked over its socket.

Starting SpamAssassin costs seconds (it compiles thousands of rules); asking a running spamd costs a
round trip. So `spam` starts one spamd (or uses one named in kmsg.toml), sends every message over
the SPAMD protocol from as many threads as spamd has children, and stops it. The private
configuration runs SpamAssassin's shipped rules on local tests only: no DNS or network tests, no
Bayes, no auto-learning, no user preferences, in a temporary home and site folder.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kmsg_authoring.errors import EXIT_USAGE, KmsgError

# Where spamd is installed (Debian puts it in /usr/sbin, often not on a user's PATH).
_SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")
# Folders holding the .pre files that load SpamAssassin's plugins (Debian, other Unixes, Homebrew).
SITE_DIRS = ("/etc/spamassassin", "/etc/mail/spamassassin", "/usr/local/etc/mail/spamassassin")
# SpamAssassin's rules: an sa-update download takes precedence over the rules the package ships.
RULE_DIRS = ("/var/lib/spamassassin/[0-9]*", "/usr/share/spamassassin", "/usr/local/share/spamassassin")
INSTALL_HINT = (
    "install SpamAssassin (Debian/Ubuntu: apt-get install spamassassin; Fedora: dnf install spamassassin; "
    'macOS: brew install spamassassin), or name a running spamd in kmsg.toml: [deliverability] spamd = "host:port"'
)
# The configuration of the private spamd: rules and scores as shipped, nothing learned, nothing asked of the network.
LOCAL_CF = """\
use_bayes 0
bayes_auto_learn 0
skip_rbl_checks 1
dns_available no
clear_report_template
report _SUMMARY_
"""
PROTOCOL = "SPAMC/1.5"  # requests name the client protocol; answers start "SPAMD/1.x"
_STATUS = re.compile(r"\ASPAMD/\d+\.\d+ (\d+) (\S+)")
_SPAM_HEADER = re.compile(r"^Spam: *(\w+) *; *(-?[\d.]+) */ *(-?[\d.]+)", re.MULTILINE | re.IGNORECASE)
# A row of SpamAssassin's report: points, rule name, description (continued on indented lines).
_ROW = re.compile(r"\A\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s+(.*)\Z")


class SpamAssassinMissing(KmsgError):
    """SpamAssassin is not installed, or spamd cannot start: the spam check cannot run."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class ReportRow:
    """One rule hit as spamd reports it."""

    points: float
    rule: str
    description: str


@dataclass(frozen=True)
class SpamdAnswer:
    """spamd's verdict on one message."""

    score: float
    threshold: float
    is_spam: bool
    rows: tuple[ReportRow, ...]


def find_spamd() -> str:
    """The spamd executable, or SpamAssassinMissing saying what to install."""
    path = os.pathsep.join([os.environ.get("PATH", ""), *_SBIN])
    found = shutil.which("spamd", path=path)
    if found is None:
        raise SpamAssassinMissing(f"SpamAssassin's spamd was not found: {INSTALL_HINT}")
    return found


def rule_dirs() -> list[Path]:
    """The folders of SpamAssassin's rules spamd reads, first match first (as SpamAssassin looks for them)."""
    found: list[Path] = []
    for pattern in RULE_DIRS:
        for name in sorted(glob.glob(pattern), reverse=True):
            if any(Path(name).rglob("*.cf")):
                found.append(Path(name))
    return found


def _site_pre_files() -> list[Path]:
    for folder in SITE_DIRS:
        pre = sorted(Path(folder).glob("*.pre"))
        if pre:
            return pre
    raise SpamAssassinMissing(
        f"SpamAssassin's plugin files (*.pre) were not found in {', '.join(SITE_DIRS)}: {INSTALL_HINT}"
    )


def parse_address(text: str) -> tuple[str, int]:
    """("host", port) from "host:port"."""
    host, _, port = text.rpartition(":")
    return host, int(port)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ping(address: tuple[str, int], timeout: float = 5.0) -> bool:
    """Whether a spamd answers PING at the address."""
    try:
        with socket.create_connection(address, timeout=timeout) as s:
            s.sendall(f"PING {PROTOCOL}\r\n\r\n".encode("ascii"))
            s.shutdown(socket.SHUT_WR)
            return b"PONG" in _read_all(s)
    except OSError:
        return False


def _read_all(s: socket.socket) -> bytes:
    chunks: list[bytes] = []
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _log_tail(log: Path, lines: int = 8) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return "\n".join(text[-lines:])


@contextlib.contextmanager
def spamd_server(*, children: int = 2, timeout: float = 120.0) -> Iterator[tuple[str, int]]:
    """A private spamd on a loopback port for the duration of the block; yields its address."""
    executable = find_spamd()
    pre_files = _site_pre_files()
    with tempfile.TemporaryDirectory(prefix="kmsg-spamd-") as tmp:
        # spamd skips a site folder it finds under a folder only its owner may enter (mkdtemp's 0700):
        # it then loads no plugin and cannot scan. Nothing here is secret.
        os.chmod(tmp, 0o755)
        site, home = Path(tmp, "site"), Path(tmp, "home")
        site.mkdir()
        home.mkdir()
        for pre in pre_files:
            shutil.copyfile(pre, site / pre.name)
        (site / "local.cf").write_text(LOCAL_CF, encoding="utf-8")
        log = Path(tmp, "spamd.log")
        port = _free_port()
        args = [
            executable,
            "--local",  # local tests only: no DNS, no network
            "--nouser-config",
            f"--listen=127.0.0.1:{port}",
            f"--siteconfigpath={site}",
            f"--helper-home-dir={home}",
            f"--pidfile={Path(tmp, 'spamd.pid')}",
            "--syslog=stderr",
            f"--min-children={children}",
            f"--max-children={children}",
            f"--min-spare={children}",
            f"--max-spare={children}",
        ]
        env = {**os.environ, "HOME": str(home), "TMPDIR": tmp}
        with log.open("wb") as log_file:
            try:
                process = subprocess.Popen(
                    args, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=tmp
                )
            except OSError as exc:
                raise SpamAssassinMissing(f"spamd could not be started ({exc}): {INSTALL_HINT}") from None
        try:
            address = ("127.0.0.1", port)
            deadline = time.monotonic() + timeout
            while not ping(address, timeout=2.0):
                if process.poll() is not None:
                    raise SpamAssassinMissing(
                        f"spamd stopped while starting (exit {process.returncode}):\n{_log_tail(log)}"
                    )
                if time.monotonic() > deadline:
                    raise SpamAssassinMissing(f"spamd did not answer within {timeout:.0f} s:\n{_log_tail(log)}")
                time.sleep(0.1)
            yield address
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def check(address: tuple[str, int], message: bytes, timeout: float = 120.0) -> SpamdAnswer:
    """spamd's score, threshold and report for one message (the SPAMD protocol's REPORT command)."""
    head = f"REPORT {PROTOCOL}\r\nContent-length: {len(message)}\r\nUser: kmsg-author\r\n\r\n".encode("ascii")
    try:
        with socket.create_connection(address, timeout=timeout) as s:
            s.sendall(head + message)
            s.shutdown(socket.SHUT_WR)
            answer = _read_all(s)
    except OSError as exc:
        raise KmsgError(f"spamd at {address[0]}:{address[1]} did not answer ({exc})") from None
    return parse_answer(answer, address)


def parse_answer(answer: bytes, address: tuple[str, int] = ("", 0)) -> SpamdAnswer:
    """A SpamdAnswer from spamd's bytes; KmsgError when it is not a successful answer."""
    text = answer.decode("utf-8", errors="replace").replace("\r\n", "\n")
    status = _STATUS.match(text)
    if status is None or status.group(1) != "0":
        first = text.split("\n", 1)[0][:200] or "nothing"
        raise KmsgError(f"spamd at {address[0]}:{address[1]} answered {first!r} instead of a report")
    head, _, body = text.partition("\n\n")
    verdict = _SPAM_HEADER.search(head)
    if verdict is None:
        raise KmsgError(f"spamd at {address[0]}:{address[1]} answered without a score")
    return SpamdAnswer(
        score=float(verdict.group(2)),
        threshold=float(verdict.group(3)),
        is_spam=verdict.group(1).lower() in ("true", "yes"),
        rows=tuple(parse_report(body)),
    )


def parse_report(report: str) -> list[ReportRow]:
    """The rule rows of SpamAssassin's summary report (the table after its '----' line, if any)."""
    lines = report.splitlines()
    start = next((i + 1 for i, line in enumerate(lines) if line.startswith("----")), 0)
    rows: list[ReportRow] = []
    for line in lines[start:]:
        m = _ROW.match(line)
        if m:
            rows.append(ReportRow(float(m.group(1)), m.group(2), m.group(3).strip()))
        elif rows and line.startswith(" ") and line.strip():
            last = rows[-1]
            rows[-1] = ReportRow(last.points, last.rule, f"{last.description} {line.strip()}")
    return rows
