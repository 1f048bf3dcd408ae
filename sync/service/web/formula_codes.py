"""A staff member's own connection codes for the spreadsheets' formulas (login required).

Made here, shown once (the page answering the making is the only place the code appears), listed with
their scope and last use, revoked with one button; making and revoking are in the audit log. What
a code may call is :mod:`sync.service.formula_tokens`'s to say; the API checks it on every call.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from rules import EsaplanError
from sync.service.formula_tokens import SCOPES_TH
from sync.service.web.auth import staff_only
from sync.service.web.context import check_csrf, client_ip, services

blueprint = Blueprint("codes", __name__, url_prefix="/formula-codes")
blueprint.before_request(staff_only)


@blueprint.get("")
def my_codes() -> Any:
    return _page()


def _page(made: dict[str, str] | None = None) -> Any:
    return render_template(
        "codes.html",
        codes=services().tokens.of(session["user"]),
        scopes=SCOPES_TH,
        made=made,
        service_url=request.host_url.rstrip("/"),
    )


@blueprint.post("")
def make_code() -> Any:
    check_csrf()
    found, user = services(), str(session["user"])
    try:
        token_id, code = found.tokens.issue(user, request.form.get("label", ""), request.form.get("scope", "formulas"))
    except EsaplanError as exc:
        flash(exc.message_th, "error")
        return redirect(url_for("codes.my_codes"))
    found.audit.record(user, "formula-code-created", token_id, request.form.get("label", "").strip(), client_ip())
    # Answered here, not after a redirect: the code exists in this one page and nowhere else (not in a cookie).
    return _page({"id": token_id, "code": code}), 201


@blueprint.post("/<token_id>/revoke")
def revoke_code(token_id: str) -> Any:
    check_csrf()
    found, user = services(), str(session["user"])
    label = found.tokens.revoke(token_id, user)
    if label is not None:
        found.audit.record(user, "formula-code-revoked", token_id, label, client_ip())
        flash(f"ยกเลิกรหัส {label} แล้ว: สูตรที่ใช้รหัสนี้จะขึ้นว่ารหัสไม่ถูกต้องตั้งแต่การคำนวณครั้งถัดไป", "ok")
    return redirect(url_for("codes.my_codes"))
