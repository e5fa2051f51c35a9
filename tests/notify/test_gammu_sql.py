"""Gammu SMSD's SQL service on real components, in PostgreSQL and in SQLite.

Gammu-smsd with its dummy phone writes the inbox table. SAO reads it and queues replies in the
outbox table, and gammu-smsd sends them and records each part in its sentitems table.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from sao.absences.models import AbsenceRequest, RequestStatus
from sao.notify.models import InboundSms, InboundStatus, OutboundMessage, OutboundStatus
from sao.notify.sms import poll_sql_inbox

pytestmark = pytest.mark.django_db

STAFF_PHONE = "+6281200000001"
HEAD_PHONE = "+6281200000002"
DAY = dt.date(2026, 11, 30)
DESTINATION = (
    "Balikpapan untuk rapat koordinasi sistem absensi online bersama seluruh operator unit "
    "dan verifikator OPD se-Kalimantan Timur di Hotel Novotel"
)


@pytest.fixture
def phones(cast):
    cast.staff_a1.phone = STAFF_PHONE
    cast.staff_a1.save(update_fields=["phone"])
    cast.head_a.phone = HEAD_PHONE
    cast.head_a.save(update_fields=["phone"])
    return cast


def processed_flags(gammu_sql, ids: list[int]) -> list[str]:
    rows = gammu_sql.query('SELECT "ID", "Processed" FROM inbox ORDER BY "ID"')
    # PostgreSQL returns a boolean, SQLite the text gammu wrote.
    return [str(flag).lower() for row_id, flag in rows if row_id in ids]


def test_multipart_request_then_approval(gammu_sql, phones, django_capture_on_commit_callbacks):
    text = f"DL {DAY} {DAY} ST-123/BKD/2026 {DESTINATION}"
    assert len(text) > 160
    # Split mid-word, as a phone does: the parts are joined without adding a space.
    ids = gammu_sql.receive(sender=STAFF_PHONE, parts=[text[:100], text[100:]])
    assert len(ids) == 2

    with django_capture_on_commit_callbacks(execute=True):
        counts = poll_sql_inbox()

    assert counts == {InboundStatus.DONE: 1}
    request = AbsenceRequest.objects.get(employee=phones.staff_a1)
    assert request.status == RequestStatus.WAITING_SUPERVISOR
    assert request.reference == "ST-123/BKD/2026"
    assert request.destination == DESTINATION
    inbound = InboundSms.objects.get()
    assert inbound.text == text
    assert inbound.source_name == f"gammu-sql:{ids[0]},{ids[1]}"
    assert processed_flags(gammu_sql, ids) == ["true", "true"]

    to_head = OutboundMessage.objects.get(recipient=HEAD_PHONE)
    assert to_head.status == OutboundStatus.SENT
    [sent_to_head] = gammu_sql.sent_to(HEAD_PHONE)
    assert sent_to_head[3] == to_head.text
    assert request.code in sent_to_head[3]
    reply = OutboundMessage.objects.get(recipient=STAFF_PHONE)
    [sent_reply] = gammu_sql.sent_to(STAFF_PHONE)
    assert sent_reply[3] == reply.text
    assert request.code in sent_reply[3]
    assert gammu_sql.query("SELECT COUNT(*) FROM outbox") == [(0,)]

    # The atasan approves by replying to the SMS with the code.
    gammu_sql.receive(sender=HEAD_PHONE, parts=[f"setuju {request.code.lower()}"])
    with django_capture_on_commit_callbacks(execute=True):
        counts = poll_sql_inbox()
    assert counts == {InboundStatus.DONE: 1}
    request.refresh_from_db()
    assert request.status == RequestStatus.WAITING_VERIFIER


def test_long_reply_sent_in_parts(gammu_sql, phones, django_capture_on_commit_callbacks):
    gammu_sql.receive(sender=STAFF_PHONE, parts=["HALO pak"])

    with django_capture_on_commit_callbacks(execute=True):
        counts = poll_sql_inbox()

    assert counts == {InboundStatus.INVALID: 1}
    reply = OutboundMessage.objects.get(recipient=STAFF_PHONE)
    assert reply.status == OutboundStatus.SENT
    assert len(reply.text) > 160  # the reply repeats the whole SMS syntax
    sent = gammu_sql.sent_to(STAFF_PHONE, parts=2)
    assert [row[1] for row in sent] == list(range(1, len(sent) + 1))
    reference = sent[0][2][6:8]
    assert [row[2] for row in sent] == [
        f"050003{reference}{len(sent):02X}{number:02X}" for number in range(1, len(sent) + 1)
    ]
    assert "".join(row[3] for row in sent) == reply.text
    assert {row[4] for row in sent} == {"SendingOKNoReport"}


def test_rows_not_read_twice(gammu_sql, phones, django_capture_on_commit_callbacks):
    gammu_sql.receive(sender=STAFF_PHONE, parts=["BANTUAN"])

    with django_capture_on_commit_callbacks(execute=True):
        first = poll_sql_inbox()
        second = poll_sql_inbox()

    assert first == {InboundStatus.DONE: 1}
    assert second == {}
    assert InboundSms.objects.count() == 1


def test_missing_part_waits(gammu_sql, phones, django_capture_on_commit_callbacks):
    """Part 2 of 3 never arrives: the message waits, then the sender is asked to send it again."""
    ids = gammu_sql.receive(sender=STAFF_PHONE, parts=["IJIN 2026-12-07 ", "x", "sakit gigi"])
    gammu_sql.query('DELETE FROM inbox WHERE "ID" = %s', (ids[1],))

    with django_capture_on_commit_callbacks(execute=True):
        waiting = poll_sql_inbox()
    assert waiting == {"waiting": 1}
    assert not InboundSms.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        counts = poll_sql_inbox(incomplete_after=dt.timedelta(0))
    assert counts == {InboundStatus.INVALID: 1}
    message = InboundSms.objects.get()
    assert "IJIN 2026-12-07" in message.reply
    assert not AbsenceRequest.objects.exists()
    assert processed_flags(gammu_sql, [ids[0], ids[2]]) == ["true", "true"]


@pytest.fixture
def bare_sqlite_database(tmp_path, settings):
    """Gammu's SQLite tables without a running daemon, for the command's own behaviour."""
    from tests.notify.conftest import gammu_schema

    path = tmp_path / "smsd.db"
    connection = sqlite3.connect(path)
    connection.executescript(gammu_schema("sqlite.sql"))
    connection.commit()
    connection.close()
    settings.SAO_NOTIFY = {"gateway": "none", "gammu_sql_url": f"sqlite:///{path}"}
    return path


def test_command_reads_table(bare_sqlite_database, phones):
    connection = sqlite3.connect(bare_sqlite_database)
    # The row as gammu-smsd 1.42 inserts it (its INSERT statement, seen in its debug log).
    connection.execute(
        'INSERT INTO inbox ("ReceivingDateTime", "Text", "SenderNumber", "Coding", "SMSCNumber", "UDH", '
        '"Class", "TextDecoded", "RecipientID", "Status") '
        "VALUES (datetime('now'), ?, ?, 'Default_No_Compression', '', '', -1, 'BANTUAN', '', 0)",
        ("BANTUAN".encode("utf-16-be").hex().upper(), STAFF_PHONE),
    )
    connection.commit()
    connection.close()
    out = StringIO()

    with translation.override("en"):
        call_command("sms_poll", stdout=out)

    assert out.getvalue().strip() == "1 messages read (done: 1)"
    assert InboundSms.objects.get().text == "BANTUAN"


def test_command_names_bad_url(settings):
    settings.SAO_NOTIFY = {"gateway": "none", "gammu_sql_url": "mysql://gammu@127.0.0.1/smsd"}

    with translation.override("en"), pytest.raises(CommandError) as error:
        call_command("sms_poll")

    assert "mysql://gammu@127.0.0.1/smsd" in str(error.value)
    assert "SAO_GAMMU_SQL_URL" in str(error.value)


def test_command_names_missing_file(tmp_path, settings):
    missing = tmp_path / "absent.db"
    settings.SAO_NOTIFY = {"gateway": "none", "gammu_sql_url": f"sqlite:///{missing}"}

    with translation.override("en"), pytest.raises(CommandError) as error:
        call_command("sms_poll")

    assert str(missing) in str(error.value)
    assert not missing.exists()
