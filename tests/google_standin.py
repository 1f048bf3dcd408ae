"""A local stand-in of the Google Sheets v4 and Drive v3 endpoints esaplan uses, served on loopback.

gspread's real client code (and google-auth's service-account token flow) talks to it over HTTP,
exactly as to Google: the token endpoint checks the signed JWT's claims and hands out a bearer
token that every other call must carry. Spreadsheets live in memory as tabs of cells; formulas
are kept as their text, the way the FORMULA value rendering returns them. The stand-in records
every request (to count what a run costs), the most requests in flight at once, and can be told
to fail: 404 for deleted or unshared files, 403 and 429 on demand, 400 for a tab that is gone.

It implements what esaplan calls, with Google's semantics where they matter (paging, whole-tab
ranges trimmed of trailing blanks, ``updateCells`` clearing the rest of its range, 400 for an
unknown grid id or range) and refuses what it does not know, so a new call shows up in tests.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import io
import json
import logging
import re
import secrets
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, abort, jsonify, request
from openpyxl import load_workbook

from tests.conftest import serve_wsgi

SPREADSHEET = "application/vnd.google-apps.spreadsheet"
ACCOUNT = "esaplan-sync@esaplan-test.iam.gserviceaccount.com"
A1 = re.compile(r"^([A-Z]+)(\d+)$")


def formatted(value: Any) -> Any:
    """A cell value as Google's FORMATTED_STRING rendering returns it: a date as d/m/yyyy text."""
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.day}/{value.month}/{value.year}"
    return value


@dataclass
class Tab:
    gid: int
    title: str
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)
    protected: list[dict[str, Any]] = field(default_factory=list)

    def grid(self) -> list[list[Any]]:
        """Values as the API returns a whole tab: rows up to the last non-blank, each trimmed at its end."""
        if not self.cells:
            return []
        rows: list[list[Any]] = [[] for _ in range(max(r for r, _ in self.cells) + 1)]
        for (r, c), value in sorted(self.cells.items()):
            rows[r] += [""] * (c - len(rows[r])) + [value]
        return rows


@dataclass
class File:
    id: str
    name: str
    parents: list[str]
    tabs: list[Tab]
    modified: str
    by_me: bool = True
    trashed: bool = False
    visible: bool = True  # False: deleted, or no longer shared with the service account
    permissions: list[dict[str, Any]] = field(default_factory=list)

    def tab(self, title: str) -> Tab | None:
        return next((t for t in self.tabs if t.title == title), None)


