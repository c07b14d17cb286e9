"""The request forms of the workflows, printed or exported (issue 17; audit RP7, CH1, CH4, CH5; docs/domain.md,
"The request forms"): 《客户新入网申请表》 for an onboarding case (F3 L386), 《客户信息修改维护任务单》 for a city
task order (F3 L401), 《客户信息修改维护表》 for the other change paths (F3 L408, L424) and 《电话号码申请变更表》
for a change of 联系电话 / 订货电话 only (F3 L16), as PDF (app.export.pdf) or .xlsx (app.export.printout_sheet).

A form is filled from the case as the server answers it (``Case``: its steps, who did each and when, a change's
new values and phone calls) and from the customer in this archive (its basic information, the number before a
phone change); a customer not in this archive is printed with what the case holds and a note saying so. ID and
bank numbers are masked (first 6 / last 4) as the printable copy masks them (app.services.printing). Each form
ends with blank signature lines for the people its procedure names. The file is written beside the target and
renamed; a finished one is logged in the access log as a print of the customer (file, SHA-256, format, form,
case), as print-customer is.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from pathlib import Path

from app import scratch
from app.errors import SyncError, SyncErrorKind, UserFacingError
from app.export.pdf import Printout, Section, write_pdf
from app.export.printout_sheet import write_printout_sheet
from app.i18n import N_, current_language, translate
from app.models import times
from app.models.catalogue import FormDefinition
from app.models.onboarding import Case, CaseStep, ChangeItem
from app.models.record import Customer
from app.models.wire import AccessKind
from app.services.changes import PATHS
from app.services.exporting import MASKED_TYPES, converter, file_sha256
from app.services.onboarding import ROLES, source_text
from app.services.printing import footed
from app.services.session import Session
from app.sync.client import SyncClient

Progress = Callable[[int, int], None]
CASE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ONBOARDING, TASK_ORDER, MODIFY, PHONE = "onboarding", "task_order", "modify", "phone"
#: the forms' titles: the documents' own names (zh_CN), English in the English UI
TITLES = {
    ONBOARDING: N_("New customer application"),
    TASK_ORDER: N_("Customer information modification task order"),
    MODIFY: N_("Customer information modification form"),
    PHONE: N_("Phone number change application"),
}
#: the phone numbers 《电话号码申请变更表》 is for (F3 L16: 订货电话号码; the contact phone)
PHONE_FIELDS = frozenset({"contact_phone", "order_phone"})
#: the customer's information on the onboarding application (what the steps after it maintain, F3 L389–394)
ONBOARDING_FIELDS = (
    "customer_code",
    "shop_name",
    "licence_no",
    "uscc",
    "legal_person",
    "id_card",
    "contact_phone",
    "order_phone",
    "address",
    "region_code",
    "retail_format",
    "market_type",
)
#: who identifies the customer on a change form
CHANGE_FIELDS = ("customer_code", "shop_name", "licence_no", "legal_person", "address")
#: the signature lines of each form: the people its procedure names (F3 L16, L386–388, L400–414)
SIGNERS = {
    ONBOARDING: (
        N_("Customer manager (applicant)"),
        N_("Head of the marketing section"),
        N_("Head of the market department"),
    ),
    TASK_ORDER: (N_("Marketing centre (task order)"), N_("Customer manager (verified)"), N_("County (final review)")),
    MODIFY: (N_("County head (filled in)"), N_("Customer-service administrator"), N_("County (review)")),
    PHONE: (
        N_("Customer (applicant)"),
        N_("Customer manager (checked)"),
        N_("Market manager (approved)"),
        N_("Maintained in the system by"),
    ),
}
SIGN_LINE = N_("Signature: ____________________    Date: ______ / ____ / ____")


def fetch_case(client: SyncClient, case_id: str, kind: str | None = None) -> Case:
    """The case ``case_id`` with every step, from the server: an onboarding case or a change request
    (``kind`` "onboarding" or "change"; None: whichever it is). Not found: a UserFacingError."""
    case_id = case_id.strip().lower()
    if not CASE_ID.fullmatch(case_id):
        raise UserFacingError(N_("There is no request {case} that you may see."), case=case_id[:40])
    for k in (kind,) if kind else ("onboarding", "change"):
        try:
            return client.case(k, case_id)
        except SyncError as exc:
            code = str(getattr(exc, "code", "") or "")
            if exc.kind is SyncErrorKind.REFUSED and code.endswith("not_found"):
                continue
            raise
    raise UserFacingError(N_("There is no request {case} that you may see."), case=case_id)


def form_kind(case: Case) -> str:
    """Which form a case prints as: onboarding → 新入网申请表; a change of phone numbers only → 电话号码申请变更表;
    a city task order → 任务单; any other change path → 修改维护表."""
    if case.kind == ONBOARDING:
        return ONBOARDING
    keys = {k for it in case.items for k in it.changes}
    if keys and keys <= PHONE_FIELDS:
        return PHONE
    return TASK_ORDER if case.kind == "city" else MODIFY


def _value(form: FormDefinition, key: str, value: object, lang: str) -> str:
    if value in (None, "", []):
        return ""
    return str(converter(form[key], lang)(value)) if key in form else str(value)


def _label(form: FormDefinition, key: str, lang: str) -> str:
    return form[key].label(lang) if key in form else key


def _customer_rows(
    form: FormDefinition, keys: tuple[str, ...], c: Customer | None, item: ChangeItem | Case, lang: str
) -> tuple[tuple[str, str], ...]:
    """(label, value) of ``keys``: from the archive's customer, else the code and name the case holds."""
    values = dict(c.values) if c is not None else {"shop_name": item.shop_name}
    values["customer_code"] = (c.code if c is not None else None) or item.customer_code
    return tuple((_label(form, k, lang), _value(form, k, values.get(k), lang)) for k in keys if k in form)


