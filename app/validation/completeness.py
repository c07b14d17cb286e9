"""A complete archive and the new customer's deadline: one rule for the client and the server.

F3 L141–146: the mandatory fields (必填项) of a new customer are complete within 5 working days of
binding (绑定). The rules built here (docs/domain.md):

* ``gaps``: the required fields a person keeps (the system's fields do not count: nobody in the field
  can fill them) that are empty or invalid, in the form's order. Approval of a new customer needs
  none (the server refuses it, naming them; the review screen says so before the click).
* ``new_customer_late``: a customer bound on ``binding`` is overdue as a new customer once its
  5 working days have passed (``due < today``) and it is not both approved and complete. The
  client's list (``app.services.listing``, its SQL filter in ``app.storage.customers``) and the
  server's monthly report (``server.reports``) both decide with it; a parity test runs generated
  records through both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from app.models.catalogue import FormDefinition
from app.models.workdays import WorkCalendar
from app.validation.validator import validate_values

NEW_CUSTOMER_WORKDAYS = 5
#: The role whose view of completeness counts: every field a person maintains (collector or supervisor).
KEEPER = "system"


def gaps(form: FormDefinition, values: Mapping[str, Any], today: dt.date) -> list[str]:
    """Keys of the required fields a person keeps that are empty or invalid, in the form's order."""
    report = validate_values(form, values, today=today, role=KEEPER)
    bad = {i.field for i in report.missing} | {i.field for i in report.errors}
    return [f.key for f in form.fields if f.key in bad]


def new_customer_due(binding: dt.date, cal: WorkCalendar) -> dt.date:
    """The last day of a new customer's 5 working days (the day of binding not counted)."""
    return cal.add_workdays(binding, NEW_CUSTOMER_WORKDAYS)


def new_customer_late(due_passed: bool, approved: bool, complete: bool) -> bool:
    """Whether a bound customer counts as an overdue new customer: its working days are over and it is
    not yet both approved and complete (an approved record that lost a required value is late too)."""
    return due_passed and not (approved and complete)
