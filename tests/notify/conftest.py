"""A real gammu-smsd with Gammu's dummy phone driver, started per test in a temporary folder."""

from __future__ import annotations

import gzip
import os
import shutil
import sqlite3
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

    def receive_parts(self, *, sender: str, parts: list[str]) -> list[Path]:
        """Put a concatenated SMS on the dummy phone; wait until gammu-smsd wrote one file per part."""
        before = set(self.inbox.glob("IN*.txt"))
        backup = self.root / f"in-{time.monotonic_ns()}.smsbackup"
        backup.write_text(deliver_pdu_backup(sender=sender, parts=parts))
        subprocess.run(
            ["gammu", "-c", str(self.rc), "addsms", "1", str(backup), "-yes"],
            check=True,
            capture_output=True,
            timeout=WAIT_SECONDS,
        )

        def written():
            paths = sorted(set(self.inbox.glob("IN*.txt")) - before)
            return paths if len(paths) >= len(parts) else None

        return wait_for(written, description=f"{len(parts)} inbox files from {sender}")

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
        # The tests wait for every file they expect before polling.
        "gammu_inbox_settle_seconds": 0,
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


# --- Gammu SMSD with its SQL service -----------------------------------------------------------

SCHEMA_FOLDER = Path("/usr/share/doc/gammu-smsd/examples")
GAMMU_PG_SERVER = os.environ.get("SAO_TEST_GAMMU_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
# Debian's libdbd-sqlite3 installs the driver under the multiarch folder, e.g. x86_64-linux-gnu.
LIBDBI_SQLITE_DRIVERS = sorted(Path("/usr/lib").glob("*/dbd/libdbdsqlite3.so"))

SQL_RC_TEMPLATE = """[gammu]
model = dummy
connection = none
device = {root}/phone

[smsd]
service = sql
{database}
logfile = {root}/smsd.log
debuglevel = 1
checksecurity = 0
checkbattery = 0
checksignal = 0
statusfrequency = 0
receivefrequency = 1
commtimeout = 1
sendtimeout = 1
loopsleep = 1
"""


def gammu_schema(name: str) -> str:
    """Return gammu's own CREATE script (schema version 17) as Debian's gammu-smsd installs it."""
    for path in (SCHEMA_FOLDER / name, SCHEMA_FOLDER / f"{name}.gz"):
        if path.exists():
            data = path.read_bytes()
            return (gzip.decompress(data) if path.suffix == ".gz" else data).decode()
    pytest.skip(f"{SCHEMA_FOLDER / name} not found; install Debian's gammu-smsd package")


def deliver_pdu_backup(*, sender: str, parts: list[str], reference: int = 0xE2) -> str:
    """Write received SMS in gammu's backup format for `gammu addsms`.

    `gammu savesms` stores a Submit PDU, which the SQL service skips (it saves Deliver PDUs only),
    so the received message is written here as a Deliver PDU, with one concatenation UDH per part
    when there are several parts.
    """
    sections = []
    for index, text in enumerate(parts):
        udh = f"UDH = 050003{reference:02X}{len(parts):02X}{index + 1:02X}\n" if len(parts) > 1 else ""
        sections.append(
            f"[SMSBackup{index:03d}]\n"
            "PDU = Deliver\n"
            "State = UnRead\n"
            f'Number = "{sender}"\n'
            f"Text00 = {text.encode('utf-16-be').hex().upper()}\n"
            "Coding = Unicode_No_Compression\n"
            f"{udh}"
            "Folder = 1\n"
            f"Length = {len(text)}\n"
            "Class = -1\n"
        )
    return "\n".join(sections)


@dataclass
class GammuSqlPhone:
    root: Path
    rc: Path
    url: str
    process: subprocess.Popen

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        from sao.notify.gammu_sql import GammuDatabase

        database = GammuDatabase(self.url)
        with database.connect() as connection:
            cursor = database.execute(connection, sql, params)
            return list(cursor.fetchall()) if cursor.description else []

    def receive(self, *, sender: str, parts: list[str]) -> list[int]:
        """Put an SMS (one or more parts) on the dummy phone; wait until gammu stored every part."""
        backup = self.root / f"in-{time.monotonic_ns()}.smsbackup"
        backup.write_text(deliver_pdu_backup(sender=sender, parts=parts))
        before = {row[0] for row in self.query('SELECT "ID" FROM inbox')}
        subprocess.run(
            ["gammu", "-c", str(self.rc), "addsms", "1", str(backup), "-yes"],
            check=True,
            capture_output=True,
            timeout=WAIT_SECONDS,
        )

        def stored():
            ids = sorted({row[0] for row in self.query('SELECT "ID" FROM inbox')} - before)
            return ids if len(ids) >= len(parts) else None

        return wait_for(stored, description=f"{len(parts)} inbox rows from {sender}")

    def sent_to(self, number: str, *, parts: int = 1) -> list[tuple]:
        """Wait until gammu-smsd has sent `parts` parts to `number`; return their sentitems rows."""

        def sent():
            rows = self.query(
                'SELECT "ID", "SequencePosition", "UDH", "TextDecoded", "Status" FROM sentitems '
                'WHERE "DestinationNumber" = %s ORDER BY "ID", "SequencePosition"',
                (number,),
            )
            return rows if len(rows) >= parts else None

        return wait_for(sent, description=f"{parts} SMS parts sent to {number}")


def _postgres_database(name: str):
    """Create database `name` for gammu on the test PostgreSQL server; return its URL and a drop()."""
    import psycopg

    try:
        admin = psycopg.connect(GAMMU_PG_SERVER, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {GAMMU_PG_SERVER} is not reachable ({exc}); set SAO_TEST_GAMMU_PG_URL")
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    server = GAMMU_PG_SERVER.rsplit("/", 1)[0]
    url = f"{server}/{name}"

    # PostgreSQL 9+ has plpgsql built in, where the script's CREATE LANGUAGE would fail.
    schema = gammu_schema("pgsql.sql").replace("CREATE LANGUAGE plpgsql;", "")
    with psycopg.connect(url) as connection:
        connection.execute(schema)

    def drop():
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return url, drop


@pytest.fixture(params=["postgresql", "sqlite"])
def gammu_sql(request, tmp_path, settings):
    """Start gammu-smsd's SQL service on a dummy phone with gammu's own tables, and stop it by pid.

    The tables are in PostgreSQL (driver native_pgsql) or in SQLite (driver sqlite3 through libdbi).
    """
    missing = [name for name in BINARIES if shutil.which(name) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed; run `apt-get install -y gammu gammu-smsd`")
    (tmp_path / "phone").mkdir()

    drop = None
    if request.param == "postgresql":
        host = GAMMU_PG_SERVER.split("@")[-1].split("/")[0]
        hostname, _, port = host.partition(":")
        url, drop = _postgres_database(f"gammu_test_{os.getpid()}")
        user = GAMMU_PG_SERVER.split("//", 1)[1].split("@")[0].split(":")[0]
        # Gammu takes the port as part of the host setting (host:port).
        database = (
            f"driver = native_pgsql\nhost = {hostname}:{port or 5432}\n"
            f"user = {user}\npassword =\ndatabase = {url.rsplit('/', 1)[1]}"
        )
    else:
        if not LIBDBI_SQLITE_DRIVERS:
            pytest.skip("libdbi's SQLite driver not found; run `apt-get install -y libdbd-sqlite3`")
        (tmp_path / "db").mkdir()
        connection = sqlite3.connect(tmp_path / "db" / "smsd.db")
        connection.executescript(gammu_schema("sqlite.sql"))
        connection.close()
        url = f"sqlite:///{tmp_path / 'db' / 'smsd.db'}"
        database = f"driver = sqlite3\ndbdir = {tmp_path / 'db'}/\ndatabase = smsd.db"

    rc = tmp_path / "smsdrc"
    rc.write_text(SQL_RC_TEMPLATE.format(root=tmp_path, database=database))
    settings.SAO_NOTIFY = {"gateway": "gammu", "gammu_sql_url": url}

    process = subprocess.Popen(
        ["gammu-smsd", "-c", str(rc)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    log = tmp_path / "smsd.log"
    try:
        wait_for(
            lambda: log.exists() and "Starting phone communication" in log.read_text(errors="replace"),
            description=f"gammu-smsd start on {request.param}",
        )
        yield GammuSqlPhone(root=tmp_path, rc=rc, url=url, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if drop is not None:
            drop()
