"""HTTP client of the sync protocol (docs/sync-protocol.md); the only module that imports requests.

Every request verifies TLS against the operating system's certificate store (``truststore``: a
bureau's own certificate authority installed on the computer works, verification stays on), never
follows a redirect, has connect and read timeouts, carries the protocol version, and gzips larger
JSON bodies. Plain ``http://`` is refused for anything but this computer (127.0.0.0/8, ::1,
localhost) unless ``allow_insecure`` is given (development only: ``--allow-insecure`` or
FIELDARCHIVE_ALLOW_INSECURE=1). Transport failures become ``SyncError`` kinds the app can act on:
OFFLINE and TIMEOUT (retry later), AUTH (sign in again), CLIENT_TOO_OLD (update the app),
SERVER (the server failed; retry later), REFUSED / PROTOCOL (this request is wrong).
An expired access token is refreshed once, silently; a refused refresh is AUTH.
"""

from __future__ import annotations

import gzip
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import orjson
import requests

from app import __version__
from app.errors import SyncError, UserCancelled
from app.errors import SyncErrorKind as K
from app.i18n import N_
from app.models.onboarding import Case, OpenedChange, WaitingChange, WaitingStep
from app.models.remote import (
    CreditHistory,
    CustomerAccess,
    ExportRequest,
    FeedPage,
    JobState,
    Ledger,
    LedgerRow,
    MonthlyReport,
    NoticeList,
    PhotoProgress,
    PushResult,
    RemoteCalendar,
    ServerInfo,
    SignIn,
)
from app.models.wire import API_PREFIX, MAX_CHUNK, PROTOCOL_HEADER, PROTOCOL_VERSION, ErrorCode
from app.sync import password as passwords
from app.sync import protocol, protocol_onboarding, protocol_reports
from app.sync.decoding import decode
from app.sync.transport import TrustStoreAdapter, server_url_problem, trust_context

log = logging.getLogger(__name__)
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
LEDGER_PAGE = 1000  # events per page of the modification ledger
REPORT_POLL = (0.2, 2.0)  # seconds: the first and the longest wait between polls of a report job
GZIP_ABOVE = 1024
#: a territory viewer's refusals (server/machines.py read_only, server/scope.py for_reports), in the user's language
READ_ONLY = N_("Your account only reads the reports of your territory; it cannot change anything on the server.")
UNPLACED = N_(
    "You are not placed in the territory tree yet: ask an administrator to place you at your province, city or "
    "county; you then see the reports of every team below it."
)


def _field_code(body: Any) -> str:
    """The code of the first field a refusal names ("" when none)."""
    fields = body.get("fields") if isinstance(body, dict) else None
    first = fields[0] if isinstance(fields, list) and fields else None
    return str(first.get("code", "")) if isinstance(first, dict) else ""


class TokenStore(Protocol):
    def get(self) -> dict[str, Any] | None: ...
    def set(self, tokens: dict[str, Any]) -> None: ...
    def clear(self) -> None: ...


class MemoryTokens:
    """Tokens kept for this run only (where the OS has no keyring)."""

    def __init__(self, tokens: dict[str, Any] | None = None) -> None:
        self.tokens = tokens

    def get(self) -> dict[str, Any] | None:
        return self.tokens

    def set(self, tokens: dict[str, Any]) -> None:
        self.tokens = tokens

    def clear(self) -> None:
        self.tokens = None


