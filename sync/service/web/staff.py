"""The planning group's pages (login required): the round's dashboard, the Consolidate button and its
progress, master downloads, the year's documents and their remake buttons, a unit's history and upload links, the audit log.

Views parse the request, call :mod:`sync` and render; files are served by looking a requested
name up among the files that exist, never by joining it onto a path.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, session, url_for

from rules import EsaplanError
from rules.allocation_register import baht
from rules.forms import form_sets
from rules.transfers import category_th
from sync.documents.publications import KIND_BY_CODE, find_file, publications, remake
from sync.intake.gsheets.snapshot import snapshot_xlsx
from sync.intake.keep import stored_name
from sync.ledger.status import STATUS_TH
from sync.office.registry import load_registry, sets_for
from sync.office.settings import Settings
from sync.registers.money import register_now
from sync.service.overview import Overview, UnitRow, round_overview
from sync.service.unit_table import COLUMNS_TH, SORTS, as_csv, as_xlsx, page_of, sort_rows
from sync.service.web.auth import staff_only
from sync.service.web.context import check_csrf, client_ip, job_json, services

blueprint = Blueprint("staff", __name__)
blueprint.before_request(staff_only)
ROUNDS = (6, 9, 12)


def _round() -> tuple[int, int]:
    """The round being looked at: from the request, else the session, else the installation's current one.

    A year or round that is not one (a CE year typed into the address, round 7) is said in Thai
    and the page stays on the round it was showing.
    """
    settings = services().settings
    fiscal_year = request.values.get("fy") or session.get("fy") or settings.fiscal_year
    round_ = request.values.get("round") or session.get("round") or settings.round
    try:
        checked = settings.with_round(fiscal_year, round_)
    except EsaplanError as exc:
        flash(exc.message_th, "error")
        checked = settings.with_round(session.get("fy"), session.get("round")) if "fy" in session else settings
    session["fy"], session["round"] = checked.fiscal_year, checked.round
    return checked.fiscal_year, checked.round


def _actor() -> str:
    return str(session["user"])


FILTERS = ("district", "network", "status", "text")


def _units_view(settings: Settings) -> tuple[Overview, dict[str, str], list[UnitRow]]:
    """The round's overview, the filters and sort in the address, and the rows they select in that order."""
    overview = round_overview(settings, services().ledger)
    view = {key: request.values.get(key, "") for key in (*FILTERS, "sort", "desc")}
    if view["sort"] not in SORTS:
        view["sort"] = "code"
    rows = sort_rows(overview.filtered(**{key: view[key] for key in FILTERS}), view["sort"], view["desc"] == "1")
    return overview, view, rows


def _kept(view: dict[str, str], **changes: Any) -> dict[str, Any]:
    """The address's filters, sort and page with ``changes``, leaving out the empty ones (short links to paste)."""
    return {key: value for key, value in {**view, **changes}.items() if value}


@blueprint.get("/")
def dashboard() -> Any:
    found = services()
    fiscal_year, round_ = _round()
    settings = found.settings.with_round(fiscal_year, round_)
    overview, view, rows = _units_view(settings)
    master = settings.master_path()
    history = sorted((settings.master_dir / "history").glob(f"{master.stem}-*.xlsx"), reverse=True)
    return render_template(
        "dashboard.html",
        overview=overview,
        page=page_of(rows, request.args.get("page", 1, type=int)),
        view=view,
        missing=sum(1 for row in rows if row.status == "missing"),
        columns=[(key, label, "num" if key == "errors" else "") for key, label in COLUMNS_TH.items()],
        here=lambda **changes: _kept(view, **changes),
        statuses=STATUS_TH,
        fiscal_year=fiscal_year,
        round_=round_,
        years=sorted(
            {found.settings.fiscal_year - 1, found.settings.fiscal_year, found.settings.fiscal_year + 1, fiscal_year}
        ),
        rounds=ROUNDS,
        master=master if master.exists() else None,
        history=history,
        job=found.jobs.latest(),
        form_titles={f.code: f.sheet for form_set in form_sets().values() for f in form_set.forms},
        registry_missing=not settings.registry_path.is_file(),
        publications=publications(settings),
    )


