"""The retailer's printable copy of one customer's archive (零售客户档案 · 基础信息确认单) as PDF.

What it holds (docs/domain.md, "The printable copy"): the customer code and status; the basic information
F3 L318–319 names (app.validation.consent.SIGNED_FIELDS), under the form's own group headings, labels in
the user's language; the consent record (its date and form, F3 L211); the latest signature (F3 L320) with
its picture, its day, the verifier, the version it confirms and whether it is still current (已过期 with
the fields changed since); the record's history of changes (when, who, which field, before and after,
masked like the values), its integrity entries (诚信档案: day, kind, source, what, how handled, who recorded
it) and its complaints and how each was handled (the complainant left out), so the copy answers a retailer's
request to see its own archive (F3 L236); a footer on every page: printed when (China time), by whom, page x/y.

ID and bank numbers are masked (first 6 / last 4) as in an export; in full only under the user's approved
export request that allows it (app.services.exporting.approved_request, the export's rule). The file is
written beside the target and renamed, so a failed or cancelled printout leaves nothing; a finished one is
logged in the access log as a print of that customer (file, SHA-256, pages, masked), which the server
lists with who opened the customer (audit R9, R10: 打印 … 应有记录; F3 L236: 商户申请查阅).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from app import scratch
from app.errors import UserFacingError
from app.export.pdf import Printout, Section, write_pdf
from app.i18n import N_, current_language, translate
from app.models import times
from app.models.catalogue import FormDefinition
from app.models.integrity import Complaint, IntegrityEntry
from app.models.record import STATUS_MSGIDS, AuditEntry, Customer, CustomerStatus
from app.models.signature import Signature
from app.models.wire import AccessKind
from app.services import records
from app.services.exporting import MASKED_TYPES, approved_request, converter, file_sha256
from app.services.session import Session
from app.validation.consent import SIGNED_FIELDS, consent_recorded
from app.validation.integrity import CHANNEL_LABELS, KIND_LABELS, SOURCE_LABELS, STATUS_LABELS

#: The consent record's fields (F3 L211 第五条: 书面同意或授权), printed in form order.
CONSENT_FIELDS = ("consent_signed", "consent_date", "consent_form")

Progress = Callable[[int, int], None]

#: How the history names what was done (the customer page's history tab says the same).
ACTIONS = {
    "create": N_("Created"),
    "update": N_("Changed"),
    "status": N_("Status"),
    "delete": N_("Deleted"),
    "check": N_("Check recorded"),
    "review": N_("Review decision"),
    "closure": N_("Closed or reopened"),
}


def find_customer(session: Session, code: str) -> Customer:
    """The live customer whose code (official or provisional) or internal id is ``code``; else a refusal."""
    code = code.strip()
    c = session._archive.customers.by_code(code) if code else None
    if c is None or c.deleted:
        raise UserFacingError(N_("No customer with the code {code} in this archive."), code=code)
    return c


def _value(form: FormDefinition, key: str, c: Customer, lang: str, unmasked: bool) -> str:
    v = c.values.get(key)
    if v in (None, "", []):
        return ""
    return str(converter(form[key], lang, unmasked)(v))


def basic_sections(form: FormDefinition, c: Customer, lang: str, unmasked: bool) -> list[Section]:
    """The printed fields under their form groups (in form order), then a note when numbers are masked."""
    head = form.get("customer_code")
    code_label = head.label(lang) if head else translate(N_("Customer code"), lang)
    out = [
        Section(
            translate(N_("Customer"), lang),
            ((code_label, c.code or ""), (translate(N_("Status"), lang), translate(STATUS_MSGIDS[c.status], lang))),
        )
    ]
    printed = set(SIGNED_FIELDS)
    for g in form.groups:
        rows = tuple(
            (f.label(lang), _value(form, f.key, c, lang, unmasked)) for f in form.fields_in(g.key) if f.key in printed
        )
        if rows:
            out.append(Section(g.label(lang), rows))
    masked = not unmasked and any(f.type in MASKED_TYPES for f in form.fields if f.key in printed)
    if masked:
        last = out[-1]
        note = translate(N_("Resident ID and bank account numbers are shown masked."), lang)
        out[-1] = Section(last.heading, last.rows, note)
    return out


def consent_section(form: FormDefinition, c: Customer, lang: str) -> Section:
    rows = tuple((form[k].label(lang), _value(form, k, c, lang, True)) for k in CONSENT_FIELDS if k in form)
    if consent_recorded(c.values):
        return Section(translate(N_("Consent to collection"), lang), rows)
    note = translate(N_("No written consent is recorded for this customer."), lang)
    return Section(translate(N_("Consent to collection"), lang), rows, note, warn=True)


def signature_section(form: FormDefinition, sig: Signature | None, image: bytes | None, lang: str) -> Section:
    """The latest signature: its picture, day, verifier, the version it confirms and its state (已过期 …)."""
    heading = translate(N_("Customer signature"), lang)
    if sig is None:
        return Section(heading, (), translate(N_("Not signed by the customer yet."), lang), warn=True)
    if sig.outdated:
        fields = "、".join((form[k].label(lang) if k in form else k) for k in sig.changed)
        state, warn = (
            translate(N_("Outdated: changed since it was signed: {fields}."), lang).format(fields=fields),
            True,
        )
    else:
        state, warn = translate(N_("Current."), lang), False
    rows = (
        (translate(N_("Signed on"), lang), sig.signed_on),
        (translate(N_("Verified by"), lang), sig.verified_by),
        (translate(N_("Version confirmed"), lang), f"{sig.version} ({sig.digest[:12]})"),
        (translate(N_("Recorded at"), lang), times.shown(sig.recorded_at)),
        (translate(N_("State"), lang), state),
    )
    confirm = translate(
        N_("The customer signed to confirm that the basic information above is true, accurate, complete and valid."),
        lang,
    )
    return Section(heading, rows, state if warn else confirm, warn, image)


def _shown(form: FormDefinition, field: str | None, value: object, lang: str, unmasked: bool) -> str:
    """A value of the history as the copy shows it: labels for choices, ID and bank numbers masked."""
    if value in (None, "", []):
        return ""
    spec = form.get(field or "")
    if spec is None:
        return str(value)
    return str(converter(spec, lang, unmasked)(value))


def _status(value: object, lang: str) -> str:
    try:
        return translate(STATUS_MSGIDS[CustomerStatus(value)], lang)
    except (ValueError, KeyError):
        return str(value or "")


def history_section(form: FormDefinition, entries: list[AuditEntry], lang: str, unmasked: bool) -> Section:
    """Every change of the record, oldest first: when (China time), who, what (the field), before, after."""
    rows = []
    for e in entries:
        what = translate(ACTIONS.get(e.action, e.action), lang)
        before = after = ""
        if e.action == "update":
            spec = form.get(e.field or "")
            what = spec.label(lang) if spec else (e.field or "")
            before, after = _shown(form, e.field, e.old, lang, unmasked), _shown(form, e.field, e.new, lang, unmasked)
        elif e.action == "status":
            before, after = _status(e.old, lang), _status(e.new, lang)
        elif e.action == "closure" and isinstance(e.new, dict):
            after = " ".join(str(e.new.get(k) or "") for k in ("day", "reason")).strip()
        elif e.action == "check":
            after = str(e.new or "")
        rows.append((times.shown(e.at), e.by or e.actor, what, before, after))
    columns = tuple(translate(m, lang) for m in (N_("When"), N_("Who"), N_("What"), N_("Before"), N_("After")))
    note = "" if rows else translate(N_("No change is recorded."), lang)
    return Section(translate(N_("History of changes"), lang), tuple(rows), note, columns=columns)


def integrity_section(entries: list[IntegrityEntry], lang: str) -> Section:
    """The integrity archive's entries (诚信档案), oldest first: day, kind, source, what, how handled, by whom."""
    rows = tuple(
        (
            e.occurred_on,
            translate(KIND_LABELS.get(e.kind, e.kind), lang),
            translate(SOURCE_LABELS.get(e.source, e.source), lang),
            e.text,
            e.handling,
            e.recorded_by,
        )
        for e in sorted(entries, key=lambda e: (e.occurred_on, e.recorded_at))
    )
    columns = tuple(
        translate(m, lang)
        for m in (
            N_("Date"),
            N_("Kind"),
            N_("Source"),
            N_("What happened"),
            N_("Handling"),
            N_("Recorded by"),
        )
    )
    note = "" if rows else translate(N_("No integrity entry is recorded."), lang)
    return Section(translate(N_("Integrity archive"), lang), rows, note, columns=columns)


