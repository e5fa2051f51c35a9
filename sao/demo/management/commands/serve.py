"""`sao serve`: collect static files, print the demo logins and run the web app under gunicorn."""

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from sao.attendance.tasks import recompute_recent_periodic
from sao.demo.logins import DEMO_PASSWORD, demo_logins, logins_table
from sao.demo.serving import (
    DEFAULT_ADDRESS,
    DEFAULT_PORT,
    DEFAULT_WORKERS,
    live_start,
    live_stop,
    static_collect,
    web_serve,
)


class Command(BaseCommand):
    help = _("Run SAO on http://127.0.0.1:8000 under gunicorn, with static files served by whitenoise.")

    def add_arguments(self, parser):
        parser.add_argument("--addr", default=DEFAULT_ADDRESS,
                            help=_("IP address to listen on (default %(address)s).")
                            % {"address": DEFAULT_ADDRESS})
        parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                            help=_("TCP port to listen on (default %(port)s).") % {"port": DEFAULT_PORT})
        parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                            help=_("Number of gunicorn worker processes (default %(count)s).")
                            % {"count": DEFAULT_WORKERS})
        parser.add_argument("--no-worker", action="store_true",
                            help=_("Do not start the background job consumer (sao worker) beside "
                                   "the web app; start it yourself instead."))
        parser.add_argument("--no-live", action="store_true",
                            help=_("Do not start the live demo devices (sao demo-live), which send "
                                   "heartbeats and today's punches of the demo's devices."))

    def handle(self, *args, addr: str, port: int, workers: int, no_worker: bool = False,
               no_live: bool = False, **options):
        if not 1 <= port <= 65535:
            raise CommandError(_("--port %(port)s is invalid; give a TCP port from 1 to 65535.")
                               % {"port": port})
        if workers < 1:
            raise CommandError(_("--workers %(count)s is invalid; give at least 1.") % {"count": workers})

        static_collect()
        try:
            logins = demo_logins()
        except DatabaseError as exc:
            raise CommandError(
                _("The database is not ready (%(error)s); run `sao migrate` and `sao demo` first.")
                % {"error": exc}
            ) from exc

        host = f"[{addr}]" if ":" in addr else addr
        url = f"http://{host}:{port}/"
        if logins:
            self.stdout.write(logins_table(logins))
            self.stdout.write(self.style.WARNING(
                _("DEMO ONLY: sao demo set the password %(password)s on these logins; a password "
                  "changed since then is not shown.") % {"password": DEMO_PASSWORD}
            ))
        else:
            self.stdout.write(_("No demo logins found; run `sao demo` to create them."))
        hosts = settings.ALLOWED_HOSTS
        if addr not in ("127.0.0.1", "::1", "localhost") and "*" not in hosts and addr not in hosts:
            self.stdout.write(self.style.WARNING(
                _("ALLOWED_HOSTS is %(hosts)s; add the host name that clients use for %(address)s, "
                  "or Django rejects their requests with 400 Bad Request.")
                % {"hosts": hosts, "address": addr}
            ))
        self.stdout.write(self.style.SUCCESS(_("SAO runs on %(url)s (press Ctrl-C to stop).") % {"url": url}))

        # File imports, recomputation and report counts run as background jobs, so the demo
        # starts their consumer too.
        consumer = None
        if not no_worker:
            consumer = subprocess.Popen([sys.executable, "-m", "sao", "worker", "--quiet"])
            self.stdout.write(_("Background jobs run in sao worker (pid %(pid)s).")
                              % {"pid": consumer.pid})
            # Every employee gets a result for yesterday and today now, not at the periodic
            # job's next ten-minute mark.
            recompute_recent_periodic()
        # Without them the demo's devices fall silent and the fault check opens a ticket for
        # each after 30 minutes of working hours.
        live = None if no_live else live_start(address=addr, port=port)
        if live is not None:
            self.stdout.write(_("The demo's devices send heartbeats and today's punches from "
                                "sao demo-live (pid %(pid)s).") % {"pid": live.pid})
        self.stdout.flush()

        master_pid = os.getpid()
        try:
            web_serve(address=addr, port=port, workers=workers)
        finally:
            # Workers are forked from this process and unwind through here as well.
            if os.getpid() == master_pid:
                live_stop(live)
                _consumer_stop(consumer)
                self.stdout.write(_("SAO stopped."))


def _consumer_stop(consumer: subprocess.Popen | None) -> None:
    """Stop the job consumer: SIGINT lets Huey finish running tasks, SIGKILL after 15 s."""
    if consumer is None or consumer.poll() is not None:
        return
    consumer.send_signal(signal.SIGINT)
    try:
        consumer.wait(timeout=15)
    except subprocess.TimeoutExpired:
        consumer.kill()
        consumer.wait()
