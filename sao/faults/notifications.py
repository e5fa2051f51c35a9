"""Notices about fault tickets to the unit's operators and to BKD, through sao.notify.

Each notice is stored as a notify OutboundMessage inside the caller's transaction and handed
to the gateway after commit, so a rolled-back change sends nothing and a failed send is
recorded on the message without undoing the change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from sao.notify.gateways import notify_settings
from sao.notify.services import send_text
from sao.org.models import Role, User

logger = logging.getLogger(__name__)

BKD_ROLES = (Role.ADMIN_BKD, Role.OPERATOR_BKD)
EMAIL_GATEWAY = "email"
# The notify gateway that stores messages without sending them.
STORE_ONLY_GATEWAY = "none"


def _recipients(ticket) -> list[User]:
    """Return the active operators of the ticket's unit or a unit above it, and BKD's users."""
    unit_path = ticket.unit.path
    users = User.objects.filter(is_active=True).select_related("unit", "employee")
    found = []
    for user in users.filter(role=Role.OPERATOR_UNIT):
        if user.unit is not None and unit_path.startswith(user.unit.path):
            found.append(user)
    found.extend(users.filter(role__in=BKD_ROLES))
    return found


def _route(user: User, gateway: str) -> tuple[str, str] | None:
    """Return (gateway, address) for a user, or None when the user has no address.

    SMS and WhatsApp gateways need the phone of the user's employee record. A user without
    one, such as a BKD account with no employee record, gets the notice by e-mail instead.
    With the "none" gateway the notify app only stores the message, under either address.
    """
    if gateway == EMAIL_GATEWAY:
        return (EMAIL_GATEWAY, user.email) if user.email else None
    phone = user.employee.phone if user.employee is not None else ""
    if phone:
        return gateway, phone
    if user.email:
        return (gateway if gateway == STORE_ONLY_GATEWAY else EMAIL_GATEWAY), user.email
    return None


def fault_notify(*, ticket, topic: str, build: Callable[[], tuple[str, str]]) -> int:
    """Queue a notice about a ticket to its unit's operators and to BKD, and return the count.

    `build` returns (subject, message) and runs once per recipient under the recipient's
    language, so every text must be translated inside it. The first line of the text is the
    subject, which the e-mail gateway uses as the e-mail's subject.
    """
    gateway = notify_settings()["gateway"]
    routes: dict[tuple[str, str], User] = {}
    without_address = []
    for user in _recipients(ticket):
        route = _route(user, gateway)
        if route is None:
            without_address.append(user.pk)
            continue
        routes.setdefault(route, user)
    if without_address:
        logger.debug("Users %s have no address for gateway %s; no notice of fault ticket %s",
                     without_address, gateway, ticket.pk)

    for (route_gateway, address), user in sorted(routes.items()):
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject, message = build()
            text = _("[SAO] Device fault #%(id)s: %(subject)s") % {"id": ticket.pk,
                                                                   "subject": subject}
        send_text(recipient=address, text=f"{text}\n{message}", topic=topic,
                  gateway=route_gateway)
    return len(routes)