class SyncClient:
    def __init__(
        self,
        base_url: str,
        tokens: TokenStore,
        device_id: str,
        *,
        extra_ca: str | None = None,
        timeout: tuple[float, float] | None = None,
        allow_insecure: bool = False,
    ) -> None:
        problem = server_url_problem(base_url, allow_insecure)
        if problem is not None:
            raise problem
        if allow_insecure and server_url_problem(base_url) is not None:
            log.warning("plain http to another computer: allowed for development only (--allow-insecure)")
        self.base = base_url.strip().rstrip("/") + API_PREFIX
        self.tokens, self.device_id = tokens, device_id
        self.timeout = timeout or (CONNECT_TIMEOUT, READ_TIMEOUT)
        self.http = requests.Session()
        self.http.mount("https://", TrustStoreAdapter(trust_context(extra_ca)))
        self.http.verify = True  # never False
        self.http.headers.update(
            {
                PROTOCOL_HEADER: str(PROTOCOL_VERSION),
                "Accept-Encoding": "gzip",
                "User-Agent": f"FieldArchive/{__version__}",
            }
        )  # the server's minimum version
        self.bytes_sent = self.bytes_received = 0
        self._refresh_lock = threading.Lock()

    def close(self) -> None:
        self.http.close()

    # ---- transport ---------------------------------------------------------------------------
    def _send(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
        params: dict[str, Any] | None = None,
    ) -> requests.Response:
        h = dict(headers or {})
        data = raw
        if body is not None:
            try:
                data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: sent escaped, and the server refuses it by name
                data = json.dumps(body, separators=(",", ":")).encode("ascii")
            h["Content-Type"] = "application/json"
            if len(data) > GZIP_ABOVE:
                data, h["Content-Encoding"] = gzip.compress(data, 6), "gzip"
        if auth:
            tokens = self.tokens.get()
            if not tokens:
                raise SyncError(K.AUTH, N_("Sign in to the server first."))
            h["Authorization"] = f"Bearer {tokens['access_token']}"
        try:
            resp = self.http.request(
                method,
                self.base + path,
                data=data,
                headers=h,
                params=params,
                timeout=self.timeout,
                allow_redirects=False,
            )  # a redirect could lead the password elsewhere
        except requests.exceptions.SSLError:
            raise SyncError(
                K.PROTOCOL, N_("The server's certificate is not trusted; the connection was refused.")
            ) from None
        except requests.exceptions.Timeout:
            raise SyncError(K.TIMEOUT, N_("The server did not answer in time.")) from None
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError):
            raise SyncError(K.OFFLINE, N_("The server cannot be reached.")) from None
        except requests.exceptions.RequestException as exc:
            raise SyncError(K.PROTOCOL, N_("The request failed: {reason}"), reason=type(exc).__name__) from None
        self.bytes_sent += len(data or b"")
        self.bytes_received += len(resp.content)
        return resp

    def _json(self, resp: requests.Response) -> Any:
        try:
            return orjson.loads(resp.content)
        except ValueError:  # orjson.JSONDecodeError is one
            raise SyncError(
                K.SERVER, N_("The server sent an answer that cannot be read (HTTP {status})."), status=resp.status_code
            ) from None

    def _call(self, method: str, path: str, *, auth: bool = True, **kw: Any) -> Any:
        resp = self._send(method, path, auth=auth, **kw)
        if resp.status_code == 401 and auth:
            self.refresh()
            resp = self._send(method, path, auth=auth, **kw)
        return self._check(resp)

    def _check(self, resp: requests.Response) -> Any:
        status = resp.status_code
        if 200 <= status < 300:
            return self._json(resp) if resp.content else None
        body = {}
        try:
            body = resp.json()
        except ValueError:
            pass
        code = body.get("code", "") if isinstance(body, dict) else ""
        if status == 426:
            url = body.get("download_url") if isinstance(body, dict) else None
            if isinstance(url, str) and url:  # the server says where to get the version it needs
                raise SyncError(
                    K.CLIENT_TOO_OLD,
                    N_(
                        "The server needs FieldArchive {minimum} or newer (this is {current}). "
                        "Download it from {url} and install it; what this computer has "
                        "not synced yet stays here and is sent after the update."
                    ),
                    minimum=body.get("min_client_version") or "?",
                    current=__version__,
                    url=url,
                )
            raise SyncError(
                K.CLIENT_TOO_OLD, N_("The server needs a newer version of FieldArchive. Please update the app.")
            )
        if status == 401:
            raise SyncError(K.AUTH, N_("The server did not accept the sign-in; sign in again."))
        if status == 408:
            raise SyncError(
                K.TIMEOUT, N_("The connection was too slow to send the data; it will be tried again later.")
            )
        if status == 410:
            err = SyncError(K.REFUSED, N_("The local copy is too old to continue; it is rebuilt from the server."))
            err.code, err.horizon = "gone", body.get("horizon")
            raise err
        if status >= 500:
            raise SyncError(
                K.SERVER, N_("The server failed (HTTP {status}); it will be tried again later."), status=status
            )
        if code == ErrorCode.READ_ONLY.value or _field_code(body) == "territory.unplaced":
            err = SyncError(K.REFUSED, READ_ONLY if code == ErrorCode.READ_ONLY.value else UNPLACED)
            err.code, err.body = code, body
            raise err
        err = SyncError(
            K.REFUSED,
            N_("The server refused the request ({code}: {reason})."),
            code=code or status,
            reason=(body.get("message") if isinstance(body, dict) else "") or "",
        )
        err.code, err.body = code, body
        raise err

    # ---- accounts ----------------------------------------------------------------------------
    def info(self) -> ServerInfo:
        return decode(protocol.info_answer, self._call("GET", "/info", auth=False), "info")

    def login(self, username: str, password: str, device_name: str) -> SignIn:
        resp = self._send(
            "POST",
            "/auth/login",
            auth=False,
            body={"username": username, "password": password, "device_id": self.device_id, "device_name": device_name},
        )
        if resp.status_code == 401:
            raise SyncError(K.AUTH, N_("Wrong user name or password."))
        if passwords.is_expired(resp):  # the right password, too old: the dialog asks for a new one
            raise passwords.expired()
        if resp.status_code in (423, 429):
            raise passwords.too_many(resp)
        if resp.status_code == 409:
            raise SyncError(
                K.AUTH,
                N_(
                    "The server has this computer's archive registered to another account; "
                    "sign in from a profile created for this account."
                ),
            )
        answer = decode(protocol.sign_in_answer, self._check(resp), "login")
        self.tokens.set(_tokens(answer))
        return answer

    def refresh(self) -> None:
        with self._refresh_lock:
            tokens = self.tokens.get()
            if not tokens:
                raise SyncError(K.AUTH, N_("Sign in to the server first."))
            resp = self._send(
                "POST",
                "/auth/refresh",
                auth=False,
                body={"refresh_token": tokens["refresh_token"], "device_id": self.device_id},
            )
            if resp.status_code in (400, 401, 403):
                self.tokens.clear()
                raise SyncError(K.AUTH, N_("The server ended this device's sign-in; sign in again."))
            self.tokens.set(_tokens(decode(protocol.sign_in_answer, self._check(resp), "refresh")))

    def logout(self) -> None:
        try:
            self._call("POST", "/auth/logout")
        finally:
            self.tokens.clear()

    # ---- sync --------------------------------------------------------------------------------
    def push(self, mutations: list[dict[str, Any]]) -> list[PushResult]:
        return decode(protocol.push_answer, self._call("POST", "/sync/push", body={"mutations": mutations}), "push")

    def upload_audit(self, entries: list[dict[str, Any]]) -> int | None:
        """The newest entry the server now holds (None: the answer did not say)."""
        return decode(protocol.audit_answer, self._call("POST", "/audit", body={"entries": entries}), "audit")

    def pull(self, cursor: int, limit: int) -> FeedPage:
        return decode(
            protocol.pull_answer, self._call("GET", "/sync/pull", params={"cursor": cursor, "limit": limit}), "pull"
        )

    def credit_history(self, record_id: str) -> CreditHistory:
        """The customer's integrity-grading procedures (rating, notice, appeal, decision)."""
        return decode(protocol_reports.credit_answer, self._call("GET", f"/records/{record_id}/credit"), "credit")

    def notices(self, on: str | None = None) -> NoticeList:
        """The public notice list (公示) on ``on`` (YYYY-MM-DD; None: today on the server)."""
        params = {"on": on} if on else None
        return decode(protocol_reports.notices_answer, self._call("GET", "/credit/notices", params=params), "notices")

    # ---- governed access (server/access.py) ---------------------------------------------------------
    def customer_access(self, record_id: str) -> CustomerAccess:
        """Who opened or printed the customer (its supervisor or an admin may ask)."""
        return decode(protocol.access_answer, self._call("GET", f"/records/{record_id}/access"), "access")

    def export_requests(self) -> list[ExportRequest]:
        """The user's export requests (a supervisor's: also the team's; an admin's: all)."""
        return decode(protocol.export_requests_answer, self._call("GET", "/export-requests"), "requests")

    def request_export(self, target: str, purpose: str, reason: str, unmasked: bool) -> ExportRequest:
        body = {"target": target, "purpose": purpose, "reason": reason, "unmasked": unmasked}
        return decode(protocol.export_request_answer, self._call("POST", "/export-requests", body=body), "request")

    def decide_export(self, request_id: str, approve: bool, note: str = "") -> ExportRequest:
        body = {"approve": approve, "note": note}
        return decode(
            protocol.export_request_answer,
            self._call("POST", f"/export-requests/{request_id}/decide", body=body),
            "decision",
        )

    # ---- reports -----------------------------------------------------------------------------
    def monthly_report(
        self,
        month: str,
        progress: Callable[[int, int], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> MonthlyReport:
        """The monthly reports' figures for ``month`` (YYYY-MM) over what this user may see.

        The server produces them in the background (a province's report takes longer than the read
        timeout): the job is started, polled (``progress(done, total)`` after each poll) and its result
        downloaded. A server without report jobs answers the one request as before."""
        resp = self._send("POST", "/reports/monthly/jobs", params={"month": month})
        if resp.status_code == 401:
            self.refresh()
            resp = self._send("POST", "/reports/monthly/jobs", params={"month": month})
        if resp.status_code in (404, 405):  # an older server: the report in one request
            answer = self._call("GET", "/reports/monthly", params={"month": month})
            return decode(protocol_reports.report_answer, answer, "report")
        job = decode(protocol_reports.job_answer, self._check(resp), "report job")
        wait = REPORT_POLL[0]
        while job.state is JobState.RUNNING:
            if progress is not None:
                progress(job.done, job.total)
            sleep(wait)
            wait = min(wait * 1.5, REPORT_POLL[1])
            job = decode(
                protocol_reports.job_answer, self._call("GET", f"/reports/monthly/jobs/{job.id}"), "report job"
            )
        if job.state is not JobState.DONE:
            raise SyncError(
                K.SERVER,
                N_("The server could not produce the report ({reason})."),
                reason=job.error or job.state.value,
            )
        if progress is not None:
            progress(job.done, job.total)
        answer = self._call("GET", f"/reports/monthly/jobs/{job.id}/result")
        return decode(protocol_reports.report_answer, answer, "report")

    def ledger(
        self, start: str, end: str, collector: str | None = None, progress: Callable[[int], None] | None = None
    ) -> Ledger:
        """The modification ledger from ``start`` to ``end`` (YYYY-MM-DD, China time, inclusive) over what
        this user may see, optionally one collector's customers: its summary, then every page of rows
        (``progress(rows so far)`` after each). A server without the ledger: SyncError naming that."""
        params = {"start": start, "end": end, **({"collector": collector} if collector else {})}
        try:
            summary = decode(
                protocol_reports.ledger_summary_answer,
                self._call("GET", "/reports/ledger/summary", params=params),
                "ledger",
            )
        except SyncError as exc:
            if exc.kind is K.REFUSED and getattr(exc, "code", None) in (404, "not_found", ""):
                raise SyncError(
                    K.SERVER, N_("This server does not keep the modification ledger yet; it needs an update.")
                ) from None
            raise
        rows: list[LedgerRow] = []
        cursor: str | None = None
        while True:
            page = decode(
                protocol_reports.ledger_page_answer,
                self._call(
                    "GET",
                    "/reports/ledger",
                    params={**params, "limit": LEDGER_PAGE, **({"cursor": cursor} if cursor else {})},
                ),
                "ledger",
            )
            rows.extend(page.rows)
            if progress is not None:
                progress(len(rows))
            if page.next_cursor is None or page.next_cursor == cursor:
                break
            cursor = page.next_cursor
        return Ledger(
            start=page.start,
            end=page.end,
            generated_at=page.generated_at,
            collector=page.collector,
            user=page.user,
            display_name=page.display_name,
            collectors=page.collectors,
            masked=page.masked,
            rows=tuple(rows),
            summary=summary,
        )

    def onboarding_waiting(self) -> list[WaitingStep]:
        """The onboarding steps waiting for this user (server/onboarding.py)."""
        return decode(protocol_onboarding.waiting_answer, self._call("GET", "/onboarding/waiting"), "onboarding")

    def onboarding_step(
        self, case_id: str, step: str, revision: int, note: str, phone: dict[str, str] | None = None
    ) -> int:
        """Do a waiting step (``phone``: its phone notice: party, number, outcome, at); the case's new revision.
        A refusal is SyncError(REFUSED) with its ``code``."""
        body = {"step": step, "revision": revision, "note": note, **({"phone": phone} if phone is not None else {})}
        answer = self._call("POST", f"/onboarding/cases/{case_id}/steps", body=body)
        return decode(protocol_onboarding.case_revision, answer, "onboarding")

    def changes_waiting(self) -> list[WaitingChange]:
        """The change requests' steps waiting for this user (server/changes.py)."""
        return decode(protocol_onboarding.changes_waiting, self._call("GET", "/changes/waiting"), "changes")

    def open_change(self, body: dict[str, Any]) -> OpenedChange:
        """Open a change request (``body``: path, items, note); refused as SyncError(REFUSED) with ``code``."""
        return decode(protocol_onboarding.opened_change, self._call("POST", "/changes", body=body), "changes")

    def change_step(self, case_id: str, body: dict[str, Any]) -> int:
        """Do a change request's waiting step (``body``: step, revision, note, phone, customer_notice); the
        request's new revision. A refusal is SyncError(REFUSED) with its ``code``."""
        answer = self._call("POST", f"/changes/{case_id}/steps", body=body)
        return decode(protocol_onboarding.case_revision, answer, "changes")

    def case(self, kind: str, case_id: str) -> Case:
        """An onboarding case (``kind`` "onboarding") or a change request ("change") with every step."""
        path = f"/onboarding/cases/{case_id}" if kind == "onboarding" else f"/changes/{case_id}"
        return decode(protocol_onboarding.case_answer, self._call("GET", path), kind)

    def calendar(self, known_version: str | None = None) -> RemoteCalendar | None:
        """The server's work calendar (years, holidays, workdays, version), or None when
        ``known_version`` is still current (the server answers 304 Not Modified)."""
        headers = {"If-None-Match": f'"{known_version}"'} if known_version else None
        resp = self._send("GET", "/calendar", headers=headers)
        if resp.status_code == 401:
            self.refresh()
            resp = self._send("GET", "/calendar", headers=headers)
        if resp.status_code == 304:
            return None
        return decode(protocol.calendar_answer, self._check(resp), "calendar")

    def photo_status(self, sha: str) -> PhotoProgress:
        return decode(protocol.photo_answer, self._call("GET", f"/photos/{sha}/status"), "photo")

    def photo_chunk(self, sha: str, offset: int, total: int, chunk: bytes) -> PhotoProgress:
        headers = {
            "Upload-Offset": str(offset),
            "Upload-Length": str(total),
            "Content-Type": "application/offset+octet-stream",
        }
        resp = self._send("PATCH", f"/photos/{sha}", raw=chunk, headers=headers)
        if resp.status_code == 401:
            self.refresh()
            resp = self._send("PATCH", f"/photos/{sha}", raw=chunk, headers=headers)
        if resp.status_code == 409:  # our offset was stale: the server says where to go on
            return PhotoProgress(False, decode(protocol.photo_answer, self._json(resp), "photo").offset)
        return decode(protocol.photo_answer, self._check(resp), "photo")

    def photo_get(self, sha: str) -> bytes:
        resp = self._send("GET", f"/photos/{sha}")
        if resp.status_code == 401:
            self.refresh()
            resp = self._send("GET", f"/photos/{sha}")
        if resp.status_code != 200:
            self._check(resp)
        return resp.content

    def upload_photo(self, sha: str, data: bytes, cancel: threading.Event | None = None) -> int:
        """Resumable: ask where the server is, send the rest in chunks; returns bytes sent."""
        status = self.photo_status(sha)
        offset, sent = status.offset, 0
        if status.complete:
            return 0
        while offset < len(data):
            if cancel is not None and cancel.is_set():
                raise UserCancelled()
            chunk = data[offset : offset + MAX_CHUNK]
            answer = self.photo_chunk(sha, offset, len(data), chunk)
            sent += len(chunk)
            if answer.complete:
                return sent
            offset = answer.offset
        return sent


def _tokens(answer: SignIn) -> dict[str, Any]:
    """What the token store keeps (its stored form is unchanged: the pair and the user as the server named them)."""
    u = answer.user
    return {
        "access_token": answer.access_token,
        "refresh_token": answer.refresh_token,
        "user": {"name": u.name, "display_name": u.display_name, "role": u.role.value, "supervisor": u.supervisor},
    }
