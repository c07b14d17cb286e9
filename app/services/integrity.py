"""The integrity archive's use cases (诚信档案, F3 L165–181): entries, complaints, the overdue list, export.

Every entry path checks the shared rules (app.validation.integrity) before anything is stored, and refuses
a bad value with its message (UserFacingError); the server checks them again when the change arrives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app import scratch
from app.errors import UserFacingError
from app.export.xlsx import Column, write_sheet
from app.i18n import N_, current_language, translate
from app.models.integrity import Complaint, IntegrityEntry, OverdueComplaint
from app.models.record import Provenance, Source, new_id
from app.models.remote import NoticeList
from app.services.session import Session
from app.validation import integrity as rules


def _refuse(problems: Sequence[tuple[str, str]], **params: Any) -> None:
    """The first problem as the user's error (each message says what to enter)."""
    if problems:
        raise UserFacingError(rules.MESSAGES[problems[0][1]], **params)


def _customer_here(session: Session, customer_id: str) -> None:
    if session._archive.customers.get(customer_id) is None:
        raise UserFacingError(N_("There is no such customer in this archive."))


def entries(session: Session, customer_id: str) -> list[IntegrityEntry]:
    return session._archive.integrity.entries(customer_id)


def add_entry(
    session: Session,
    customer_id: str,
    kind: str,
    source: str,
    occurred_on: str,
    text: str,
    handling: str = "",
    photos: Sequence[str] = (),
) -> IntegrityEntry:
    """A new entry of the outlet's integrity file, checked, stored, audited and queued for the server."""
    _customer_here(session, customer_id)
    entry = IntegrityEntry(
        new_id(), customer_id, kind, source, occurred_on, text.strip(), handling.strip(), tuple(photos)
    )
    _refuse(rules.entry_problems(entry.__dict__, session.today()))
    prov = Provenance(session.user, Source.MANUAL, info_date=occurred_on)
    return session._archive.integrity.add_entry(entry, prov)


def complaints(session: Session, customer_id: str) -> list[Complaint]:
    return session._archive.integrity.complaints(customer_id)


def open_complaint(
    session: Session,
    customer_id: str,
    channel: str,
    received_on: str,
    content: str,
    complainant_name: str = "",
    complainant_phone: str = "",
) -> Complaint:
    """A complaint received; due ``DEADLINE_WORKDAYS`` working days later by the work calendar in force."""
    _customer_here(session, customer_id)
    values = {
        "id": new_id(),
        "channel": channel,
        "received_on": received_on,
        "content": content.strip(),
        "complainant_name": complainant_name.strip(),
        "complainant_phone": complainant_phone.strip(),
    }
    _refuse(rules.complaint_problems(values, session.today()))
    deadline = rules.default_deadline(dt.date.fromisoformat(received_on), session.calendar.add_workdays)
    complaint = Complaint(
        values["id"],
        customer_id,
        channel,
        received_on,
        values["content"],
        values["complainant_name"],
        values["complainant_phone"],
        deadline=deadline.isoformat(),
    )
    prov = Provenance(session.user, Source.MANUAL, info_date=received_on)
    return session._archive.integrity.open_complaint(complaint, prov)


def step_complaint(
    session: Session, complaint_id: str, action: str, assignee: str = "", deadline: str = "", text: str = ""
) -> Complaint:
    """Assign, handle, answer or close a complaint (the transitions of ``ALLOWED_FROM``)."""
    complaint = session._archive.integrity.complaint(complaint_id)
    if complaint is None:
        raise UserFacingError(N_("There is no such complaint in this archive."))
    step = {"action": action, "assignee": assignee.strip(), "deadline": deadline.strip(), "text": text.strip()}
    status = translate(rules.STATUS_LABELS.get(complaint.status, complaint.status))
    _refuse(rules.step_problems(complaint.status, complaint.received_on, step), status=status)
    prov = Provenance(session.user, Source.MANUAL, info_date=session.today().isoformat())
    return session._archive.integrity.step_complaint(complaint, step, prov)


def overdue(session: Session) -> list[OverdueComplaint]:
    """Complaints not answered by their deadline, of the customers this archive holds (the to-do list)."""
    return session._archive.integrity.overdue(session.today())


