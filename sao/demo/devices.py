"""Devices and punches of the demo province, to be sent through the real push protocol.

`sao demo` does not call `demo_punches_simulate` yet, so the demo has no devices and no
punches. The command works without it.
"""

from __future__ import annotations

import datetime as dt

from sao.org.models import Unit

# Days of punches the demo is meant to hold, ending yesterday.
DEMO_PUNCH_DAYS = 61


def demo_punches_simulate(
    *, base_url: str, units: list[Unit], start: dt.date, end: dt.date, seed: int,
) -> int:
    """Register devices per unit and push the punches of `start` to `end` to a running server.

    Intended steps: register one device per unit, or two for a hospital or a unit of more
    than 300 employees, and enrol every employee of the unit on it with a PIN. Then hand the
    devices as (serial, PINs, unit time zone) to `sao.devices.simulator.push.simulate_push`,
    which posts ATTLOG batches to `base_url` + /iclock/cdata over HTTP. Ingestion,
    deduplication and the raw-upload store then run exactly as for real firmware. Return the
    number of punches sent.
    """
    # TODO: implement with the device registry and sao.devices.simulator.push.simulate_push
    # once both are committed, and call it from `sao demo` for the DEMO_PUNCH_DAYS before today.
    raise NotImplementedError(
        "Demo punches need the device simulator (sao.devices.simulator); it is not wired in yet."
    )