@blueprint.get("/status.<fmt>")
def status_export(fmt: str) -> Any:
    """The table of units as filtered and sorted on the dashboard, every row, as CSV or xlsx."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    fiscal_year, round_ = _round()
    _, _, rows = _units_view(services().settings.with_round(fiscal_year, round_))
    name = f"สถานะการส่ง-FY{fiscal_year}-R{round_}.{fmt}"
    services().audit.record(_actor(), "download-status", name, f"{len(rows)} หน่วย", client_ip())
    if fmt == "csv":
        return send_file(io.BytesIO(as_csv(rows)), as_attachment=True, download_name=name, mimetype="text/csv")
    content = as_xlsx(rows, f"สถานะ {fiscal_year} รอบ {round_}")
    return send_file(
        io.BytesIO(content),
        as_attachment=True,
        download_name=name,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@blueprint.post("/links/missing")
def links_for_missing() -> Any:
    """Upload links for every unit still missing in the filtered table, as one list to paste into a chat.

    A unit that already has a working link gets that link again rather than a new one, so pressing
    twice (or after a colleague did) does not leave schools holding different links.
    """
    check_csrf()
    found = services()
    fiscal_year, round_ = _round()
    _, view, rows = _units_view(found.settings.with_round(fiscal_year, round_))
    listed = []
    for row in rows:
        if row.status != "missing":
            continue
        live = found.links.active(row.unit.code)
        token = live[0]["token"] if live else found.links.issue(row.unit.code, _actor())
        listed.append((row.unit, url_for("school.upload", token=token, _external=True), not live))
    made = sum(1 for *_, new in listed if new)
    found.audit.record(
        _actor(), "links-for-missing", f"FY{fiscal_year}-R{round_}", f"{len(listed)} หน่วย สร้างใหม่ {made}", client_ip()
    )
    return render_template(
        "links.html", listed=listed, made=made, back=_kept(view), fiscal_year=fiscal_year, round_=round_
    )


@blueprint.post("/consolidate")
def consolidate_now() -> Any:
    check_csrf()
    fiscal_year, round_ = _round()
    job_id, new = services().jobs.start(fiscal_year, round_, _actor())
    services().audit.record(
        _actor(),
        "consolidate-start" if new else "consolidate-join",
        f"FY{fiscal_year}-R{round_}",
        f"job {job_id}",
        client_ip(),
    )
    return redirect(url_for("staff.dashboard", fy=fiscal_year, round=round_) + "#consolidate")


@blueprint.get("/jobs/<int:job_id>")
def job_progress(job_id: int) -> Any:
    job = services().jobs.get(job_id) or abort(404)
    return jsonify(job_json(job))


@blueprint.get("/master")
def master_download() -> Any:
    fiscal_year, round_ = _round()
    path = services().settings.with_round(fiscal_year, round_).master_path()
    if not path.exists():
        abort(404, description="ยังไม่มีไฟล์รวมของรอบนี้: กดรวมข้อมูลก่อน")
    services().audit.record(_actor(), "download-master", path.name, ip=client_ip())
    return send_file(path, as_attachment=True, download_name=path.name)


@blueprint.get("/master/history/<name>")
def master_history(name: str) -> Any:
    folder = services().settings.master_dir / "history"
    path = next((p for p in folder.glob("*.xlsx") if p.name == name), None) if folder.is_dir() else None
    if path is None:
        abort(404)
    services().audit.record(_actor(), "download-master", path.name, ip=client_ip())
    return send_file(path, as_attachment=True, download_name=path.name)


@blueprint.post("/documents/<kind>")
def remake_document(kind: str) -> Any:
    """Make one of the year's documents again; what stops it (no plan yet) is said in Thai and the old files stay."""
    check_csrf()
    if kind not in KIND_BY_CODE:
        abort(404)
    fiscal_year, round_ = _round()
    target = f"FY{fiscal_year}-R{round_}"
    try:
        made = remake(services().settings.with_round(fiscal_year, round_), kind, _actor())
    except EsaplanError as exc:
        flash(exc.message_th, "document-error")
        services().audit.record(_actor(), "document-refused", target, f"{kind}: {exc.message_th}", client_ip())
    else:
        flash(f"สร้าง{made.kind.title_th}ใหม่แล้ว: {', '.join(path.name for path in made.files)}", "document-ok")
        services().audit.record(_actor(), "document-made", target, kind, client_ip())
    return redirect(url_for("staff.dashboard", fy=fiscal_year, round=round_) + "#documents")


@blueprint.get("/documents/file/<name>")
def document_file(name: str) -> Any:
    fiscal_year, round_ = _round()
    path = find_file(services().settings.with_round(fiscal_year, round_), name) or abort(404)
    services().audit.record(_actor(), "download-document", path.name, f"FY{fiscal_year}-R{round_}", client_ip())
    return send_file(path, as_attachment=True, download_name=path.name)


