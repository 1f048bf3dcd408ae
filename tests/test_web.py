"""The web service's rules, request by request: login and its throttle, CSRF, sessions, upload
links, upload checks, downloads, the job API and the audit log.

The browser tests (test_web_browser.py) drive the same pages in chromium; these pin down what a
browser does not show: status codes, headers, what is stored and what is refused.
"""

from __future__ import annotations

import base64
import io
import json
import re
import time
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from sync.ledger.database import open_ledger
from sync.ledger.schema import users
from sync.office.settings import load_settings
from sync.service.accounts import Audit, Users
from sync.service.jobs import overall_percent
from sync.service.web import create_app

TOKEN = "api-test-token"


@pytest.fixture
def app(demo_ledger):
    """The service on the demo, its ledger on SQLite and on PostgreSQL in turn (its worker stopped
    before the test's database goes)."""
    app = create_app(load_settings(demo_ledger), api_token=TOKEN)
    yield app
    app.extensions["esaplan"].worker.stop()


@pytest.fixture
def client(app):
    return app.test_client()


def _csrf(response) -> str:
    """The form token on a page from the test client or from requests."""
    text = response.get_data(as_text=True) if hasattr(response, "get_data") else response.text
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


def _password(app) -> str:
    home = app.config["ESAPLAN_SETTINGS"].home
    return (home / "demo-login.txt").read_text(encoding="utf-8").split("password: ")[1].strip()


def _login(client, app, password=None, username="demo"):
    token = _csrf(client.get("/login"))
    return client.post(
        "/login", data={"csrf_token": token, "username": username, "password": password or _password(app), "next": ""}
    )


def _services(app):
    return app.extensions["esaplan"]


def test_pages_need_a_login_and_come_back_after_it(client, app):
    response = client.get("/units/99000001")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/units/99000001")
    token = _csrf(client.get(response.headers["Location"]))
    answer = client.post(
        "/login", data={"csrf_token": token, "username": "demo", "password": _password(app), "next": "/units/99000001?"}
    )
    assert answer.headers["Location"] == "/units/99000001"


def test_a_login_never_redirects_off_site(client, app):
    token = _csrf(client.get("/login"))
    answer = client.post(
        "/login", data={"csrf_token": token, "username": "demo", "password": _password(app), "next": "//evil.example/x"}
    )
    assert answer.headers["Location"] == "/"


def test_passwords_are_stored_hashed(app):
    with _services(app).ledger.engine.connect() as connection:
        stored = connection.execute(select(users.c.password_hash).where(users.c.username == "demo")).scalar_one()
    assert stored.startswith("scrypt:") and _password(app) not in stored


def test_repeated_wrong_passwords_lock_the_name_out_from_that_address_and_are_audited(client, app):
    for _ in range(5):
        assert _login(client, app, password="wrong-password").status_code == 401
    locked = _login(client, app)  # even the right password now waits
    assert locked.status_code == 429 and "ระบบพักการเข้าสู่ระบบ" in locked.get_data(as_text=True)
    failures = [e for e in _services(app).audit.recent() if e["action"] == "login-failed"]
    assert len(failures) == 5 and failures[0]["target"] == "demo" and failures[0]["ip"] == "127.0.0.1"


def test_a_stranger_elsewhere_cannot_lock_staff_out_by_typing_their_name(app):
    """OWASP: a lockout keyed on the name alone lets anyone deny a user the service. Failures count
    per address: five from one machine lock that machine (for the name), not the name everywhere."""
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for _ in range(5):
        assert _login(stranger, app, password="wrong-password").status_code == 401
    assert _login(stranger, app).status_code == 429, "the stranger's machine waits, even with the right password"
    office = app.test_client()
    office.environ_base["REMOTE_ADDR"] = "10.0.0.15"
    assert _login(office, app).status_code == 302, "the staff member at the office logs in as usual"


def test_an_address_trying_many_names_is_locked_out(app):
    sprayer = app.test_client()
    sprayer.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    for n in range(20):
        assert _login(sprayer, app, password="wrong-password", username=f"guess{n}").status_code == 401
    assert _login(sprayer, app).status_code == 429