class GoogleStandIn:
    """The in-memory Google and the Flask app serving it; see the module docstring."""

    def __init__(self, *, page_size: int = 1000) -> None:
        self.files: dict[str, File] = {}
        self.page_size = page_size
        self.log: list[tuple[str, str]] = []
        self.faults: list[tuple[str, int, int | None, str]] = []  # (path fragment, status, Retry-After, reason)
        self.tokens: set[str] = set()
        self.in_flight = self.most_in_flight = 0
        self._lock = threading.Lock()
        self._clock = dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC)
        self.app = self._make_app()

    # --- what tests do to it ------------------------------------------------------------------

    def tick(self) -> str:
        """A new modifiedTime, one second after the last (Drive's times always move forward)."""
        self._clock += dt.timedelta(seconds=1)
        return self._clock.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def import_xlsx(self, content: bytes, name: str, parents: list[str] | None = None) -> str:
        """Upload-and-convert an xlsx, as staff do with the template: values, formulas as text, tab order."""
        book = load_workbook(io.BytesIO(content))
        tabs = []
        for index, sheet in enumerate(book.worksheets):
            tab = Tab(gid=0 if index == 0 else 1000 + index, title=sheet.title)
            for row in sheet.iter_rows():
                for cell in row:
                    value = cell.value
                    if value is None:
                        continue
                    tab.cells[(cell.row - 1, cell.column - 1)] = formatted(value)
            tabs.append(tab)
        file_id = secrets.token_urlsafe(12)
        self.files[file_id] = File(file_id, name, parents or [], tabs, self.tick())
        return file_id

    def edit(self, file_id: str, tab: str, cell: str, value: Any) -> None:
        """A school types into its sheet (the last change is then not the service account's)."""
        target = self.files[file_id].tab(tab)
        assert target is not None, f"no tab {tab}"
        if value in (None, ""):
            target.cells.pop(_position(cell), None)
        else:
            target.cells[_position(cell)] = value
        self._touched(file_id, by_me=False)

    def value(self, file_id: str, tab: str, cell: str) -> Any:
        found = self.files[file_id].tab(tab)
        return found.cells.get(_position(cell)) if found else None

    def fail(
        self, fragment: str, status: int, times: int = 1, retry_after: int | None = None, reason: str = ""
    ) -> None:
        """The next ``times`` requests whose path contains ``fragment`` answer ``status`` (Drive's ``reason`` if given)."""
        self.faults += [(fragment, status, retry_after, reason)] * times

    def count(self, kind: str) -> int:
        """Requests of one kind: 'list', 'file', 'copy', 'share', 'meta', 'values', 'update', 'refused 429' ..."""
        return Counter(k for k, _ in self.log)[kind]

    def _touched(self, file_id: str, *, by_me: bool) -> None:
        file = self.files[file_id]
        file.modified, file.by_me = self.tick(), by_me

    # --- the HTTP side ------------------------------------------------------------------------

    def _make_app(self) -> Flask:
        app = Flask("google-standin")

        @app.before_request
        def gate() -> Any:
            with self._lock:
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
            if request.path == "/token":
                return None
            if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
                return _error(401, "Request had invalid authentication credentials.")
            for index, (fragment, status, retry_after, reason) in enumerate(self.faults):
                if fragment in request.path:
                    del self.faults[index]
                    self.log.append((f"refused {status}", request.path))
                    response = _error(
                        status,
                        {
                            429: "Quota exceeded for quota metric 'Read requests'",
                            403: "The caller does not have permission",
                        }.get(status, "Backend Error"),
                        reason,
                    )
                    if retry_after is not None:
                        response.headers["Retry-After"] = str(retry_after)
                    return response
            return None

        @app.teardown_request
        def done(_exc: Any) -> None:
            with self._lock:
                self.in_flight -= 1

        @app.post("/token")
        def token() -> Any:
            assertion = request.form["assertion"]
            claims = json.loads(base64.urlsafe_b64decode(assertion.split(".")[1] + "=="))
            if claims["iss"] != ACCOUNT or "spreadsheets" not in claims["scope"]:
                return _error(401, "invalid_grant")
            issued = secrets.token_urlsafe(16)
            self.tokens.add(issued)
            return jsonify(access_token=issued, expires_in=3600, token_type="Bearer")

        @app.get("/drive/v3/files")
        def list_files() -> Any:
            self.log.append(("list", request.full_path))
            wanted = _query(request.args["q"])
            found = [f for f in self.files.values() if f.visible and all(test(f) for test in wanted)]
            start = int(request.args.get("pageToken") or 0)
            size = min(int(request.args.get("pageSize", 100)), self.page_size)
            page = found[start : start + size]
            body: dict[str, Any] = {"files": [_drive(f) for f in page]}
            if start + size < len(found):
                body["nextPageToken"] = str(start + size)
            return jsonify(body)

        @app.get("/drive/v3/files/<file_id>")
        def get_file(file_id: str) -> Any:
            self.log.append(("file", file_id))
            file = self._file(file_id, trashed_ok=True)
            return jsonify(id=file.id, name=file.name, mimeType=SPREADSHEET, trashed=file.trashed)

        @app.post("/drive/v3/files/<file_id>/copy")
        def copy_file(file_id: str) -> Any:
            self.log.append(("copy", file_id))
            source = self._file(file_id)
            body = request.get_json()
            new_id = secrets.token_urlsafe(12)
            self.files[new_id] = File(
                new_id, body["name"], body.get("parents", []), copy.deepcopy(source.tabs), self.tick()
            )
            return jsonify(id=new_id)

        @app.post("/drive/v3/files/<file_id>/permissions")
        def share(file_id: str) -> Any:
            self.log.append(("share", file_id))
            file = self._file(file_id)
            body = request.get_json()
            permission = {
                "id": secrets.token_hex(4),
                "type": body["type"],
                "role": body["role"],
                "emailAddress": body.get("emailAddress"),
                "message": request.args.get("emailMessage"),
            }
            file.permissions.append(permission)
            return jsonify(permission)

        @app.get("/v4/spreadsheets/<file_id>")
        def metadata(file_id: str) -> Any:
            self.log.append(("meta", file_id))
            file = self._file(file_id)
            sheets = [
                {"properties": {"sheetId": t.gid, "title": t.title, "index": i}, "protectedRanges": t.protected}
                for i, t in enumerate(file.tabs)
            ]
            return jsonify(spreadsheetId=file.id, properties={"title": file.name}, sheets=sheets)

        @app.get("/v4/spreadsheets/<file_id>/values:batchGet")
        def values(file_id: str) -> Any:
            self.log.append(("values", file_id))
            file = self._file(file_id)
            if request.args.get("valueRenderOption") != "FORMULA":
                return _error(400, "esaplan reads formulas as text")
            ranges = []
            for text in request.args.getlist("ranges"):
                match = re.fullmatch(r"'((?:[^']|'')+)'(?:!([A-Z]+\d+)(?::([A-Z]+\d+))?)?", text)
                tab = file.tab(match.group(1).replace("''", "'")) if match else None
                if tab is None:
                    return _error(400, f"Unable to parse range: {text}")
                if match.group(2) and not match.group(3):  # one cell
                    value = tab.cells.get(_position(match.group(2)))
                    ranges.append(
                        {
                            "range": text,
                            "majorDimension": "ROWS",
                            **({"values": [[value]]} if value is not None else {}),
                        }
                    )
                else:  # a whole tab, or the part from A1 to a corner
                    last_row, last_column = _position(match.group(3)) if match.group(3) else (999, 25)
                    grid = [_trimmed(row[: last_column + 1]) for row in tab.grid()[: last_row + 1]]
                    while grid and not grid[-1]:  # as the API: trailing blank rows and cells are left out
                        grid.pop()
                    ranges.append(
                        {
                            "range": f"{text.split('!')[0]}!A1:{match.group(3) or 'Z1000'}",
                            "majorDimension": "ROWS",
                            "values": grid,
                        }
                    )
            return jsonify(spreadsheetId=file.id, valueRanges=ranges)

        @app.post("/v4/spreadsheets/<path:target>")
        def batch_update(target: str) -> Any:
            file_id, _, verb = target.partition(":")
            if verb != "batchUpdate":
                abort(404)
            self.log.append(("update", file_id))
            file = self._file(file_id)
            tabs = copy.deepcopy(file.tabs)  # all or nothing, as Google applies a batch
            replies = []
            for item in request.get_json()["requests"]:
                ((kind, body),) = item.items()
                problem = _apply(tabs, kind, body)
                if problem:
                    return _error(400, problem)
                replies.append({})
            file.tabs = tabs
            self._touched(file_id, by_me=True)
            return jsonify(spreadsheetId=file_id, replies=replies)

        return app

    def _file(self, file_id: str, *, trashed_ok: bool = False) -> File:
        file = self.files.get(file_id)
        if file is None or not file.visible or (file.trashed and not trashed_ok):
            abort(_error(404, f"File not found: {file_id}."))
        return file

    @contextmanager
    def serving(self):
        """Serve on a loopback port in a thread; yields the base URL."""
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request drowns the test output
        with serve_wsgi(self.app) as base:
            yield base


