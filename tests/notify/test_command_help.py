"""The help of the SMS and absence commands is built in the active language."""

from __future__ import annotations

import pytest
from django.core.management import load_command_class
from django.utils import translation


@pytest.mark.parametrize(
    ("app", "name", "english", "indonesian"),
    [
        ("sao.notify", "sms_poll", "act on each SMS command", "Membaca kotak masuk Gammu SMSD"),
        ("sao.absences", "escalate_absences", "(default: 3)", "(bawaan: 3)"),
        ("sao.absences", "import_absences", "CSV or XLSX file.", "Berkas CSV atau XLSX."),
    ],
)
def test_help_in_both_languages(app, name, english, indonesian):
    for language, expected in (("en", english), ("id", indonesian)):
        with translation.override(language):
            command = load_command_class(app, name)
            text = command.create_parser("sao", name).format_help()
        assert expected in " ".join(text.split()), language
