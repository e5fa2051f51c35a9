"""Concatenated SMS: splitting replies, reading UDHs, and joining parts from the files service."""

from __future__ import annotations

import pytest

from sao.absences.models import AbsenceRequest
from sao.notify.concat import (
    CODING_GSM,
    CODING_UCS2,
    MessageTooLong,
    parse_concatenation,
    split_for_sms,
)
from sao.notify.gammu_sql import InboxPart, group_parts, join_part_texts
from sao.notify.models import InboundSms, InboundStatus, OutboundMessage, OutboundStatus
from sao.notify.sms import poll_inbox

STAFF_PHONE = "+6281200000001"


@pytest.mark.parametrize(
    ("text", "coding", "sizes"),
    [
        ("a" * 160, CODING_GSM, [160]),
        ("a" * 161, CODING_GSM, [153, 8]),
        ("a" * 306, CODING_GSM, [153, 153]),
        ("a" * 307, CODING_GSM, [153, 153, 1]),
        ("é" * 160, CODING_GSM, [160]),  # é is in the GSM 03.38 default alphabet
        ("€" * 80, CODING_GSM, [80]),  # extension characters take two septets each
        ("€" * 81, CODING_GSM, [76, 5]),
        ("ł" * 70, CODING_UCS2, [70]),
        ("ł" * 71, CODING_UCS2, [67, 4]),
    ],
)
def test_split_sizes(text, coding, sizes):
    outgoing = split_for_sms(text, reference=0x2A)

    assert outgoing.coding == coding
    assert [len(part) for part, _udh in outgoing.parts] == sizes
    assert "".join(part for part, _udh in outgoing.parts) == text
    if len(sizes) == 1:
        assert outgoing.parts[0][1] == ""
    else:
        expected = [f"0500032A{len(sizes):02X}{number:02X}" for number in range(1, len(sizes) + 1)]
        assert [udh for _part, udh in outgoing.parts] == expected


def test_split_keeps_surrogate_pair():
    text = "x" * 66 + "😀" + "y" * 10  # the emoji takes UTF-16 units 67 and 68

    parts = [part for part, _udh in split_for_sms(text).parts]

    assert parts[0] == "x" * 66
    assert parts[1].startswith("😀")


def test_split_too_long_raises():
    with pytest.raises(MessageTooLong, match="256 SMS parts"):
        split_for_sms("a" * (153 * 255 + 1))


@pytest.mark.parametrize(
    ("udh", "expected"),
    [
        ("050003E20201", (0xE2, 2, 1)),
        ("0608041A2B0302", (0x1A2B, 3, 2)),
        ("0B0504158200000003A10302", (0xA1, 3, 2)),  # a port element before the concatenation
        ("", None),
        ("050003E202", None),  # cut short
        ("zz", None),
        ("0401020304", None),  # no concatenation element
    ],
)
def test_parse_concatenation(udh, expected):
    found = parse_concatenation(udh)

    if expected is None:
        assert found is None
    else:
        assert (found.reference, found.total, found.number) == expected


def part(row_id, udh, text, sender=STAFF_PHONE, age=0.0):
    return InboxPart(
        id=row_id,
        sender=sender,
        udh=udh,
        coding=CODING_UCS2,
        text_hex=text.encode("utf-16-be").hex().upper(),
        text_decoded="",
        age_seconds=age,
    )


def test_group_parts_by_sender_and_reference():
    rows = [
        part(1, "050003E20202", "world"),
        part(2, "", "BANTUAN", sender="+6281200000009"),
        part(3, "050003E20201", "hello "),
        part(4, "050003E20201", "other ", sender="+6281200000009"),
        part(5, "050003E30301", "first of three"),
    ]

    messages = group_parts(rows)

    assert [(message.ids, message.complete) for message in messages] == [
        ([3, 1], True),
        ([2], True),
        ([4], False),
        ([5], False),
    ]
    assert messages[0].text == "hello world"
    assert messages[0].source_name == "gammu-sql:3,1"


def test_join_keeps_split_surrogate_pair():
    data = "a😀b".encode("utf-16-be")
    first, second = data[:4], data[4:]  # cuts between the two halves of the emoji
    parts = [
        InboxPart(1, STAFF_PHONE, "050003010201", CODING_UCS2, first.hex(), "", 0.0),
        InboxPart(2, STAFF_PHONE, "050003010202", CODING_UCS2, second.hex(), "", 0.0),
    ]

    assert join_part_texts(parts) == "a😀b"


@pytest.mark.django_db
def test_files_multipart_request(gammu, cast, django_capture_on_commit_callbacks):
    cast.staff_a1.phone = STAFF_PHONE
    cast.staff_a1.save(update_fields=["phone"])
    text = (
        "DL 2026-11-30 2026-11-30 ST-9/BKD Samarinda untuk rapat koordinasi sistem absensi online "
        "bersama seluruh operator unit dan verifikator OPD se-Kalimantan Timur di Kantor Gubernur"
    )
    files = gammu.receive_parts(sender=STAFF_PHONE, parts=[text[:150], text[150:]])
    assert [path.name[-6:] for path in files] == ["00.txt", "01.txt"]

    with django_capture_on_commit_callbacks(execute=True):
        counts = poll_inbox()

    assert counts == {InboundStatus.DONE: 1}
    assert InboundSms.objects.get().text == text
    request = AbsenceRequest.objects.get(employee=cast.staff_a1)
    assert request.destination == text.split("ST-9/BKD ", 1)[1]
    assert sorted(path.name for path in (gammu.inbox / "processed").iterdir()) == [p.name for p in files]


@pytest.mark.django_db
def test_files_long_reply_not_cut(gammu, cast, django_capture_on_commit_callbacks):
    cast.staff_a1.phone = STAFF_PHONE
    cast.staff_a1.save(update_fields=["phone"])
    gammu.receive(sender=STAFF_PHONE, text="HALO pak")

    with django_capture_on_commit_callbacks(execute=True):
        poll_inbox()

    reply = OutboundMessage.objects.get(recipient=STAFF_PHONE)
    assert reply.status == OutboundStatus.SENT
    assert len(reply.text) > 160
    # With outboxformat unicode, gammu-smsd-inject writes one outbox file per 153-character part
    # (..._sms0.txt, ..._sms1.txt) and the files service sends them in that order.
    sent = gammu.sent_to(STAFF_PHONE, count=2)
    assert "".join(sent) == reply.text
    assert all(len(text) <= 160 for text in sent)
