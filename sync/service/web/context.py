"""What every view needs: the installation's services, CSRF tokens, the client's address, Thai dates.

:func:`init_app` opens the database once per app (the Flask tutorial's ``db.init_app``) and
keeps the services in ``app.extensions``; views reach them with :func:`services`.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from flask import Flask, abort, current_app, request, session

from rules.thai import thai_time
from sync.ledger.database import open_ledger
from sync.ledger.status import SEVERITY_TH
from sync.ledger.store import Ledger
from sync.office.registry import load_registry
from sync.office.settings import Settings
from sync.service.accounts import ACTIONS_TH, Audit, Sessions, UploadLinks, Users
from sync.service.formula_tokens import FormulaTokens
from sync.service.jobs import Jobs
from sync.service.overview import CHANNEL_TH
from sync.service.queue import EmbeddedWorker


@dataclass
class Services:
    """One installation's settings and stores, shared by every request."""

    settings: Settings
    ledger: Ledger
    users: Users
    sessions: Sessions
    audit: Audit
    links: UploadLinks
    jobs: Jobs
    tokens: FormulaTokens
    worker: EmbeddedWorker | None = None  # the one-office worker, when this process runs one


def init_app(app: Flask, settings: Settings, secret: str) -> None:
    ledger = open_ledger(settings.database_url)
    jobs = Jobs(ledger.engine, settings)
    _ = jobs.queue  # opened once here, before requests on several threads share it
    sessions = Sessions(ledger.engine, app.permanent_session_lifetime)
    app.extensions["esaplan"] = Services(
        settings,
        ledger,
        Users(ledger.engine),
        sessions,
        Audit(ledger.engine),
        UploadLinks(ledger.engine, secret),
        jobs,
        FormulaTokens(ledger.engine),
    )
    app.jinja_env.globals.update(
        csrf_token=csrf_token,
        office=settings.office.name,
        office_address=settings.office.address,
        severities=SEVERITY_TH,
        channels=CHANNEL_TH,
        actions=ACTIONS_TH,
    )
    app.jinja_env.filters.update(thai_time=thai_time)


def services() -> Services:
    return services_of(current_app)


def services_of(app: Flask) -> Services:
    return app.extensions["esaplan"]


def client_ip() -> str:
    return request.remote_addr or "-"


def csrf_token() -> str:
    """The session's token for forms (one per session, made on first use)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return str(session["csrf"])


def check_csrf() -> None:
    """Refuse a form post whose token does not match the session's (a forged cross-site request)."""
    sent = request.form.get("csrf_token", "")
    if not sent or not hmac.compare_digest(sent, str(session.get("csrf", ""))):
        abort(400, description="csrf")


def job_json(job: dict[str, Any]) -> dict[str, Any]:
    """A job for the page and the API: progress, the unit being read by name, the summary when done."""
    keys = (
        "id",
        "status",
        "phase",
        "phase_th",
        "done",
        "total",
        "percent",
        "unit_code",
        "fiscal_year",
        "round",
        "started_by",
        "error",
        "result",
    )
    shown = {key: job[key] for key in keys}
    shown["unit_name"] = _unit_name(job["unit_code"])
    shown["started_at"], shown["finished_at"] = (
        job[k].isoformat() if job[k] else None for k in ("started_at", "finished_at")
    )
    return shown


def _unit_name(code: str | None) -> str:
    """The registry's name for the unit a running job is reading; the registry is read only then,
    not at every poll of a job between units or already ended."""
    path = services().settings.registry_path
    unit = load_registry(path).get(code) if code and path.is_file() else None
    return unit.name_th if unit else ""
