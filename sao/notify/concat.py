"""Concatenated (multipart) SMS: splitting a long text into parts and reading the UDH of a part.

One SMS carries 140 bytes: 160 septets of the GSM 03.38 default alphabet or 70 UCS-2 code units.
A part of a concatenated message gives 6 bytes to the User Data Header (IEI 0x00 with an 8-bit
reference), which leaves 153 septets, the figure gammu-smsd-tables(7) gives, or 67 code units.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

# GSM 03.38 default alphabet (one septet each) and its extension table (escape + one septet).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM_SINGLE_SEPTETS = 160
GSM_PART_SEPTETS = 153
UCS2_SINGLE_UNITS = 70
UCS2_PART_UNITS = 67
# The UDH counts parts in one byte; replies of SAO are far shorter than this limit.
MAX_PARTS = 255

CODING_GSM = "Default_No_Compression"
CODING_UCS2 = "Unicode_No_Compression"


class MessageTooLong(ValueError):
    """The text needs more parts than one concatenated SMS can carry."""


@dataclass(frozen=True)
class Concatenation:
    """The concatenation element of a part's UDH: message reference, part count and part number."""

    reference: int
    total: int
    number: int


@dataclass(frozen=True)
class OutgoingSms:
    """A text split for sending: the coding and one (text, UDH hex) pair per part."""

    coding: str
    parts: list[tuple[str, str]]


def is_gsm_text(text: str) -> bool:
    return all(char in GSM_BASIC or char in GSM_EXTENSION for char in text)


def _cost(char: str, gsm: bool) -> int:
    if gsm:
        return 2 if char in GSM_EXTENSION else 1
    return len(char.encode("utf-16-be")) // 2


def _chunks(text: str, *, gsm: bool, size: int) -> list[str]:
    """Cut `text` into pieces of at most `size` units, never inside an escape pair or surrogate pair."""
    chunks: list[str] = []
    current: list[str] = []
    used = 0
    for char in text:
        cost = _cost(char, gsm)
        if used + cost > size:
            chunks.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += cost
    if current or not chunks:
        chunks.append("".join(current))
    return chunks


def split_for_sms(text: str, *, reference: int | None = None) -> OutgoingSms:
    """Split `text` into SMS parts with concatenation UDHs; a text that fits one SMS has no UDH.

    Raises MessageTooLong when the text needs more than MAX_PARTS parts.
    """
    gsm = is_gsm_text(text)
    single, part = (GSM_SINGLE_SEPTETS, GSM_PART_SEPTETS) if gsm else (UCS2_SINGLE_UNITS, UCS2_PART_UNITS)
    coding = CODING_GSM if gsm else CODING_UCS2

    if sum(_cost(char, gsm) for char in text) <= single:
        return OutgoingSms(coding=coding, parts=[(text, "")])

    chunks = _chunks(text, gsm=gsm, size=part)
    if len(chunks) > MAX_PARTS:
        raise MessageTooLong(
            f"text of {len(text)} characters needs {len(chunks)} SMS parts; the maximum is {MAX_PARTS}"
        )
    reference = secrets.randbelow(256) if reference is None else reference
    parts = [
        (chunk, f"050003{reference:02X}{len(chunks):02X}{number:02X}")
        for number, chunk in enumerate(chunks, start=1)
    ]
    return OutgoingSms(coding=coding, parts=parts)


def parse_concatenation(udh_hex: str) -> Concatenation | None:
    """Read the concatenation element from a UDH written as hex, as gammu stores it.

    Knows IEI 0x00 (8-bit reference, e.g. 050003E20201) and IEI 0x08 (16-bit reference, e.g.
    0608041A2B0301). Returns None for an empty, malformed or non-concatenation UDH.
    """
    try:
        data = bytes.fromhex(udh_hex or "")
    except ValueError:
        return None
    if len(data) < 2 or data[0] != len(data) - 1:
        return None

    position = 1
    while position + 1 < len(data):
        element, length = data[position], data[position + 1]
        body = data[position + 2 : position + 2 + length]
        if len(body) != length:
            return None
        if element == 0x00 and length == 3:
            reference, total, number = body
            return Concatenation(reference=reference, total=total, number=number)
        if element == 0x08 and length == 4:
            return Concatenation(reference=(body[0] << 8) | body[1], total=body[2], number=body[3])
        position += 2 + length
    return None
