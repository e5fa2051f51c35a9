"""Inbound SMS kept as received, and outbound notifications with their delivery state."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class InboundStatus(models.TextChoices):
    DONE = "done", _("Processed")
    UNKNOWN_SENDER = "unknown", _("Unknown phone number")
    INVALID = "invalid", _("Invalid message")
    REJECTED = "rejected", _("Rejected by the rules")


class InboundSms(models.Model):
    """One message read from the Gammu SMSD inbox, with the raw text and the reply sent."""

    source_name = models.CharField(_("inbox file"), max_length=200, unique=True)
    sender = models.CharField(_("sender"), max_length=30)
    text = models.TextField(_("text"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=8, choices=InboundStatus.choices)
    reply = models.TextField(_("reply"), blank=True)
    employee = models.ForeignKey(
        "org.Employee", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound SMS")
        verbose_name_plural = _("inbound SMS")

    def __str__(self) -> str:
        return f"{self.sender}: {self.text[:40]}"


class OutboundStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Handed to the gateway")
    FAILED = "failed", _("Failed")


class OutboundMessage(models.Model):
    """One notification to one recipient through the configured gateway."""

    gateway = models.CharField(_("gateway"), max_length=10)
    recipient = models.CharField(_("recipient"), max_length=254)
    text = models.TextField(_("text"))
    topic = models.CharField(_("topic"), max_length=30)
    status = models.CharField(
        _("status"), max_length=8, choices=OutboundStatus.choices, default=OutboundStatus.PENDING
    )
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.gateway} {self.recipient} {self.topic}"