def _trimmed(row: list[Any]) -> list[Any]:
    while row and row[-1] == "":
        row = row[:-1]
    return row


def _position(cell: str) -> tuple[int, int]:
    """0-based (row, column) of an A1 address: "C5" -> (4, 2)."""
    letters, row = A1.match(cell).groups()  # type: ignore[union-attr]
    column = 0
    for letter in letters:
        column = column * 26 + ord(letter) - 64
    return int(row) - 1, column - 1


def _error(status: int, message: str, reason: str = "") -> Any:
    names = {
        400: "INVALID_ARGUMENT",
        401: "UNAUTHENTICATED",
        403: "PERMISSION_DENIED",
        404: "NOT_FOUND",
        429: "RESOURCE_EXHAUSTED",
    }
    body: dict[str, Any] = {"code": status, "message": message, "status": names.get(status, "INTERNAL")}
    if reason:  # Drive's style: a list of errors with a machine-readable reason
        body["errors"] = [
            {"domain": "usageLimits" if "Rate" in reason else "global", "reason": reason, "message": message}
        ]
    response = jsonify(error=body)
    response.status_code = status
    return response


def _query(q: str) -> list[Any]:
    """The Drive query clauses esaplan sends; anything else is refused so a new query is noticed."""
    tests = []
    for clause in q.split(" and "):
        clause = clause.strip()
        if clause == f"mimeType='{SPREADSHEET}'":
            continue  # every file here is a spreadsheet
        if clause == "trashed=false":
            tests.append(lambda f: not f.trashed)
        elif match := re.fullmatch(r"'([^']+)' in parents", clause):
            parent = match.group(1)
            tests.append(lambda f, parent=parent: parent in f.parents)
        else:
            abort(_error(400, f"Invalid Value: {clause}"))
    return tests