def export_integrity(session: Session, path: Path, lang: str | None = None) -> int:
    """One workbook: every integrity entry, and every complaint with its complainant masked; returns the rows."""
    lang = lang or current_language()

    def t(msgid: str) -> str:
        return translate(msgid, lang)

    arc = session._archive
    entry_cols = [
        Column(t(N_("Customer code")), 16.0),
        Column(t(N_("Shop name")), 24.0),
        Column(t(N_("Date")), 12.0),
        Column(t(N_("Kind")), 16.0),
        Column(t(N_("Source")), 14.0),
        Column(t(N_("What happened")), 40.0),
        Column(t(N_("Handling")), 30.0),
        Column(t(N_("Attachments")), 10.0),
        Column(t(N_("Recorded by")), 12.0),
    ]
    found = arc.integrity.all_entries()
    entry_rows = [
        [
            code,
            shop,
            e.occurred_on,
            t(rules.KIND_LABELS.get(e.kind, e.kind)),
            t(rules.SOURCE_LABELS.get(e.source, e.source)),
            e.text,
            e.handling,
            len(e.photos),
            e.recorded_by,
        ]
        for e, code, shop in found
    ]
    complaint_cols = [
        Column(t(N_("Customer code")), 16.0),
        Column(t(N_("Received on")), 12.0),
        Column(t(N_("Channel")), 14.0),
        Column(t(N_("Complainant")), 10.0),
        Column(t(N_("Phone")), 14.0),
        Column(t(N_("Complaint")), 36.0),
        Column(t(N_("Status")), 10.0),
        Column(t(N_("Assigned to")), 12.0),
        Column(t(N_("Deadline")), 12.0),
        Column(t(N_("Overdue")), 8.0),
        Column(t(N_("Handling")), 30.0),
        Column(t(N_("Answer")), 30.0),
        Column(t(N_("Response")), 30.0),
        Column(t(N_("Closed on")), 12.0),
    ]
    today = session.today()
    rows = [
        [
            code,
            c.received_on,
            t(rules.CHANNEL_LABELS.get(c.channel, c.channel)),
            c.masked_name,
            c.masked_phone,
            c.content,
            t(rules.STATUS_LABELS.get(c.status, c.status)),
            c.assignee,
            c.deadline,
            t(N_("yes")) if c.overdue(today) else "",
            c.handling,
            c.answer,
            c.response,
            c.closed_on,
        ]
        for c, code in arc.integrity.all_complaints()
    ]
    n = write_sheet(
        path,
        entry_cols,
        entry_rows,
        title=t(N_("Integrity archive")),
        extra_sheets=[(t(N_("Complaints")), complaint_cols, rows)],
        scratch_dir=scratch.archive_scratch(arc.path),
    )
    return n + len(rows)


def save_notices(session: Session, data: NoticeList, path: Path, lang: str | None = None) -> int:
    """The public notice list (公示, F3 L177) as the workbook to publish: each outlet under notice with its
    initial grade, the grade's definition (F3 L171–174) and the notice's dates; returns the rows."""
    lang = lang or current_language()

    def t(msgid: str) -> str:
        return translate(msgid, lang)

    cols = [
        Column(t(N_("No.")), 6.0),
        Column(t(N_("Customer code")), 16.0),
        Column(t(N_("Shop name")), 26.0),
        Column(t(N_("Grade")), 8.0),
        Column(t(N_("Grade definition")), 48.0),
        Column(t(N_("Rated on")), 12.0),
        Column(t(N_("Notice from")), 12.0),
        Column(t(N_("Notice until")), 12.0),
        Column(t(N_("Appeal")), 12.0),
    ]
    rows = [
        [
            i,
            n.code or "",
            n.shop_name or "",
            n.grade,
            t(rules.GRADE_DEFINITIONS.get(n.grade, "")) if n.grade in rules.GRADE_DEFINITIONS else "",
            n.rated_on,
            n.notice_start,
            n.notice_end,
            n.appeal_on or "",
        ]
        for i, n in enumerate(data.notices, start=1)
    ]
    title = t(N_("Public notice {on}")).format(on=data.on)
    return write_sheet(
        path, cols, rows, title=title[:31], printable=True, scratch_dir=scratch.archive_scratch(session._archive.path)
    )