def complaints_section(complaints: list[Complaint], lang: str) -> Section:
    """The consumer complaints about the outlet (投诉) and how each was handled, oldest first: received, channel,
    what, state, handling and answer, closed. The complainant is not printed: the copy goes to the retailer,
    and the complainant is kept apart from the outlet's own data (F3 L167)."""
    rows = tuple(
        (
            k.received_on,
            translate(CHANNEL_LABELS.get(k.channel, k.channel), lang),
            k.content,
            translate(STATUS_LABELS.get(k.status, k.status), lang),
            "\n".join(x for x in (k.handling, k.answer, k.response) if x),
            k.closed_on,
        )
        for k in sorted(complaints, key=lambda k: (k.received_on, k.id))
    )
    heads = (N_("Received"), N_("Channel"), N_("Complaint"), N_("State"), N_("Handling and answer"), N_("Closed on"))
    note = "" if rows else translate(N_("No complaint is recorded."), lang)
    return Section(translate(N_("Complaints"), lang), rows, note, columns=tuple(translate(m, lang) for m in heads))


def printout(session: Session, c: Customer, lang: str, unmasked: bool) -> Printout:
    arc, form = session._archive, session.form
    sigs = arc.signatures.of_customer(c.id, c.values)
    latest = sigs[0] if sigs else None
    image = arc.media.photo_data(latest.image) if latest else None
    sections = [*basic_sections(form, c, lang, unmasked), consent_section(form, c, lang)]
    sections.append(signature_section(form, latest, image, lang))
    sections.append(history_section(form, records.history(session, c.id), lang, unmasked))
    sections.append(integrity_section(arc.integrity.entries(c.id), lang))
    sections.append(complaints_section(arc.integrity.complaints(c.id), lang))
    return footed(session, lang, form.title(lang), translate(N_("Basic information confirmation"), lang), sections)