def test_logging_out_ends_the_session_on_the_server(client, app):
    _login(client, app)
    assert client.get("/audit").status_code == 200
    cookie = client.get_cookie("session").value
    client.post("/logout", data={"csrf_token": _csrf(client.get("/"))})
    replay = app.test_client()
    replay.set_cookie("session", cookie)  # the cookie as it was before logging out, copied
    answer = replay.get("/audit")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


def test_a_new_password_ends_the_sessions_of_the_old_one(client, app):
    _login(client, app)
    assert client.get("/").status_code == 200
    _services(app).users.add("demo", "", "a-new-password-1", reset=True)
    assert client.get("/").status_code == 302


def test_over_https_browsers_are_told_to_stay_on_it(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://esaplan.example.go.th")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_forms_without_the_csrf_token_are_refused(client, app):
    assert client.post("/login", data={"username": "demo", "password": _password(app)}).status_code == 400
    _login(client, app)
    before = _services(app).jobs.latest()  # the demo's own run from the command line
    refused = client.post("/consolidate", data={"fy": 2569, "round": 12})
    assert refused.status_code == 400 and "แบบฟอร์มหมดอายุ" in refused.get_data(as_text=True)
    assert _services(app).jobs.latest()["id"] == before["id"], "no job was started"


def test_the_session_cookie_is_signed_http_only_and_a_forged_one_is_ignored(client, app):
    response = _login(client, app)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    other = app.test_client()
    other.set_cookie("session", cookie.split(";")[0].split("=", 1)[1][:-3] + "AAA")
    assert other.get("/").status_code == 302


def test_every_page_carries_the_security_headers(client):
    headers = client.get("/login").headers
    assert (
        headers["X-Frame-Options"] == "DENY"
        and headers["Referrer-Policy"] == "no-referrer"
        and "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    )


def _link(app, code="99000003"):
    return _services(app).links.issue(code, "test")


def _upload(client, token, content, name="แบบรายงาน.xlsx"):
    page = client.get(f"/s/{token}")
    return client.post(
        f"/s/{token}",
        data={"csrf_token": _csrf(page), "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_uploads_are_checked_by_content_not_by_name(client, app, demo_copy):
    token = _link(app, "99000001")
    pdf = _upload(client, token, b"%PDF-1.4 not a workbook", "รายงาน.xlsx")
    assert "ไม่ใช่ไฟล์ Excel (.xlsx)" in pdf.get_data(as_text=True)
    workbook = next((demo_copy / "inbox" / "99000001").iterdir()).read_bytes()
    renamed = _upload(client, token, workbook, "รายงาน.pdf")
    assert "รับไฟล์" in renamed.get_data(as_text=True) and "ไม่ใช่ไฟล์ Excel" not in renamed.get_data(as_text=True)


def _fresh_workbook(settings, code):
    """A blank workbook of the school's own, never sent before."""
    from rules.forms import form_sets
    from sync.intake.templates import write_template
    from sync.office.registry import load_registry

    unit = load_registry(settings.registry_path)[code]
    return write_template(
        form_sets()["school"], settings.home / "fresh.xlsx", fiscal_year=2569, round_=12, unit=unit
    ).read_bytes()


def test_a_file_name_is_never_used_as_a_path(client, app, demo_copy):
    token = _link(app, "99000001")
    _upload(client, token, _fresh_workbook(app.config["ESAPLAN_SETTINGS"], "99000001"), "../../../evil.xlsx")
    assert not list(demo_copy.parent.rglob("evil.xlsx"))
    latest = _services(app).ledger.history("99000001")[0]
    assert latest.original_name == "evil.xlsx" and (demo_copy / "store" / f"{latest.sha256}.xlsx").is_file()


def test_uploads_over_the_size_limit_are_refused_with_a_thai_page(demo_copy):
    (demo_copy / "esaplan.toml").write_text(
        (demo_copy / "esaplan.toml").read_text(encoding="utf-8").replace("max_file_mb = 20", "max_file_mb = 1"),
        encoding="utf-8",
    )
    app = create_app(load_settings(demo_copy), api_token=TOKEN)
    client = app.test_client()
    token = _link(app)
    # Encoded here in memory: the test client's own encoder would spool a body this large to a temporary file it never closes.
    boundary, body = encode_multipart(
        {
            "csrf_token": _csrf(client.get(f"/s/{token}")),
            "file": FileStorage(io.BytesIO(b"PK\x03\x04" + b"0" * (2 * 1024 * 1024)), "big.xlsx"),
        }
    )
    response = client.post(f"/s/{token}", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413 and "ไฟล์ใหญ่เกินไป" in response.get_data(as_text=True)


def test_a_tampered_revoked_or_expired_link_opens_nothing(client, app):
    token = _link(app, "99000003")
    assert client.get(f"/s/{token}").status_code == 200
    payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["u"] == "99000003"
    claims["u"] = "99000004"  # the same link and signature, another school's code
    forged = (
        base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=")
        + "."
        + signature
    )
    gone = client.get(f"/s/{forged}")
    assert gone.status_code == 404 and "ลิงก์นี้ใช้ไม่ได้" in gone.get_data(as_text=True)
    link_id = _services(app).links.active("99000003")[0]["id"]
    _services(app).links.revoke(link_id, "99000003")
    assert client.get(f"/s/{token}").status_code == 404
    expired = _services(app).links.issue("99000003", "test", days=-1)
    assert client.get(f"/s/{expired}").status_code == 404


def test_a_link_submits_for_its_own_school_only(client, app, demo_copy):
    token = _link(app, "99000003")
    before = len(_services(app).ledger.history("99000004"))
    other_school_file = next((demo_copy / "inbox" / "99000004").iterdir()).read_bytes()
    page = _upload(client, token, other_school_file).get_data(as_text=True)
    assert "ไม่รับไฟล์นี้" in page and "ไม่ตรงกับผู้ส่ง 99000003" in page
    assert len(_services(app).ledger.history("99000004")) == before
    assert not _services(app).ledger.history("99000003")[0].accepted


def test_the_job_api_starts_reports_progress_and_gives_the_summary(client, app):
    headers = {"X-Esaplan-Token": TOKEN}
    assert client.post("/api/jobs").status_code == 401
    started = client.post("/api/jobs", headers=headers)
    assert started.status_code == 202
    job_id = started.json["job"]["id"]
    assert client.post("/api/jobs", headers=headers).json["job"]["id"] == job_id, "a running job is joined, not doubled"
    deadline = time.monotonic() + 60
    while (job := client.get(f"/api/jobs/{job_id}", headers=headers).json["job"])[
        "status"
    ] == "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job["status"] == "done" and job["percent"] == 100
    summary = client.get(f"/api/jobs/{job_id}/summary", headers=headers).json
    assert summary["fiscal_year"] == 2569 and summary["summary"]["enrolment"]["expected"] == 40
    assert client.get("/api/jobs/999/summary", headers=headers).status_code == 404


@given(st.data(), st.booleans())
def test_the_bar_only_moves_forward_across_phases_and_reaches_100_only_at_the_end(data, google):
    phases = ["google", "check", "feedback", "master"] if google else ["check", "master"]
    shown = []
    for phase in phases:
        total = data.draw(st.integers(0, 300), label=f"{phase} total")
        steps = sorted(data.draw(st.lists(st.integers(0, total), max_size=8), label=f"{phase} steps")) + [total]
        shown += [overall_percent(phase, done, total, google=google) for done in steps]
    assert shown == sorted(shown) and all(0 <= p <= 99 for p in shown)


def test_api_consolidate_waits_for_the_job_and_answers_as_before(client):
    response = client.post("/api/consolidate", headers={"X-Esaplan-Token": TOKEN})
    assert response.status_code == 200 and set(response.json) >= {
        "fiscal_year",
        "round",
        "summary",
        "new_versions",
        "master",
    }


def test_a_job_whose_worker_died_runs_again_and_one_that_keeps_dying_is_given_up(demo_copy):
    """A job left running with a silent heartbeat (its worker killed, the server restarted) goes
    back on the queue when the next worker starts and finishes; one that has died three times
    is reported failed in Thai, and nothing was lost: the master is still the demo's."""
    import datetime as dt

    from sync.ledger.schema import jobs as table
    from sync.service.jobs import STALE_S

    settings = load_settings(demo_copy)
    master = settings.master_path().read_bytes()
    engine = open_ledger(settings.database_url).engine
    silent = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=STALE_S + 5)
    with engine.begin() as connection:
        # another round's job (one job is active per round): it has died three times already
        given_up = connection.execute(
            table.insert().values(
                fiscal_year=2569,
                round=9,
                started_by="x",
                status="running",
                attempts=3,
                heartbeat_at=silent,
                done=3,
                total=9,
                started_at=silent,
            )
        ).inserted_primary_key[0]
        again = connection.execute(
            table.insert().values(
                fiscal_year=2569,
                round=12,
                started_by="x",
                status="running",
                attempts=1,
                heartbeat_at=silent,
                done=3,
                total=9,
                started_at=silent,
            )
        ).inserted_primary_key[0]
    restarted = create_app(settings, api_token=TOKEN)  # its worker looks for stalled jobs as it starts
    jobs = _services(restarted).jobs
    finished = jobs.wait(again, 120)
    assert finished["status"] == "done" and finished["attempts"] == 2 and finished["result"]["files_seen"] > 0
    failed = jobs.get(given_up)
    assert failed["status"] == "failed" and "ลอง 3 ครั้ง" in failed["error"] and "ไฟล์รวมเดิมยังอยู่ครบ" in failed["error"]
    from openpyxl import load_workbook

    assert (
        load_workbook(io.BytesIO(settings.master_path().read_bytes()), read_only=True).sheetnames
        == load_workbook(io.BytesIO(master), read_only=True).sheetnames
    )


def test_what_staff_and_schools_do_is_in_the_audit_log(client, app, demo_copy):
    _login(client, app)
    page = client.get("/units/99000001")
    client.post("/units/99000001/links", data={"csrf_token": _csrf(page)})
    token = _services(app).links.active("99000001")[0]["token"]
    _upload(client, token, next((demo_copy / "inbox" / "99000001").iterdir()).read_bytes())
    client.get("/master").close()
    actions = [(e["actor"], e["action"]) for e in _services(app).audit.recent()]
    assert (
        ("demo", "login") in actions
        and ("demo", "link-created") in actions
        and ("school:99000001", "upload") in actions
        and ("demo", "download-master") in actions
    )
    assert '<td title="link-created">สร้างลิงก์ส่งข้อมูล</td>' in client.get("/audit").get_data(as_text=True)


def test_staff_choose_the_version_that_counts_on_the_unit_page(client, app, demo_copy):
    """A school sends a second, good file through its link: staff make the first one count instead,
    the page says so, the audit log has it, and a refused version cannot be chosen."""
    _login(client, app)
    page = client.get("/units/99000001?fy=2569&round=12")
    client.post("/units/99000001/links", data={"csrf_token": _csrf(page)})
    token = _services(app).links.active("99000001")[0]["token"]
    sent = next((demo_copy / "inbox" / "99000001").iterdir()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(sent)) as original, io.BytesIO() as buffer:
        with zipfile.ZipFile(buffer, "w") as again:
            for info in original.infolist():
                again.writestr(info, original.read(info))
            again.comment = b"sent again"
        second = buffer.getvalue()
    _upload(client, token, second)
    page = client.get("/units/99000001")
    assert "ใช้ฉบับนี้" in page.get_data(as_text=True)
    chosen = client.post(
        "/units/99000001/versions", data={"csrf_token": _csrf(page), "version": "1"}, follow_redirects=True
    )
    text = chosen.get_data(as_text=True)
    assert "บันทึกแล้ว" in text and "ใช้ข้อมูลฉบับที่ 1" in text
    assert any(e["action"] == "version-chosen" and e["target"] == "99000001" for e in _services(app).audit.recent())
    assert _services(app).ledger.versions(2569, 12).counted[("99000001", "school")].version == 1
    refused = client.post(
        "/units/99000001/versions", data={"csrf_token": _csrf(page), "version": "9"}, follow_redirects=True
    )
    assert "ไม่มีฉบับที่ 9" in refused.get_data(as_text=True)


def test_master_history_is_served_by_name_only(client, app):
    _login(client, app)
    assert client.get("/master/history/..%2Fesaplan-master-FY2569-R12.xlsx").status_code == 404
    assert client.get("/master/history/ledger.sqlite").status_code == 404


def test_users_are_added_from_the_command_line_with_a_hidden_password(demo_copy):
    from click.testing import CliRunner

    from sync.cli import main

    result = CliRunner().invoke(
        main,
        ["users", "add", "somjai", "--name", "สมใจ ใจดี", "--home", str(demo_copy)],
        input="ยาวพอแล้ว123\nยาวพอแล้ว123\n",
    )
    assert result.exit_code == 0 and "ยาวพอแล้ว123" not in result.output
    users_ = Users(open_ledger(load_settings(demo_copy).database_url).engine)
    assert users_.check("somjai", "ยาวพอแล้ว123")["display_name"] == "สมใจ ใจดี"
    short = CliRunner().invoke(main, ["users", "add", "x", "--home", str(demo_copy)], input="short\nshort\n")
    assert short.exit_code == 1 and "อย่างน้อย 8 ตัวอักษร" in short.output
    again = CliRunner().invoke(
        main, ["users", "add", "somjai", "--home", str(demo_copy)], input="ยาวพอแล้ว456\nยาวพอแล้ว456\n"
    )
    assert again.exit_code == 1 and "--reset" in again.output


def _link_through(base: str, home, headers: dict[str, str]) -> tuple[str, str]:
    """Log in and create a school link over real HTTP with ``headers`` on every request; returns
    (the session cookie as set at login, the link shown). The cookie is carried by hand: a cookie
    jar would not send a Secure one back over plain http."""
    import requests

    cookie = ""

    def send(method, path, **kwargs):
        nonlocal cookie
        response = requests.request(
            method, base + path, headers={**headers, "Cookie": cookie}, allow_redirects=False, timeout=10, **kwargs
        )
        cookie = response.headers.get("Set-Cookie", cookie).split(";")[0]
        return response

    page = send("GET", "/login")
    password = (home / "demo-login.txt").read_text(encoding="utf-8").split("password: ")[1].strip()
    at_login = send(
        "POST", "/login", data={"csrf_token": _csrf(page), "username": "demo", "password": password, "next": ""}
    ).headers["Set-Cookie"]
    send("POST", "/units/99000001/links", data={"csrf_token": _csrf(send("GET", "/units/99000001"))})
    return at_login, re.search(r'id="new-link">([^<]+)<', send("GET", "/units/99000001").text).group(1)


def test_behind_a_proxy_links_carry_the_public_address_and_the_audit_the_school_ip(demo_copy):
    from tests.conftest import serve_command

    forwarded = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "plan.example.go.th",
        "X-Forwarded-For": "203.0.113.7",
    }
    with serve_command(demo_copy, "--behind-proxy") as base:
        cookie, link = _link_through(base, demo_copy, forwarded)
    assert link.startswith("https://plan.example.go.th/s/") and "Secure" in cookie
    with serve_command(demo_copy) as base:  # without the flag, anyone's X-Forwarded-* headers are ignored
        cookie, link = _link_through(base, demo_copy, forwarded)
    assert link.startswith(f"{base}/s/") and "Secure" not in cookie
    logins = [
        e["ip"]
        for e in Audit(open_ledger(load_settings(demo_copy).database_url).engine).recent()
        if e["action"] == "login"
    ]
    assert logins == ["127.0.0.1", "203.0.113.7"]
