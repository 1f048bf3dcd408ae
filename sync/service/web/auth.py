"""Staff log in and out. Sessions are kept server-side (logout ends them); failed logins are audited,
and too many from one address lock that address out for a while."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlparse

from flask import Blueprint, redirect, render_template, request, session, url_for

from sync.service.web.context import check_csrf, client_ip, services

blueprint = Blueprint("auth", __name__)

MAX_FAILURES = 5  # for one name from one address
MAX_FAILURES_FROM_ADDRESS = 20  # for any names from one address (trying many names)
LOCKOUT = dt.timedelta(minutes=15)


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""))
    check_csrf()
    found = services()
    username = request.form.get("username", "").strip()
    target = request.form.get("next", "")
    for_name, from_address = found.audit.failed_logins(username=username, ip=client_ip(), within=LOCKOUT)
    if for_name >= MAX_FAILURES or from_address >= MAX_FAILURES_FROM_ADDRESS:
        message = f"เข้าสู่ระบบไม่สำเร็จหลายครั้ง ระบบพักการเข้าสู่ระบบจากเครื่องนี้ {LOCKOUT.seconds // 60} นาที"
        return render_template("login.html", error=message, next=target, username=username), 429
    user = found.users.check(username, request.form.get("password", ""))
    if user is None:
        found.audit.record(username or "-", "login-failed", username.casefold(), ip=client_ip())
        return render_template("login.html", error="ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง", next=target, username=username), 401
    found.sessions.end(str(session.get("sid", "")))  # a session this browser had before is over
    session.clear()
    session.permanent = True
    session["user"], session["name"] = user["username"], user["display_name"]
    session["sid"] = found.sessions.start(user["username"], client_ip())
    found.audit.record(user["username"], "login", ip=client_ip())
    return redirect(target if _local(target) else url_for("staff.dashboard"))


@blueprint.post("/logout")
def logout() -> Any:
    check_csrf()
    if "user" in session:
        services().audit.record(session["user"], "logout", ip=client_ip())
        services().sessions.end(session.get("sid", ""))
    session.clear()
    return redirect(url_for("auth.login"))


def staff_only() -> Any:
    """Every page of a staff blueprint (its ``before_request``): to the login page, and back after it."""
    if not logged_in():
        session.clear()
        return redirect(url_for("auth.login", next=request.full_path))
    return None


def logged_in() -> bool:
    """Whether the request comes from a live staff session (ended at logout, server-side)."""
    return "user" in session and services().sessions.user(str(session.get("sid", ""))) == session["user"]


def _local(target: str) -> bool:
    """Only paths on this site are followed after login (no open redirect)."""
    parsed = urlparse(target)
    return (
        bool(target)
        and target.startswith("/")
        and not target.startswith("//")
        and not parsed.netloc
        and not parsed.scheme
    )
