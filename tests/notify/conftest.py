"""A real gammu-smsd with Gammu's dummy phone driver, started per test in a temporary folder."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

BINARIES = ("gammu", "gammu-smsd", "gammu-smsd-inject")
WAIT_SECONDS = 30

RC_TEMPLATE = """[gammu]
model = dummy
connection = none
device = {root}/phone

[smsd]
service = files
inboxpath = {root}/inbox/
outboxpath = {root}/outbox/
sentsmspath = {root}/sent/
errorsmspath = {root}/error/
inboxformat = unicode
outboxformat = unicode
transmitformat = auto
logfile = {root}/smsd.log
debuglevel = 0
checksecurity = 0
checkbattery = 0
checksignal = 0
statusfrequency = 0
receivefrequency = 1
commtimeout = 1
sendtimeout = 1
loopsleep = 1
"""


def wait_for(condition, *, description: str, seconds: float = WAIT_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds} s waiting for {description}")


@dataclass
class GammuPhone:
    root: Path
    rc: Path
    process: subprocess.Popen

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    def receive(self, *, sender: str, text: str) -> Path:
        """Put an SMS on the dummy phone and wait until gammu-smsd has moved it to the inbox."""
        before = set(self.inbox.glob("IN*.txt"))
        subprocess.run(
            [
                "gammu",
                "-c",
                str(self.rc),
                "savesms",
                "TEXT",
                "-folder",
                "1",
                "-sender",
                sender,
                "-text",
                text,
            ],
            check=True,
            capture_output=True,
            timeout=WAIT_SECONDS,
        )
        return wait_for(
            lambda: sorted(set(self.inbox.glob("IN*.txt")) - before), description=f"SMS from {sender}"
        )[0]

    def sent_to(self, number: str, *, count: int = 1) -> list[str]:
        """Wait until gammu-smsd has sent `count` messages to `number`; return their texts."""
        digits = number.lstrip("+")

        def found():
            paths = sorted(path for path in (self.root / "sent").glob("OUT*") if digits in path.name)
            return paths if len(paths) >= count else None

        return [
            read_gammu_text(path) for path in wait_for(found, description=f"{count} SMS sent to {number}")
        ]


def read_gammu_text(path: Path) -> str:
    data = path.read_bytes()
    return data.decode("utf-16") if data[:2] in (b"\xfe\xff", b"\xff\xfe") else data.decode("utf-8")


@pytest.fixture
def gammu(tmp_path, settings):
    """Start gammu-smsd on a dummy phone, point SAO_NOTIFY at it, and stop it by pid afterwards."""
    missing = [name for name in BINARIES if shutil.which(name) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed; run `apt-get install -y gammu gammu-smsd`")

    for folder in ("phone", "inbox", "outbox", "sent", "error"):
        (tmp_path / folder).mkdir()
    rc = tmp_path / "smsdrc"
    rc.write_text(RC_TEMPLATE.format(root=tmp_path))
    settings.SAO_NOTIFY = {
        "gateway": "gammu",
        "gammu_config": str(rc),
        "gammu_inbox": str(tmp_path / "inbox"),
    }

    process = subprocess.Popen(
        ["gammu-smsd", "-c", str(rc)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    log = tmp_path / "smsd.log"
    try:
        wait_for(
            lambda: log.exists() and "Starting phone communication" in log.read_text(errors="replace"),
            description="gammu-smsd start",
        )
        yield GammuPhone(root=tmp_path, rc=rc, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
