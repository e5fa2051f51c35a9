"""E-mail notices about fault tickets to the unit's operators and to BKD, sent after commit."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _

from sao.org.models import Role, User

logger = logging.getLogger(__name__)

BKD_ROLES = (Role.ADMIN_BKD, Role.OPERATOR_BKD)


def _recipients(ticket) -> list[str]:
    unit_path = ticket.unit.path
    users = User.objects.filter(is_active=True).exclude(email="")
    addresses = set()
    for user in users.filter(role=Role.OPERATOR_UNIT).select_related("unit"):
        # An operator of the ticket's unit or of a unit above it.
        if user.unit is not None and unit_path.startswith(user.unit.path):
            addresses.add(user.email)
    addresses.update(users.filter(role__in=BKD_ROLES).values_list("email", flat=True))
    return sorted(addresses)


def fault_notify(*, ticket, subject: str, message: str) -> None:
    """Send a notice about a ticket to its unit's operators and to BKD once the transaction commits.

    A failed send is logged and dropped, so it never undoes the change it reports.
    """
    # TODO: route through sao.notify (SMS, WhatsApp, e-mail preferences) once that app lands.
    recipients = _recipients(ticket)
    if not recipients:
        return
    full_subject = _("[SAO] Device fault #%(id)s: %(subject)s") % {"id": ticket.pk,
                                                                   "subject": subject}

    def send() -> None:
        try:
            send_mail(full_subject, message, settings.DEFAULT_FROM_EMAIL, recipients)
        except OSError:
            logger.exception("Sending the notice of fault ticket %s to %s recipients failed",
                             ticket.pk, len(recipients))

    transaction.on_commit(send)
