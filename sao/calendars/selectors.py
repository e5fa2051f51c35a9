"""Scoped reads of calendar data."""

from __future__ import annotations

from sao.calendars.models import EmployeeSchedule, RosterEntry
from sao.org.scope import register_scope

register_scope(RosterEntry, unit="employee__unit", employee="employee")
register_scope(EmployeeSchedule, unit="employee__unit", employee="employee")