@blueprint.get("/money")
def money_page() -> Any:
    """The allocation control register of the selected year: each letter line's account and what is wrong."""
    fiscal_year, round_ = _round()
    now = register_now(services().settings.with_round(fiscal_year, round_), services().ledger, fiscal_year)
    order = {"error": 0, "warning": 1, "info": 2}
    return render_template(
        "money.html",
        now=now,
        issues=sorted(now.issues, key=lambda i: order[i.severity]),
        baht=baht,
        fiscal_year=fiscal_year,
        round_=round_,
        category_th=category_th,
    )


@blueprint.get("/units/<code>")
def unit_page(code: str) -> Any:
    found = services()
    fiscal_year, round_ = _round()
    overview = round_overview(found.settings.with_round(fiscal_year, round_), found.ledger)
    row = next((r for r in overview.rows if r.unit.code == code), None) or abort(404)
    history = found.ledger.history(code)
    return render_template(
        "unit.html",
        row=row,
        unit=row.unit,
        history=history,
        issues=found.ledger.issues_of(s.id for s in history),
        links=found.links.active(code),
        events=found.audit.recent(50, target=code),
        fiscal_year=fiscal_year,
        round_=round_,
        statuses=STATUS_TH,
    )


@blueprint.post("/units/<code>/versions")
def choose_version(code: str) -> Any:
    """Staff choose which of a unit's accepted versions counts in the round (or go back to the
    latest accepted one); the choice is audited and used by the next consolidation."""
    check_csrf()
    found = services()
    fiscal_year, round_ = _round()
    unit = load_registry(found.settings.registry_path).get(code) or abort(404)
    chosen = request.form.get("version", "")
    form_set = next(s.code for s in sets_for(unit))
    try:
        used = found.ledger.choose(
            code, form_set, fiscal_year, round_, int(chosen) if chosen.isdigit() else None, _actor()
        )
    except EsaplanError as exc:
        flash(exc.message_th, "error")
        return redirect(url_for("staff.unit_page", code=code))
    detail = (
        f"ปีงบประมาณ {fiscal_year} รอบ {round_}: ใช้ข้อมูลฉบับที่ {used.version}"
        if used
        else f"ปีงบประมาณ {fiscal_year} รอบ {round_}: ใช้ฉบับล่าสุดที่รับได้"
    )
    found.audit.record(_actor(), "version-chosen", code, detail, client_ip())
    flash(f"บันทึกแล้ว: {detail} ไฟล์รวมจะใช้ฉบับนี้เมื่อกดรวมข้อมูลครั้งถัดไป", "ok")
    return redirect(url_for("staff.unit_page", code=code))


@blueprint.post("/units/<code>/links")
def new_link(code: str) -> Any:
    check_csrf()
    found = services()
    if code not in load_registry(found.settings.registry_path):
        abort(404)
    token = found.links.issue(code, _actor())
    found.audit.record(_actor(), "link-created", code, ip=client_ip())
    flash(url_for("school.upload", token=token, _external=True), "new-link")
    return redirect(url_for("staff.unit_page", code=code) + "#links")


@blueprint.post("/units/<code>/links/<link_id>/revoke")
def revoke_link(code: str, link_id: str) -> Any:
    check_csrf()
    if services().links.revoke(link_id, code):
        services().audit.record(_actor(), "link-revoked", code, link_id, client_ip())
    return redirect(url_for("staff.unit_page", code=code) + "#links")


@blueprint.get("/submissions/<int:submission_id>/file")
def submission_file(submission_id: int) -> Any:
    """A stored version as the school sent it; a Google Sheet's snapshot comes back as an xlsx."""
    found = services()
    submission = found.ledger.submission(submission_id) or abort(404)
    path = found.settings.store / stored_name(submission.sha256, submission.source)
    if not path.is_file():
        abort(404)
    found.audit.record(_actor(), "download-submission", submission.unit_code, f"ฉบับที่ {submission.version}", client_ip())
    name = f"{submission.unit_code}-FY{submission.fiscal_year}-R{submission.round}-v{submission.version}.xlsx"
    content = snapshot_xlsx(path.read_bytes()) if path.suffix == ".json" else path.read_bytes()
    return send_file(
        io.BytesIO(content),
        as_attachment=True,
        download_name=name,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@blueprint.get("/audit")
def audit_log() -> Any:
    return render_template("audit.html", events=services().audit.recent(300))
