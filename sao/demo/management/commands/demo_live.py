"""`sao demo-live`: keep the demo's devices sending heartbeats and today's punches to a server."""

import signal
import threading
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sao.demo.live import LiveSimulator, live_devices_load, wait_listening
from sao.demo.services import DEFAULT_SEED

# Seconds to wait for the server to accept connections, because `sao serve` starts both at once.
START_WAIT_SECONDS = 60


class Command(BaseCommand):
    help = _("Send heartbeats and today's punches of the demo's devices to a running SAO over the "
             "push protocol, each punch when its time arrives, until Ctrl-C or SIGTERM.")

    def add_arguments(self, parser):
        parser.add_argument("--url", required=True,
                            help=_("Address of the running server, e.g. http://127.0.0.1:8000."))
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                            help=_("Random seed of the punch plan; give the seed of sao demo "
                                   "(default %(seed)s).") % {"seed": DEFAULT_SEED})

    def handle(self, *args, url: str, seed: int, **options):
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise CommandError(_("--url %(url)s is invalid; give http://host:port of a running "
                                 "SAO server.") % {"url": url})

        devices = live_devices_load()
        if not devices:
            self.stdout.write(_("No demo devices found; run `sao demo` first."))
            return

        stop = threading.Event()
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda _signum, _frame: stop.set())
        if not wait_listening(parts.hostname, parts.port or 80, seconds=START_WAIT_SECONDS, stop=stop):
            if stop.is_set():
                return
            raise CommandError(_("No server accepted connections on %(url)s within %(seconds)s s.")
                               % {"url": url, "seconds": START_WAIT_SECONDS})

        simulator = LiveSimulator(url=url, devices=devices, seed=seed)
        try:
            simulator.run(stop)
        finally:
            simulator.close()
