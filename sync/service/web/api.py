"""JSON API for the spreadsheet surfaces: run a formula, list formulas, consolidate.

Every call carries a connection code in ``X-Esaplan-Token``: a person's own code made on the web
page (:mod:`sync.service.formula_tokens`; its scope decides whether it may consolidate) or the
installation's shared one (compared in constant time), except a browser's CORS preflight
(``OPTIONS``), which by the Fetch standard carries no header of the page's: xlwings Lite calls
from its own site (see :func:`sync.service.web.create_app`).
A formula that cannot answer is a 422 with the Thai reason, which each surface shows as its
host's error (``#VALUE!``); every formula answer says the rules version it came from
(``X-Esaplan-Rules``, also ``GET /api/rules-version``).

Consolidation is the web button's background job: ``POST /api/jobs`` starts it (or joins the
one running) and answers 202 at once, ``GET /api/jobs/<id>`` is its progress and
``GET /api/jobs/<id>/summary`` its summary. ``POST /api/consolidate`` starts or joins one and
waits for it up to ``wait`` seconds (default 50, under Apps Script's 60-second fetch limit):
the summary when it ended in time, else 202 with the job to poll.
"""

from __future__ import annotations

import hmac
import re
from typing import Any

import orjson
from flask import Blueprint, current_app, g, jsonify, request

from addin import FORMULAS, FormulaError, call
from addin.macros import allocation_register, validate_grid
from rules import EsaplanError, rules_version
from sync.office.registry import load_registry, unit_kinds
from sync.service.formula_tokens import Holder
from sync.service.web.context import client_ip, job_json, services

WAIT_S = 50.0

blueprint = Blueprint("api", __name__, url_prefix="/api")
#: The calls that start or follow a consolidation: a code made for formulas only may not make them.
CONSOLIDATING = {"api.start_job", "api.job_progress", "api.job_summary", "api.consolidate_now"}


@blueprint.before_request
def require_token() -> Any:
    if request.method == "OPTIONS":
        return None  # a preflight: answered by flask-cors, runs nothing
    sent = request.headers.get("X-Esaplan-Token", "").strip()
    if hmac.compare_digest(sent.encode(), current_app.config["ESAPLAN_API_TOKEN"].encode()):
        g.holder = Holder("api", "all", None)
    else:
        g.holder = services().tokens.holder(sent)
    if g.holder is None:
        return jsonify(
            error="ต้องใช้รหัสเชื่อมต่อ (X-Esaplan-Token) ที่ถูกต้อง: รหัสผิดหรือถูกยกเลิกแล้ว ขอรหัสใหม่ที่หน้าเว็บ esaplan เมนู รหัสเชื่อมต่อสูตร"
            " / a valid X-Esaplan-Token is required (wrong or revoked)"
        ), 401
    if request.endpoint in CONSOLIDATING and not g.holder.may("consolidate"):
        return jsonify(
            error="รหัสนี้ใช้ได้กับสูตรเท่านั้น: การสั่งรวมข้อมูลต้องใช้รหัสที่สร้างแบบ 'ใช้สูตรและสั่งรวมข้อมูล' หรือกดที่หน้าเว็บ"
            " / this code is for formulas only"
        ), 403
    return None


@blueprint.post("/formulas/<name>")
def run_formula(name: str) -> Any:
    """One formula. Its JSON is read and written with orjson: a column of 30,000 cells each way
    costs ~10 ms with the standard library and ~1 ms with it, a tenth of the formula's budget.
    (orjson reads an integer past 64 bits as a float; a spreadsheet's numbers are doubles already.)"""
    body = _json_body()
    if not isinstance(body, dict) or not isinstance(body.get("args"), list):
        return jsonify(error='ต้องส่ง JSON {"args": [...]} / expected JSON {"args": [...]}'), 400
    try:
        response = current_app.response_class(
            orjson.dumps({"result": call(name, body["args"], context=_context(name))}), mimetype="application/json"
        )
    except FormulaError as error:
        response = jsonify(error=public(error.reason), excel=error.excel)
        response.status_code = 404 if error.unknown else 422
    response.headers["X-Esaplan-Rules"] = rules_version()
    return response


def _json_body() -> Any:
    """The request's JSON read with orjson (a column of 30,000 cells in ~1 ms), or None when it is not JSON."""
    try:
        return orjson.loads(request.get_data(cache=False))
    except orjson.JSONDecodeError:
        return None


BATCH_MAX = 500  # calls in one batch: the Office forwarder sends at most this many (addin/officejs_functions.js)


@blueprint.post("/formulas")
def run_formulas() -> Any:
    """Many formulas in one request, each answered on its own: the Office add-in's batch (Microsoft's
    batching pattern for custom functions that call a remote service). ``{"calls": [{"name", "args"}]}``
    answers ``{"results": [{"result": ...} or {"error": reason, "excel": "#DIV/0!"}]}`` in the same order."""
    body = _json_body()
    calls = body.get("calls") if isinstance(body, dict) else None
    if not isinstance(calls, list) or not all(
        isinstance(c, dict) and isinstance(c.get("name"), str) and isinstance(c.get("args"), list) for c in calls
    ):
        return jsonify(
            error='ต้องส่ง JSON {"calls": [{"name": ..., "args": [...]}]} / expected JSON {"calls": [...]}'
        ), 400
    if len(calls) > BATCH_MAX:
        return jsonify(error=f"ส่งได้ครั้งละไม่เกิน {BATCH_MAX} สูตร / at most {BATCH_MAX} calls per batch"), 413
    contexts: dict[str, dict[str, Any]] = {}
    results = []
    for one in calls:
        name = one["name"]
        if name not in contexts:
            contexts[name] = _context(name)
        try:
            results.append({"result": call(name, one["args"], context=contexts[name])})
        except FormulaError as error:
            results.append({"error": public(error.reason), "excel": error.excel})
    response = current_app.response_class(orjson.dumps({"results": results}), mimetype="application/json")
    response.headers["X-Esaplan-Rules"] = rules_version()
    return response


