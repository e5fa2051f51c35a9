"""Outbound gateways: Gammu SMSD (files or SQL service), an HTTP gateway, and e-mail.

Settings come from `settings.SAO_NOTIFY` (a dict read at call time):
    gateway        "gammu", "http", "email" or "none" (store only); default "none"
    gammu_sql_url  gammu's database when gammu-smsd runs its SQL service; SAO then reads the
                   inbox table and writes the outbox table itself (see sao.notify.gammu_sql)
    gammu_config   path of the gammu-smsd configuration file (used by gammu-smsd-inject when
                   gammu_sql_url is empty)
    gammu_inbox    the inbox folder of the files service, read by `sao sms-poll`
    gammu_inbox_settle_seconds  age in seconds of the newest file of a message before it is
                   read (default 2), so a message whose parts are still being written waits
    http_url       URL that receives {"to": ..., "text": ...} as JSON (WhatsApp/SMS providers)
    http_token     bearer token sent to that URL
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail

logger = logging.getLogger(__name__)

GAMMU_INJECT_TIMEOUT_SECONDS = 30
HTTP_TIMEOUT_SECONDS = 15


class GatewayError(Exception):
    """The gateway rejected the message or could not be reached; the message gives the reason."""


def notify_settings() -> dict:
    return {"gateway": "none", **getattr(settings, "SAO_NOTIFY", {})}


@dataclass
class GammuGateway:
    """Queue a message in Gammu SMSD's outbox with gammu-smsd-inject; the daemon sends it."""

    config_path: str

    def send(self, *, recipient: str, text: str) -> None:
        # -len makes a multipart message when the text does not fit one SMS.
        command = ["gammu-smsd-inject", "-c", self.config_path, "TEXT", recipient, "-len", str(len(text))]
        if not text.isascii():
            command.append("-unicode")
        command += ["-text", text]
        # gammu-smsd-inject 1.42 (files service) writes a long text as one outbox file per part.
        # Run under TZ=Asia/Makassar, it stamped the first file's name with local time and the
        # second with UTC, and the daemon, which sends in name order, sent the second part first.
        # With TZ=UTC both stamps agree and the names keep the part order.
        environment = {**os.environ, "TZ": "UTC"}
        try:
            result = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=GAMMU_INJECT_TIMEOUT_SECONDS,
                check=False,
                env=environment,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise GatewayError(f"gammu-smsd-inject failed to run: {exc}") from exc
        if result.returncode != 0:
            raise GatewayError(
                f"gammu-smsd-inject exited with {result.returncode}: {result.stderr.strip()[-300:]}"
            )


@dataclass
class GammuSqlGateway:
    """Queue a message in the outbox table of gammu's database; gammu-smsd's SQL service sends it."""

    url: str

    def send(self, *, recipient: str, text: str) -> None:
        from sao.notify import gammu_sql

        try:
            gammu_sql.queue_outgoing(gammu_sql.GammuDatabase(self.url), recipient=recipient, text=text)
        except gammu_sql.GammuSqlError as exc:
            raise GatewayError(str(exc)) from exc


@dataclass
class HttpGateway:
    """POST the message as JSON to a provider's endpoint (WhatsApp or SMS API)."""

    url: str
    token: str = ""

    def send(self, *, recipient: str, text: str) -> None:
        if not self.url.startswith(("https://", "http://")):
            raise GatewayError(f"HTTP gateway URL {self.url} must start with https:// or http://")
        body = json.dumps({"to": recipient, "text": text}).encode()
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            self.url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
                status = response.status
        except OSError as exc:
            raise GatewayError(f"HTTP gateway {self.url} failed: {exc}") from exc
        if not 200 <= status < 300:
            raise GatewayError(f"HTTP gateway {self.url} returned status {status}")


class EmailGateway:
    def send(self, *, recipient: str, text: str) -> None:
        subject = text.split("\n", 1)[0][:78]
        try:
            send_mail(subject, text, None, [recipient])
        except OSError as exc:
            raise GatewayError(f"e-mail to {recipient} failed: {exc}") from exc


def gateway_for(name: str | None = None):
    """Return the gateway object configured under `name` (default: the configured gateway), or None."""
    config = notify_settings()
    name = name or config["gateway"]
    if name == "gammu" and config.get("gammu_sql_url"):
        return GammuSqlGateway(url=config["gammu_sql_url"])
    if name == "gammu":
        if not config.get("gammu_config"):
            raise GatewayError(
                "SAO_NOTIFY['gammu_config'] is missing; set the gammu-smsd configuration path."
            )
        return GammuGateway(config_path=config["gammu_config"])
    if name == "http":
        if not config.get("http_url"):
            raise GatewayError("SAO_NOTIFY['http_url'] is missing; set the gateway URL.")
        return HttpGateway(url=config["http_url"], token=config.get("http_token", ""))
    if name == "email":
        return EmailGateway()
    return None