def _masked_note(form: FormDefinition, keys: tuple[str, ...], lang: str) -> str:
    return (
        translate(N_("Resident ID and bank account numbers are shown masked."), lang)
        if any(k in form and form[k].type in MASKED_TYPES for k in keys)
        else ""
    )


def _absent(lang: str) -> str:
    return translate(
        N_(
            "This customer is not in this archive: only the code, name and changes the server's case holds are printed."
        ),
        lang,
    )


def owner_text(step: CaseStep, lang: str) -> str:
    if step.owner in ROLES:
        return translate(ROLES[step.owner], lang)
    return step.owner_name or step.owner.split(":", 1)[-1]


def step_rows(case: Case, lang: str) -> tuple[tuple[str, str], ...]:
    """Each step: done (who, when, late or not, the note), waiting (its deadline) or not started."""
    rows = []
    for s in case.steps:
        label = f"{s.position}. {s.name}（{owner_text(s, lang)}）"
        if s.done_at:
            who = s.done_by_display or s.done_by or "—"
            text = translate(N_("Done by {who} at {time}"), lang).format(who=who, time=times.shown(s.done_at))
            if s.overdue:
                text += translate(N_(" (after its deadline)"), lang)
            if s.note:
                text += "\n" + translate(N_("Note: {note}"), lang).format(note=s.note)
        elif s.started_at:
            text = (
                translate(N_("Waiting, due {time}"), lang).format(time=times.shown(s.deadline))
                if s.deadline
                else translate(N_("Waiting, no time limit"), lang)
            )
        else:
            text = translate(N_("Not started"), lang)
        rows.append((label, text))
    return tuple(rows)


def _notice_rows(case: Case, lang: str) -> tuple[tuple[str, str], ...]:
    kinds = {"phone": N_("Phone call"), "customer": N_("Customer told")}
    return tuple(
        (
            f"{n.position}. {translate(kinds[n.kind], lang) if n.kind in kinds else n.kind}",
            f"{n.party} {n.number} {times.shown(n.at)}: {n.outcome}".replace("  ", " "),
        )
        for n in case.notices
    )


