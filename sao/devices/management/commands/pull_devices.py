"""`sao pull-devices`: read the attendance log of LAN devices over port 4370."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sao.devices.models import Device, DeviceStatus
from sao.devices.pull import DEFAULT_CHUNK_SIZE, DEFAULT_PORT, PullStatus, device_pull


class Command(BaseCommand):
    help = _("Pull punches from devices over the ZK protocol (port 4370) and store them. By "
             "default every active device with an IP address is pulled.")

    def add_arguments(self, parser):
        parser.add_argument("--serial", action="append", default=[],
                            help=_("Pull only this device (repeat for several)."))
        parser.add_argument("--clear", action="store_true",
                            help=_("Clear the device log after a complete read whose records are "
                                   "committed; never after a short or failed read."))
        parser.add_argument("--host", default="",
                            help=_("Address to connect to instead of the device's stored IP address."))
        parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=_("TCP/UDP port (default 4370)."))
        parser.add_argument("--timeout", type=float, default=10,
                            help=_("Seconds to wait for each reply (default 10)."))
        parser.add_argument("--udp", action="store_true", help=_("Use UDP instead of TCP."))
        parser.add_argument("--comm-key", type=int, default=0,
                            help=_("Device communication key (default 0, none)."))
        parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE,
                            help=_("Bytes per buffered read request (default 65472)."))

    def handle(self, *args, serial, clear, host, port, timeout, udp, comm_key, chunk_size, **options):
        if serial:
            devices = list(Device.objects.filter(serial__in=serial).select_related("unit"))
            missing = sorted(set(serial) - {device.serial for device in devices})
            if missing:
                raise CommandError(_("Device %(serials)s is not registered; check the serial number.")
                                   % {"serials": ", ".join(missing)})
        else:
            devices = list(Device.objects.filter(status=DeviceStatus.ACTIVE).exclude(ip_address="")
                           .select_related("unit"))
            if not devices:
                self.stdout.write(_("No active device has an IP address; nothing to pull."))
                return

        not_complete = []
        for device in devices:
            address = host or device.ip_address
            if not address:
                self.stdout.write(_("%(serial)s: skipped, no IP address; pass --host.")
                                  % {"serial": device.serial})
                not_complete.append(device.serial)
                continue

            result = device_pull(device=device, host=address, port=port, timeout=timeout,
                                 comm_key=comm_key, force_udp=udp, clear=clear, chunk_size=chunk_size)
            self.stdout.write(
                _("%(serial)s: %(status)s, %(decoded)s of %(expected)s records read, %(accepted)s "
                  "accepted, %(duplicates)s duplicates, %(quarantined)s quarantined, %(cleared)s.")
                % {"serial": device.serial, "status": result.status, "decoded": result.decoded,
                   "expected": result.expected, "accepted": result.accepted,
                   "duplicates": result.duplicates, "quarantined": result.quarantined,
                   "cleared": _("device cleared") if result.cleared else _("device not cleared")})
            for message in result.messages:
                self.stdout.write("  " + message)
            if result.status != PullStatus.COMPLETE:
                not_complete.append(device.serial)

        if not_complete:
            raise CommandError(_("The pull of %(serials)s is not complete; see the messages above.")
                               % {"serials": ", ".join(not_complete)})