# A path starts a word (a date's slashes, 24/11/2569, follow a digit and are left alone).
SERVER_PATH = re.compile(r"(?<![\w.])(?:[A-Za-z]:\\|/)(?:[^\s:'\"()]+[/\\])+([^\s:'\"()/\\]+)")


def public(reason: str) -> str:
    """A reason as a spreadsheet may show it: a file named by its name only, never the server's folders
    (a rules file the office edited, say, is ``tuition.yaml``, not where the server keeps it)."""
    return SERVER_PATH.sub(r"\1", reason)


def _context(name: str) -> dict[str, Any]:
    """What the installation knows, for a formula that asks for it: the registry's units and their kinds,
    so a transfer to one of the office's schools is OBEC's reallocation without its kind typed."""
    entry = FORMULAS.get(name.upper())
    if entry is None or not entry.takes_context:
        return {}
    settings = services().settings
    if not settings.registry_path.is_file():
        return {}
    return {"units": unit_kinds(load_registry(settings.registry_path), settings.office.name)}


@blueprint.get("/rules-version")
def current_rules_version() -> Any:
    return jsonify(version=rules_version())


@blueprint.post("/validate")
def validate_sheet() -> Any:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("grid"), list):
        return jsonify(error='ต้องส่ง JSON {"sheet": "...", "grid": [[...]]} / expected JSON {"sheet", "grid"}'), 400
    origin = body.get("origin") or [1, 1]  # the sheet's row and column of the grid's first cell
    if not (isinstance(origin, list) and len(origin) == 2 and all(isinstance(n, int) and n >= 1 for n in origin)):
        return jsonify(error="origin ต้องเป็น [แถว, คอลัมน์] เริ่มที่ 1 / origin must be [row, column], 1-based"), 400
    return jsonify(
        validate_grid(
            str(body.get("sheet", "")), body["grid"], str(body.get("unit_code") or "-"), (origin[0], origin[1])
        )
    )


@blueprint.post("/allocation-register")
def allocation_register_table() -> Any:
    body = request.get_json(silent=True) or {}
    try:
        return jsonify(
            table=allocation_register(body.get("names"), body.get("weights"), body.get("total"), body.get("unit"))
        )
    except EsaplanError as exc:
        return jsonify(error=exc.message_th), 400


@blueprint.get("/formulas")
def list_formulas() -> Any:
    return jsonify(
        formulas=[
            {"name": f.name, "th": f.th, "en": f.en, "returns": f.returns, "params": [p.__dict__ for p in f.params]}
            for f in FORMULAS.values()
        ]
    )


@blueprint.errorhandler(EsaplanError)
def refused(exc: EsaplanError) -> Any:
    return jsonify(error=exc.message_th, error_en=exc.message_en), 400


@blueprint.post("/jobs")
def start_job() -> Any:
    job = _start()
    return jsonify(job=job_json(job), progress_url=f"/api/jobs/{job['id']}"), 202


@blueprint.get("/jobs/<int:job_id>")
def job_progress(job_id: int) -> Any:
    job = services().jobs.get(job_id)
    return (jsonify(job=job_json(job)), 200) if job else (jsonify(error="ไม่พบงานนี้ / no such job"), 404)


@blueprint.get("/jobs/<int:job_id>/summary")
def job_summary(job_id: int) -> Any:
    job = services().jobs.get(job_id)
    if job is None:
        return jsonify(error="ไม่พบงานนี้ / no such job"), 404
    if job["status"] != "done":
        return jsonify(error=job["error"] or "ยังรวมข้อมูลไม่เสร็จ / not finished yet", job=job_json(job)), 409
    return jsonify(job["result"])


@blueprint.post("/consolidate")
def consolidate_now() -> Any:
    job = _start()
    wait = min(float(request.args.get("wait", WAIT_S)), WAIT_S)
    job = services().jobs.wait(job["id"], wait) or job
    if job["status"] == "done":
        return jsonify(job["result"])
    if job["status"] == "failed":
        return jsonify(error=job["error"]), 409
    return jsonify(
        job=job_json(job), progress_url=f"/api/jobs/{job['id']}", message="ยังรวมข้อมูลอยู่ ดูความคืบหน้าที่หน้าเว็บของระบบ"
    ), 202


def _start() -> dict[str, Any]:
    """Start (or join) the consolidation of the round the call names (``fy``, ``round`` in the JSON body
    or the query), else the installation's current round; a year or round that is not one is a 400."""
    found = services()
    sent = {**request.args, **(request.get_json(silent=True) or {})}
    settings = found.settings.with_round(sent.get("fy"), sent.get("round"))
    job_id, new = found.jobs.start(settings.fiscal_year, settings.round, g.holder.username)
    found.audit.record(
        g.holder.username,
        "consolidate-start" if new else "consolidate-join",
        f"FY{settings.fiscal_year}-R{settings.round}",
        f"job {job_id}",
        client_ip(),
    )
    job = found.jobs.get(job_id)
    assert job is not None
    return job