def _change_sections(session: Session, case: Case, kind: str, lang: str) -> list[Section]:
    form, arc = session.form, session._archive
    out = []
    many = len(case.items) > 1
    for n, it in enumerate(case.items, start=1):
        c = arc.customers.get(it.record_id)
        c = None if c is None or c.deleted else c
        heading = translate(N_("Customer"), lang) + (f" {n}" if many else "")
        keys = CHANGE_FIELDS
        out.append(Section(heading, _customer_rows(form, keys, c, it, lang), "" if c else _absent(lang), c is None))
        changed = []
        for key, new in it.changes.items():
            new_text = _value(form, key, new, lang) or translate(N_("(cleared)"), lang)
            if kind == PHONE:
                old = _value(form, key, c.values.get(key), lang) if c is not None else ""
                old = old if old and old != new_text else "____________"
                changed.append(
                    (_label(form, key, lang), translate(N_("from {old} to {new}"), lang).format(old=old, new=new_text))
                )
            else:
                changed.append((_label(form, key, lang), new_text))
        note = _masked_note(form, tuple(it.changes), lang)
        out.append(Section(translate(N_("Changed to"), lang), tuple(changed), note))
    return out


def printout(session: Session, case: Case, lang: str) -> Printout:
    """The form of ``case`` filled from it and this archive's customers, in ``lang``."""
    form, kind = session.form, form_kind(case)
    status = translate(N_("Finished") if case.status == "done" else N_("In progress"), lang)
    request = [(translate(N_("Request number"), lang), case.id)]
    if case.kind == ONBOARDING:
        request.append((translate(N_("Source"), lang), source_text(case.source)))
    else:
        request.append(
            (translate(N_("Path"), lang), translate(PATHS[case.kind], lang) if case.kind in PATHS else case.kind)
        )
    request += [
        (translate(N_("Received"), lang), times.shown(case.opened_at)),
        (translate(N_("Customer manager"), lang), case.customer_manager or ""),
        (translate(N_("State"), lang), status + (f" {times.shown(case.closed_at)}" if case.closed_at else "")),
    ]
    sections = [Section(translate(N_("Request"), lang), tuple(request))]
    if kind == ONBOARDING:
        c = session._archive.customers.get(case.record_id)
        c = None if c is None or c.deleted else c
        note = _masked_note(form, ONBOARDING_FIELDS, lang) if c else _absent(lang)
        sections.append(
            Section(
                translate(N_("Customer"), lang), _customer_rows(form, ONBOARDING_FIELDS, c, case, lang), note, c is None
            )
        )
    else:
        sections += _change_sections(session, case, kind, lang)
    sections.append(Section(translate(N_("Steps taken"), lang), step_rows(case, lang)))
    if case.notices:
        sections.append(Section(translate(N_("Phone calls and notices"), lang), _notice_rows(case, lang)))
    line = translate(SIGN_LINE, lang)
    sections.append(
        Section(translate(N_("Signatures"), lang), tuple((translate(s, lang), line) for s in SIGNERS[kind]))
    )
    who = " ".join(x for x in (case.customer_code, case.shop_name) if x)
    return footed(session, lang, translate(TITLES[kind], lang), who or case.record_id, sections)


def write_form(
    session: Session,
    case: Case,
    path: Path,
    *,
    lang: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> int:
    """Write the form of ``case`` to ``path`` (.pdf or .xlsx, by its suffix) and log the print; returns the
    pages of a PDF, the rows of a workbook."""
    lang = lang or current_language()
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("pdf", "xlsx"):
        raise UserFacingError(N_("The form is written as a PDF or an .xlsx file: give a name ending in .pdf or .xlsx."))
    arc = session._archive
    content = printout(session, case, lang)
    tmp = scratch.beside(path, scratch.archive_scratch(arc.path), f".{fmt}.tmp")
    try:
        tmp.open("wb").close()  # a folder that cannot be written is named now, with the system's reason
        if fmt == "pdf":
            count = write_pdf(content, tmp, progress, cancel)
        else:
            count = write_printout_sheet(content, tmp, scratch.archive_scratch(arc.path))
        os.replace(tmp, path)
    except OSError as exc:
        raise UserFacingError(
            N_("{file} cannot be written: {reason}."), file=str(path), reason=exc.strerror or str(exc)
        ) from None
    finally:
        scratch.release(tmp)
    details = {
        "file": path.name,
        "sha256": file_sha256(path),
        "format": fmt,
        "form": form_kind(case),
        "case": case.id,
        "masked": True,
    }
    for record_id in dict.fromkeys([case.record_id, *(it.record_id for it in case.items)]):
        arc.access.record(AccessKind.PRINT, session.user, record_id, details, source_ref=path.name)
    return count
