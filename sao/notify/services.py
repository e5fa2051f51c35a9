"""Notifications about absence requests, stored as OutboundMessage rows and sent after commit."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sao.notify.gateways import GatewayError, gateway_for, notify_settings
from sao.notify.models import OutboundMessage, OutboundStatus

logger = logging.getLogger(__name__)


def _language(employee) -> str:
    user = getattr(employee, "user", None) if employee is not None else None
    return getattr(user, "language", None) or settings.LANGUAGE_CODE


def _address(employee, gateway: str) -> str:
    if gateway == "email":
        user = getattr(employee, "user", None)
        return employee.email or (user.email if user is not None else "")
    return employee.phone


def deliver(message_id: int) -> None:
    """Hand one stored message to its gateway and record the outcome; never raises GatewayError."""
    message = OutboundMessage.objects.get(pk=message_id)
    if message.status != OutboundStatus.PENDING:
        return
    try:
        gateway = gateway_for(message.gateway)
        if gateway is None:
            return
        gateway.send(recipient=message.recipient, text=message.text)
    except GatewayError as exc:
        logger.warning(
            "Message %s to %s via %s failed: %s", message.pk, message.recipient, message.gateway, exc
        )
        OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundStatus.FAILED, error=str(exc))
        return
    OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundStatus.SENT, sent_at=timezone.now())


def send_text(*, recipient: str, text: str, topic: str, gateway: str | None = None) -> OutboundMessage:
    """Store a message and deliver it once the current transaction commits (at once without one)."""
    gateway = gateway or notify_settings()["gateway"]
    message = OutboundMessage.objects.create(gateway=gateway, recipient=recipient, text=text, topic=topic)
    if not recipient:
        message.status = OutboundStatus.FAILED
        message.error = "no address for this recipient"
        message.save(update_fields=["status", "error"])
        logger.warning("Message %s (%s) has no recipient address; not sent", message.pk, topic)
        return message
    transaction.on_commit(lambda: deliver(message.pk))
    return message


def _to_employee(employee, topic: str, build) -> OutboundMessage | None:
    if employee is None:
        return None
    gateway = notify_settings()["gateway"]
    with translation.override(_language(employee)):
        text = build()
    return send_text(recipient=_address(employee, gateway), text=text, topic=topic, gateway=gateway)


def _describe(request) -> dict:
    return {
        "code": request.code,
        "name": request.employee.full_name,
        "type": request.absence_type.code,
        "start": request.start_date.isoformat(),
        "end": request.end_date.isoformat(),
        "reference": request.reference or "-",
    }


def request_waiting(*, request) -> None:
    """Tell the approver of the current stage that a request waits for them."""
    from sao.absences.models import RequestStatus

    def build():
        return _(
            "SAO: %(name)s requests %(type)s %(start)s to %(end)s (%(reference)s). "
            "Reply SETUJU %(code)s or TOLAK %(code)s reason."
        ) % _describe(request)

    if request.status == RequestStatus.WAITING_SUPERVISOR:
        _to_employee(request.employee.supervisor, "absence.waiting", build)
        return

    # Verifier accounts often have no employee record; they are told by e-mail instead.
    from sao.org.models import Role, User

    verifiers = User.objects.filter(
        role=Role.VERIFIER, is_active=True, unit__path__in=_ancestor_paths(request.employee.unit.path)
    ).select_related("employee")
    for verifier in verifiers:
        if verifier.employee_id:
            _to_employee(verifier.employee, "absence.waiting", build)
        elif verifier.email:
            with translation.override(verifier.language or settings.LANGUAGE_CODE):
                text = build()
            send_text(recipient=verifier.email, text=text, topic="absence.waiting", gateway="email")


def request_result(*, request, reason: str = "") -> None:
    """Tell the employee the final decision or the request for a change."""
    details = {**_describe(request), "reason": reason or "-"}
    _to_employee(
        request.employee,
        "absence.result",
        lambda: (
            _(
                "SAO: your request %(code)s (%(type)s %(start)s to %(end)s) is now: %(status)s. "
                "Reason: %(reason)s"
            )
            % {**details, "status": request.get_status_display()}
        ),
    )


def request_escalated(*, request) -> None:
    """Tell the next level up that a request has waited too long."""
    from sao.absences.models import RequestStatus
    from sao.org.models import Employee, Role

    if request.status == RequestStatus.WAITING_SUPERVISOR and request.employee.supervisor_id:
        targets = [request.employee.supervisor.supervisor]
    else:
        targets = list(
            Employee.objects.filter(
                user__role=Role.LEADER, user__unit__path__in=_ancestor_paths(request.employee.unit.path)
            )
        )
    for target in targets:
        _to_employee(
            target,
            "absence.escalated",
            lambda: (
                _(
                    "SAO: request %(code)s of %(name)s (%(type)s %(start)s to %(end)s) is waiting "
                    "too long for a decision."
                )
                % _describe(request)
            ),
        )


def _ancestor_paths(path: str) -> list[str]:
    """Return "/A/", "/A/B/", ... for a unit path "/A/B/C/", including the path itself."""
    return [path[: index + 1] for index, char in enumerate(path) if char == "/" and index > 0]
