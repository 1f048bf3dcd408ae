"""A school's own page, reached by its signed link (no account): its template, an upload form, the
check of what it sent, cell by cell, at once, and the history of what it sent.

The school is the one inside the link's signature, never a form field, so a link submits for its
own school only. The upload goes through the same intake as every channel (content checks,
validation, the ledger): a file that is not a plain .xlsx is refused by its content whatever its
name, and the name it had is kept as text, never used as a path.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, render_template, request, send_file

from sync.intake.keep import ingest
from sync.intake.templates import write_template
from sync.ledger.records import Incoming
from sync.ledger.status import deadline
from sync.office.registry import Unit, load_registry, sets_for
from sync.service.web.context import check_csrf, client_ip, services

blueprint = Blueprint("school", __name__, url_prefix="/s")


def _unit(token: str) -> tuple[Unit, dict[str, Unit]]:
    code = services().links.unit_of(token)
    registry = load_registry(services().settings.registry_path) if code else {}
    if code is None or code not in registry:
        abort(404, description="link")
    return registry[code], registry


@blueprint.route("/<token>", methods=["GET", "POST"])
def upload(token: str) -> Any:
    unit, registry = _unit(token)
    found = services()
    settings = found.settings
    result: dict[str, Any] | None = None
    status = 200
    if request.method == "POST":
        check_csrf()
        sent = request.files.get("file")
        if sent is None or not sent.filename:
            result, status = {"error": "ยังไม่ได้เลือกไฟล์: กดเลือกไฟล์แบบรายงาน (.xlsx) ก่อนกดส่ง"}, 400
        else:
            item = Incoming(unit.code, sent.read(), Path(sent.filename).name[:255], dt.datetime.now(dt.UTC), "upload")
            submission = ingest(settings, found.ledger, registry, item)
            issues = found.ledger.issues_of([submission.id])[submission.id]
            found.audit.record(
                f"school:{unit.code}",
                "upload",
                unit.code,
                f"ฉบับที่ {submission.version}: ข้อผิดพลาด {submission.errors} คำเตือน {submission.warnings}",
                client_ip(),
            )
            result = {"submission": submission, "issues": issues}
    form_set = sets_for(unit)[0]
    return (
        render_template(
            "school.html",
            unit=unit,
            token=token,
            result=result,
            history=found.ledger.history(unit.code),
            fiscal_year=settings.fiscal_year,
            round_=settings.round,
            due=deadline(form_set, settings.fiscal_year, settings.round),
            max_mb=settings.max_file_mb,
        ),
        status,
    )


@blueprint.get("/<token>/template")
def template(token: str) -> Any:
    """The school's blank workbook for the current round, its code already typed in."""
    unit, _ = _unit(token)
    settings = services().settings
    with tempfile.TemporaryDirectory() as folder:
        path = write_template(
            sets_for(unit)[0],
            Path(folder) / "form.xlsx",
            fiscal_year=settings.fiscal_year,
            round_=settings.round,
            unit=unit,
            office=settings.office.name,
        )
        content = path.read_bytes()
    return send_file(
        io.BytesIO(content),
        as_attachment=True,
        download_name=f"แบบรายงาน-{unit.code}-{settings.fiscal_year}-R{settings.round}.xlsx",
    )