def footed(session: Session, lang: str, title: str, subtitle: str, sections: Sequence[Section]) -> Printout:
    """A printout with the footer of every page this app prints: printed when (China time) and by whom (the
    signed-in user), page x/y; the customer's copy and the request forms (app.services.case_forms)."""
    footer = translate(N_("Printed {time} (China time) by {who}"), lang).format(
        time=times.shown(times.now(), seconds=True), who=session.user or "—"
    )
    return Printout(
        title, subtitle, tuple(sections), footer, translate(N_("Page {page}/{pages}"), lang), author="FieldArchive"
    )


def print_customer(
    session: Session,
    customer_id: str,
    path: Path,
    *,
    lang: str | None = None,
    unmasked: bool = False,
    request_id: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> int:
    """Write the printable copy of ``customer_id`` to ``path`` (a PDF) and log it; returns the pages.
    ``unmasked``: ID and bank numbers in full, refused without an approved request that allows it."""
    lang = lang or current_language()
    arc = session._archive
    c = arc.customers.get(customer_id)
    if c is None or c.deleted:
        raise UserFacingError(N_("No customer with the code {code} in this archive."), code=customer_id)
    if unmasked:
        request_id = approved_request(session, "unmasked", request_id).id
    content = printout(session, c, lang, unmasked)
    tmp = scratch.beside(path, scratch.archive_scratch(arc.path), ".pdf.tmp")
    try:
        tmp.open("wb").close()  # a folder that cannot be written is named now, with the system's reason
        pages = write_pdf(content, tmp, progress, cancel)
        os.replace(tmp, path)
    except OSError as exc:
        raise UserFacingError(
            N_("{file} cannot be written: {reason}."), file=str(path), reason=exc.strerror or str(exc)
        ) from None
    finally:
        scratch.release(tmp)
    details: dict[str, object] = {
        "file": path.name,
        "sha256": file_sha256(path),
        "pages": pages,
        "format": "pdf",
        "masked": not unmasked,
        "contents": ["basic", "consent", "signature", "history", "integrity", "complaints"],
    }
    if unmasked and request_id:
        details["request"] = request_id
    arc.access.record(AccessKind.PRINT, session.user, c.id, details, source_ref=path.name)
    return pages
