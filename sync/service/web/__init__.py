"""The sync service's web front: an app factory and one blueprint per concern.

- ``auth``: staff log in and out; ``staff``: the dashboard, the Consolidate button and its live
  progress, master downloads, units, upload links, the audit log;
- ``school``: a school's page behind its signed link (no account): upload, check, history;
- ``api``: the JSON API of the spreadsheet macros and formulas (``X-Esaplan-Token``);
- ``addin_files``: the Office add-in, Apps Script and xlwings Lite files.

Views only parse the request, call :mod:`sync`, :mod:`addin` or :mod:`rules`, and render. The
session cookie is signed with the installation's secret (``<home>/secret-key.txt``, made once),
forms carry a CSRF token, uploads are capped at the file size limit, and every page is sent
with headers that keep it out of frames (the add-in's pages: out of all frames but Office's),
stop content sniffing and never leak a school's link to another site in the ``Referer``; over https
browsers are told to stay on https (HSTS).
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_cors import CORS
from werkzeug.exceptions import HTTPException

from addin.officejs import CONTENT_SECURITY_POLICY as ADDIN_CONTENT_SECURITY_POLICY
from addin.officejs import OFFICE_ORIGINS as ADDIN_ORIGINS
from sync.intake.isolation import warm_up
from sync.office.settings import Settings, load_settings
from sync.service.web import context

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
}
HSTS = "max-age=31536000"  # a year, as OWASP's HTTP headers cheat sheet advises; no includeSubDomains: other sites of the office may not be on https yet
ERRORS_TH = {
    400: ("คำขอไม่ถูกต้อง", "แบบฟอร์มหมดอายุหรือไม่ครบ: โหลดหน้าใหม่แล้วลองอีกครั้ง"),
    403: ("ไม่มีสิทธิ์", "หน้านี้ไม่เปิดให้ใช้งานสำหรับคุณ"),
    404: ("ไม่พบหน้านี้", "ที่อยู่ไม่ถูกต้อง หรือข้อมูลที่ต้องการไม่มีแล้ว"),
    413: ("ไฟล์ใหญ่เกินไป", "ไฟล์ใหญ่เกินที่ระบบรับได้: ลบแผ่นงานหรือรูปภาพที่ไม่ใช้ออก แล้วส่งใหม่"),
    429: ("มีคำขอมากเกินไป", "ระบบได้รับคำขอมากเกินไปในขณะนี้: รอสักครู่แล้วลองใหม่"),
    500: ("ระบบขัดข้อง", "ระบบ esaplan ขัดข้องขณะทำคำขอนี้: ลองใหม่ภายหลัง หากยังเป็นอยู่แจ้งผู้ดูแลระบบ (บันทึกไว้ใน errors.log)"),
    503: ("ระบบยังไม่พร้อม", "ระบบ esaplan กำลังเริ่มทำงานหรือปิดปรับปรุง: รอสักครู่แล้วลองใหม่"),
}
LINK_GONE = ("ลิงก์นี้ใช้ไม่ได้", "ลิงก์ส่งข้อมูลนี้หมดอายุ ถูกยกเลิก หรือไม่ถูกต้อง: ติดต่อกลุ่มนโยบายและแผน สำนักงานเขตพื้นที่การศึกษา เพื่อขอลิงก์ใหม่")


GC_THRESHOLD = (50_000, 20, 20)


def settle_heap() -> None:
    """Keep Python's cycle collector off the service's long-lived objects, once the app is built.

    A formula over a range makes tens of thousands of small lists; each few hundred allocations
    the collector ran, and every full pass walked the whole loaded app. Measured on ESA_ALLOCATE
    over 30,000 weights: 183 ms with the defaults, 73 ms with the app frozen (``gc.freeze``, the
    objects alive now are never scanned again), 63 ms with a larger first threshold as well, 59 ms
    with no collector at all. Cycles are still collected, just less often.
    """
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


def create_app(
    settings: Settings | None = None, *, api_token: str | None = None, https: bool = False, worker: bool = True
) -> Flask:
    """Build the Flask app for one installation; ``api_token`` overrides ``ESAPLAN_API_TOKEN``;
    ``https`` (served through an https proxy) keeps the session cookie off plain http; ``worker``
    runs consolidation jobs in this process (off when other machines run ``esaplan worker``)."""
    app = Flask(__name__)
    settings = settings or load_settings()
    secret = os.environ.get("ESAPLAN_SECRET_KEY") or _secret_file(settings.home, "secret-key.txt", 32)
    app.config.update(
        ESAPLAN_SETTINGS=settings,
        ESAPLAN_API_TOKEN=api_token
        or os.environ.get("ESAPLAN_API_TOKEN")
        or _secret_file(settings.home, "api-token.txt", 24),
        SECRET_KEY=secret,
        MAX_CONTENT_LENGTH=settings.max_file_mb * 1024 * 1024 + 64 * 1024,  # the file plus the form around it
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=8),
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]  # forms stay in their order, as staff know them
    context.init_app(app, settings, secret)
    warm_up()  # uploads are read in worker processes: their fork server starts with the service
    if worker:
        services = context.services_of(app)
        services.worker = services.jobs.embedded_worker()
        services.worker.start()

    from sync.service.web import addin_files, api, auth, formula_codes, school, staff

    for module in (api, addin_files, auth, staff, formula_codes, school):
        app.register_blueprint(module.blueprint)
    # xlwings Lite fetches from its own site: only the API answers it, only for the configured
    # sites, and the token is still required on every call but the preflight.
    CORS(
        app,
        resources={r"/api/*": {"origins": list(settings.api_origins)}},
        allow_headers=["Content-Type", "X-Esaplan-Token"],
        methods=["GET", "POST"],
        expose_headers=["X-Esaplan-Rules"],
        max_age=600,
        allow_private_network=True,
    )
    # Excel on the web fetches the custom functions' files from its own site's frame: Office's sites may read
    # them (GET only, no credentials: they hold no secret); any other site may not.
    CORS(app, resources={r"/addin/*": {"origins": list(ADDIN_ORIGINS)}}, methods=["GET"], max_age=600)
    app.after_request(_headers)
    app.register_error_handler(HTTPException, _error_page)
    return app


def _headers(response: Any) -> Any:
    """Every page kept out of frames, except the Office add-in's, which Excel on the web frames:
    those are framed by Office's sites only and load office.js from Microsoft's CDN."""
    response.headers.update(SECURITY_HEADERS)
    if request.is_secure:  # served over https (waitress believes the proxy's X-Forwarded-Proto): keep browsers on it
        response.headers["Strict-Transport-Security"] = HSTS
    if request.path.startswith("/addin/"):
        del response.headers["X-Frame-Options"]  # superseded by frame-ancestors, which names who may frame
        response.headers["Content-Security-Policy"] = ADDIN_CONTENT_SECURITY_POLICY
        if response.status_code == 200 and request.method == "GET":
            # asked again each time and answered 304 while unchanged: the manifest's ?v= moves with the content
            response.headers["Cache-Control"] = "no-cache"
            response.add_etag()
            response.make_conditional(request)
    return response


def _error_page(error: HTTPException) -> Any:
    """Errors as a Thai page (or JSON under /api), never a stack trace."""
    code = error.code or 500
    if request.path.startswith("/api/"):
        return jsonify(error=ERRORS_TH.get(code, ("ผิดพลาด", "คำขอนี้ทำไม่ได้ (HTTP " + str(code) + ")"))[1]), code
    title, text = LINK_GONE if error.description == "link" else ERRORS_TH.get(code, ("เกิดข้อผิดพลาด", "ลองใหม่อีกครั้ง"))
    if (
        code == 404
        and error.description not in (None, "link")
        and not error.description.startswith("The requested URL")
    ):
        text = error.description
    return render_template("error.html", title=title, text=text, code=code), code


def _secret_file(home: Path, name: str, size: int) -> str:
    """A secret made once and kept in ``<home>/<name>``, readable by the owner only."""
    path = home / name
    if not path.is_file():
        home.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(size), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()
