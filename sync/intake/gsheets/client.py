"""The one way esaplan talks to Google: gspread's HTTP client, paced to the quota, on the service account.

Every call goes through gspread's :class:`~gspread.http_client.HTTPClient` (its URL templates, its
endpoint methods, its ``APIError``) with what an office running 200 schools needs on top:

- a window limit per kind of call: Google's per-user quota is 60 Sheets reads and 60 Sheets
  writes a minute, so the 61st read waits instead of failing;
- at most ``concurrency`` requests in flight, whichever thread sends them;
- retries of 408, 429, 5xx, Drive's rate-limit 403s and dropped connections, with exponential
  back-off and jitter, honouring ``Retry-After``. gspread's own ``BackOffHTTPClient`` is marked
  "not production ready" and keeps its retry counter on the class, shared by every thread.

The session is google-auth's ``AuthorizedSession`` for the service account. ``api_root`` re-roots
it at another address (the tests' local stand-in of the Sheets and Drive APIs): gspread's base
URLs are constants, so the session is where they can be redirected.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient
from gspread.urls import DRIVE_FILES_API_V3_URL, SPREADSHEETS_API_V4_BASE_URL

from rules import EsaplanError
from sync.office.settings import GoogleSettings

SCOPES = ("https://www.googleapis.com/auth/spreadsheets", "https://www.googleapis.com/auth/drive")
GOOGLE_ROOTS = ("https://sheets.googleapis.com", "https://www.googleapis.com")
SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
RETRY_CODES = {408, 429}
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
MAX_BACKOFF_S = 64.0
TIMEOUT_S = (10, 60)  # connect, read


class GoogleSetupError(EsaplanError):
    """The service-account key is missing or unusable."""


class RateWindow:
    """At most ``limit`` calls start in any ``seconds``-long window, whichever thread makes them.

    Each call reserves its start time under a lock, so waiting threads leave in order and the
    quota is never exceeded, however many threads share the window.
    """

    def __init__(
        self,
        limit: int,
        seconds: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit, self.seconds, self.clock, self.sleep = limit, seconds, clock, sleep
        self._starts: deque[float] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self.clock()
            start = max(now, self._starts[0] + self.seconds) if len(self._starts) == self.limit else now
            self._starts.append(start)
        if start > now:
            self.sleep(start - now)


class PacedHTTPClient(HTTPClient):
    """gspread's HTTP client with the quota window, the in-flight bound and retries described above."""

    def __init__(
        self, auth: Any, session: requests.Session, *, pace: GoogleSettings, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        super().__init__(auth, session)
        self.pace, self.sleep = pace, sleep
        self.reads = RateWindow(pace.reads_per_minute, sleep=sleep)
        self.writes = RateWindow(pace.writes_per_minute, sleep=sleep)
        self.in_flight = threading.BoundedSemaphore(pace.concurrency)
        self.set_timeout(TIMEOUT_S)

    def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> requests.Response:
        window = None
        if endpoint.startswith(SPREADSHEETS_API_V4_BASE_URL):
            window = self.reads if method.lower() == "get" else self.writes
        for attempt in range(self.pace.retries + 1):
            if window is not None:
                window.wait()
            try:
                with self.in_flight:
                    return super().request(method, endpoint, *args, **kwargs)
            except APIError as error:
                if attempt == self.pace.retries or not _retryable(error):
                    raise
                delay = _retry_after(error.response)
                delay = self._backoff(attempt) if delay is None else delay
            except (requests.ConnectionError, requests.Timeout):
                if attempt == self.pace.retries:
                    raise
                delay = self._backoff(attempt)
            self.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _backoff(self, attempt: int) -> float:
        """Exponential back-off with jitter: about 1, 2, 4, 8 ... times ``backoff_s``, capped."""
        return min(MAX_BACKOFF_S, self.pace.backoff_s * 2**attempt) * random.uniform(0.5, 1.0)


def _retryable(error: APIError) -> bool:
    code = error.response.status_code
    if code in RETRY_CODES or code >= 500:
        return True
    reasons = {e.get("reason") for e in (error.error.get("errors") or []) if isinstance(e, dict)}
    return code == 403 and bool(reasons & RATE_REASONS)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return min(MAX_BACKOFF_S, float(value)) if value.replace(".", "", 1).isdigit() else None


class RerootedSession(AuthorizedSession):
    """google-auth's authorised session, sending Google API calls to ``api_root`` when one is set."""

    def __init__(self, credentials: Any, api_root: str = "") -> None:
        super().__init__(credentials)
        self.api_root = api_root.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if self.api_root:
            for root in GOOGLE_ROOTS:
                if url.startswith(root + "/"):
                    url = self.api_root + url[len(root) :]
                    break
        return super().request(method, url, *args, **kwargs)


@dataclass(frozen=True)
class DriveFile:
    """A spreadsheet as Drive lists it: when it last changed, and whether that change was ours."""

    id: str
    name: str
    modified: str  # RFC 3339, compared as text: Drive gives the same text for the same moment
    by_me: bool
    parents: tuple[str, ...] = ()

    @property
    def modified_at(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.modified.replace("Z", "+00:00"))


class Google:
    """The calls esaplan makes, each one HTTP request (listing pages aside), on one paced client."""

    def __init__(self, settings: GoogleSettings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        try:
            credentials = service_account.Credentials.from_service_account_file(
                str(settings.credentials), scopes=SCOPES
            )
        except FileNotFoundError:
            raise GoogleSetupError(
                f"ไม่พบไฟล์กุญแจบัญชีบริการ Google ที่ {settings.credentials} (ดูวิธีสร้างใน README หัวข้อ Google Sheets)",
                f"no Google service-account key at {settings.credentials} (see the README's Google Sheets section)",
                path=settings.credentials,
            ) from None
        except (ValueError, KeyError, json.JSONDecodeError, GoogleAuthError) as exc:
            raise GoogleSetupError(
                f"ไฟล์กุญแจบัญชีบริการ {settings.credentials} ใช้ไม่ได้ ({exc}): ดาวน์โหลดไฟล์ JSON ใหม่จาก Google Cloud Console",
                f"the service-account key {settings.credentials} is unusable ({exc})",
                path=settings.credentials,
            ) from None
        self.settings = settings
        self.account: str = credentials.service_account_email
        self.http = PacedHTTPClient(None, RerootedSession(credentials, settings.api_root), pace=settings, sleep=sleep)

    def spreadsheets(self) -> dict[str, DriveFile]:
        """Every spreadsheet the service account can see, with its modifiedTime: one listing for all schools."""
        params: dict[str, Any] = {
            "q": f"mimeType='{SPREADSHEET_MIME}' and trashed=false",
            "pageSize": 1000,
            "supportsAllDrives": True,
            "includeItemsFromAllDrives": True,
            "fields": "nextPageToken,files(id,name,modifiedTime,parents,lastModifyingUser(me))",
        }
        return {f.id: f for f in self._pages(params)}

    def _pages(self, params: dict[str, Any]) -> Iterator[DriveFile]:
        while True:
            page = self.http.request("get", DRIVE_FILES_API_V3_URL, params=params).json()
            for item in page.get("files", []):
                by_me = bool((item.get("lastModifyingUser") or {}).get("me"))
                yield DriveFile(
                    item["id"],
                    item.get("name", ""),
                    item.get("modifiedTime", ""),
                    by_me,
                    tuple(item.get("parents") or ()),
                )
            if not page.get("nextPageToken"):
                return
            params = {**params, "pageToken": page["nextPageToken"]}

    def file(self, file_id: str) -> dict[str, Any]:
        """One file's Drive metadata (to say why a sheet is no longer listed)."""
        params = {"fields": "id,name,mimeType,trashed", "supportsAllDrives": True}
        return self.http.request("get", f"{DRIVE_FILES_API_V3_URL}/{file_id}", params=params).json()

    def copy(self, template_id: str, name: str, folder_id: str) -> str:
        """Copy the template spreadsheet into the folder; returns the new spreadsheet's id."""
        body: dict[str, Any] = {
            "name": name,
            "mimeType": SPREADSHEET_MIME,
            **({"parents": [folder_id]} if folder_id else {}),
        }
        return self.http.request(
            "post",
            f"{DRIVE_FILES_API_V3_URL}/{template_id}/copy",
            json=body,
            params={"supportsAllDrives": True, "fields": "id"},
        ).json()["id"]

    def share(self, file_id: str, email: str, message: str) -> None:
        """Give ``email`` edit rights, with Google's notification e-mail carrying ``message``."""
        self.http.insert_permission(file_id, email, perm_type="user", role="writer", notify=True, email_message=message)

    def tabs(self, spreadsheet_id: str) -> Mapping[str, Any]:
        """Tab titles and ids, and the protected ranges esaplan already set."""
        fields = "sheets(properties(sheetId,title),protectedRanges(protectedRangeId,description))"
        return self.http.fetch_sheet_metadata(spreadsheet_id, params={"fields": fields})

    def values(self, spreadsheet_id: str, ranges: list[str]) -> dict[str, Any]:
        """All ``ranges`` in one values batch-get, formulas as their text and dates as shown."""
        params: dict[str, Any] = {
            "valueRenderOption": "FORMULA",
            "dateTimeRenderOption": "FORMATTED_STRING",
            "majorDimension": "ROWS",
        }
        return self.http.values_batch_get(spreadsheet_id, ranges, params=params)

    def update(self, spreadsheet_id: str, requests_: list[dict[str, Any]]) -> dict[str, Any]:
        """One ``spreadsheets.batchUpdate`` with all of ``requests_``."""
        return self.http.batch_update(spreadsheet_id, {"requests": requests_})


def api_message(error: Exception) -> str:
    """A short text of what Google (or the network) said, for staff and the log."""
    if isinstance(error, APIError):
        return f"{error.response.status_code} {error.error.get('message', '')}".strip()
    return type(error).__name__