def _drive(file: File) -> dict[str, Any]:
    return {
        "id": file.id,
        "name": file.name,
        "modifiedTime": file.modified,
        "parents": file.parents,
        "lastModifyingUser": {"me": file.by_me},
    }


def _apply(tabs: list[Tab], kind: str, body: dict[str, Any]) -> str | None:
    """Apply one batchUpdate request to ``tabs``; returns Google's 400 message when it is invalid."""
    if kind == "addSheet":
        properties = body["properties"]
        if any(t.gid == properties.get("sheetId") or t.title == properties["title"] for t in tabs):
            return f'A sheet with the name "{properties["title"]}" or id already exists.'
        tabs.insert(properties.get("index", len(tabs)), Tab(properties["sheetId"], properties["title"]))
        return None
    grid = body.get("range") or body.get("protectedRange", {}).get("range", {})
    tab = next((t for t in tabs if t.gid == grid.get("sheetId")), None)
    if tab is None:
        return f"Invalid requests[0].{kind}: No grid with id: {grid.get('sheetId')}"
    if kind == "addProtectedRange":
        tab.protected.append({"protectedRangeId": len(tab.protected) + 1, **body["protectedRange"]})
        return None
    if kind == "updateCells":
        if body.get("fields") != "userEnteredValue":
            return "esaplan writes values only"
        top, left = grid.get("startRowIndex", 0), grid.get("startColumnIndex", 0)
        bottom, right = grid.get("endRowIndex", 10**6), grid.get("endColumnIndex", 10**6)
        for key in [k for k in tab.cells if top <= k[0] < bottom and left <= k[1] < right]:
            del tab.cells[key]  # fields not covered by rows are cleared
        for r, row in enumerate(body.get("rows", [])):
            for c, cell in enumerate(row.get("values", [])):
                entered = cell.get("userEnteredValue")
                if entered:
                    ((_, value),) = entered.items()
                    tab.cells[(top + r, left + c)] = value
        return None
    return f"Unknown request {kind}"


def service_account_key(folder: Path, token_uri: str) -> Path:
    """A real service-account key file (fresh RSA key) whose token endpoint is the stand-in's."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path = folder / "google-service-account.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "esaplan-test",
                "private_key_id": "k1",
                "private_key": pem,
                "client_email": ACCOUNT,
                "client_id": "1",
                "token_uri": token_uri,
            }
        ),
        encoding="utf-8",
    )
    return path
