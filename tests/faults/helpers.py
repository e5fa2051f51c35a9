"""Helpers for the fault tests: a push device driven through /iclock/ with a frozen clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.test import Client

WITA = ZoneInfo("Asia/Makassar")
SERIAL = "FLT0000000001"


def wita(text: str) -> dt.datetime:
    """Return the aware instant of a WITA wall time written "YYYY-MM-DD HH:MM"."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=WITA)


class PushDevice:
    """A device that talks the push protocol to SAO through Django's test client.

    Each call freezes `timezone.now()` at the given WITA time, so the server records the
    contact and the receive time as the device would produce them.
    """

    def __init__(self, monkeypatch, serial: str = SERIAL):
        self.monkeypatch = monkeypatch
        self.serial = serial
        self.client = Client(enforce_csrf_checks=True)

    def at(self, text: str) -> dt.datetime:
        moment = wita(text)
        self.monkeypatch.setattr("django.utils.timezone.now", lambda: moment)
        return moment

    def poll(self, when: str) -> str:
        self.at(when)
        response = self.client.get(f"/iclock/getrequest?SN={self.serial}")
        assert response.status_code == 200
        return response.content.decode()

    def post_attlog(self, when: str, lines: list[str]) -> str:
        self.at(when)
        body = ("\n".join(lines) + "\n").encode()
        response = self.client.post(f"/iclock/cdata?SN={self.serial}&table=ATTLOG&Stamp=9999",
                                    data=body, content_type="text/plain")
        assert response.status_code == 200
        return response.content.decode()

    def post_result(self, when: str, command_id: str, cmd: str) -> str:
        self.at(when)
        body = f"ID={command_id}&Return=0&CMD={cmd}".encode()
        response = self.client.post(f"/iclock/devicecmd?SN={self.serial}", data=body,
                                    content_type="text/plain")
        assert response.status_code == 200
        return response.content.decode()


def commands_in(reply: str) -> list[tuple[str, str]]:
    """Parse the `C:<id>:<text>` lines of a getrequest reply into (id, text)."""
    found = []
    for line in reply.splitlines():
        if line.startswith("C:"):
            _prefix, command_id, text = line.split(":", 2)
            found.append((command_id, text))
    return found
