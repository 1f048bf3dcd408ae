"""JSON API for the spreadsheet surfaces: run a formula, list formulas, consolidate now.

Every call carries the installation's shared secret in ``X-Esaplan-Token`` (compared in
constant time). Formula errors are results (a Thai message for the cell), not HTTP errors.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from addin import FORMULAS, call
from addin.macros import allocation_register, validate_grid
from rules import EsaplanError

from ..consolidate import consolidate

blueprint = Blueprint("api", __name__, url_prefix="/api")


@blueprint.before_request
def require_token() -> Any:
    sent = request.headers.get("X-Esaplan-Token", "")
    if not hmac.compare_digest(sent.encode(), current_app.config["ESAPLAN_API_TOKEN"].encode()):
        return jsonify(error="ต้องใช้รหัสเชื่อมต่อ (X-Esaplan-Token) ที่ถูกต้อง / a valid X-Esaplan-Token is required"), 401
    return None


@blueprint.post("/formulas/<name>")
def run_formula(name: str) -> Any:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("args"), list):
        return jsonify(error='ต้องส่ง JSON {"args": [...]} / expected JSON {"args": [...]}'), 400
    return jsonify(result=call(name, body["args"]))


@blueprint.post("/validate")
def validate_sheet() -> Any:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("grid"), list):
        return jsonify(error='ต้องส่ง JSON {"sheet": "...", "grid": [[...]]} / expected JSON {"sheet", "grid"}'), 400
    return jsonify(validate_grid(str(body.get("sheet", "")), body["grid"], str(body.get("unit_code") or "-")))


@blueprint.post("/allocation-register")
def allocation_register_table() -> Any:
    body = request.get_json(silent=True) or {}
    try:
        return jsonify(table=allocation_register(body.get("names"), body.get("weights"), body.get("total"), body.get("unit")))
    except EsaplanError as exc:
        return jsonify(error=exc.message_th), 400


@blueprint.get("/formulas")
def list_formulas() -> Any:
    return jsonify(formulas=[{"name": f.name, "th": f.th, "en": f.en, "returns": f.returns, "params": [p.__dict__ for p in f.params]} for f in FORMULAS.values()])


@blueprint.post("/consolidate")
def consolidate_now() -> Any:
    settings = current_app.config["ESAPLAN_SETTINGS"]
    try:
        result = consolidate(settings)
    except EsaplanError as exc:
        return jsonify(error=exc.message_th), 409
    return jsonify(fiscal_year=result.fiscal_year, round=result.round, summary=result.summary, new_versions=result.new_versions, master=result.master_path.name)
