"""Who may use the web service: staff accounts, the audit log, and schools' signed upload links.

Staff log in with a password (hashed with werkzeug's scrypt, never stored) and get a session the
server keeps, which logging out ends; schools have no
account: each gets a link that names its school inside a signature, expires, and can be
revoked, so a link lets one school submit for itself and nothing else. Every action that
matters is written to the audit log with who, what, on what and from where; the same log
counts failed logins, so too many failures from one address lock that address (for one name, or
for every name when it tries many) out for a while.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine
from werkzeug.security import check_password_hash, generate_password_hash

from rules import EsaplanError
from sync.ledger.schema import as_utc, audit, staff_sessions, upload_links, users, utc_now

MIN_PASSWORD = 8
LINK_DAYS = 60
_NOBODY = generate_password_hash(secrets.token_hex(8))  # checked for unknown names, so timing does not tell them apart


class AccountError(EsaplanError):
    """A user cannot be added or changed as asked."""


class Users:
    """Staff accounts."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, username: str, display_name: str, password: str, *, reset: bool = False) -> None:
        """Create an account (or, with ``reset``, set a new password for an existing one)."""
        username = username.strip().casefold()
        if len(password) < MIN_PASSWORD:
            raise AccountError(
                f"รหัสผ่านต้องยาวอย่างน้อย {MIN_PASSWORD} ตัวอักษร", f"the password needs at least {MIN_PASSWORD} characters"
            )
        existing = self.get(username)
        with self.engine.begin() as connection:
            if existing and not reset:
                raise AccountError(
                    f"มีผู้ใช้ {username} อยู่แล้ว (ใช้ --reset เพื่อตั้งรหัสผ่านใหม่)",
                    f"user {username} exists (use --reset to set a new password)",
                )
            if existing:
                values = {
                    "password_hash": generate_password_hash(password),
                    **({"display_name": display_name} if display_name else {}),
                }
                connection.execute(update(users).where(users.c.username == username).values(**values))
                ended = (
                    update(staff_sessions)
                    .where(staff_sessions.c.username == username, staff_sessions.c.ended_at.is_(None))
                    .values(ended_at=utc_now())
                )
                connection.execute(ended)  # whoever knew the old password is logged out
            else:
                connection.execute(
                    insert(users).values(
                        username=username,
                        display_name=display_name or username,
                        password_hash=generate_password_hash(password),
                        created_at=utc_now(),
                    )
                )

    def get(self, username: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(users).where(users.c.username == username.strip().casefold())).first()
        return dict(row._mapping) if row else None

    def check(self, username: str, password: str) -> dict[str, Any] | None:
        """The account if the password is right, else None (in the same time either way)."""
        user = self.get(username)
        ok = check_password_hash(user["password_hash"] if user else _NOBODY, password)
        return user if user and ok else None

    def all(self) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(select(users).order_by(users.c.username))]


ACTIONS_TH = {
    "login": "เข้าสู่ระบบ",
    "login-failed": "เข้าสู่ระบบไม่สำเร็จ",
    "logout": "ออกจากระบบ",
    "consolidate-start": "สั่งรวมข้อมูล",
    "consolidate-join": "สั่งรวมข้อมูล (ระหว่างที่กำลังรวมอยู่)",
    "download-master": "ดาวน์โหลดไฟล์รวม",
    "download-submission": "ดาวน์โหลดไฟล์ที่หน่วยส่ง",
    "document-made": "สร้างเอกสารใหม่",
    "document-refused": "สร้างเอกสารไม่ได้",
    "download-document": "ดาวน์โหลดเอกสาร",
    "link-created": "สร้างลิงก์ส่งข้อมูล",
    "link-revoked": "ยกเลิกลิงก์ส่งข้อมูล",
    "upload": "ส่งไฟล์ผ่านลิงก์",
    "version-chosen": "เลือกฉบับที่นำไปรวม",
    "formula-code-created": "สร้างรหัสเชื่อมต่อสูตรของตนเอง",
    "formula-code-revoked": "ยกเลิกรหัสเชื่อมต่อสูตรของตนเอง",
}


class Audit:
    """The audit log: append-only, read by the staff's audit page and the login throttle.

    Actions are stored as stable codes (what a query or a later export filters on) and shown
    in Thai through :data:`ACTIONS_TH`.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(
        self, actor: str, action: str, target: str | None = None, detail: str | None = None, ip: str | None = None
    ) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                insert(audit).values(
                    at=utc_now(),
                    actor=actor[:96],
                    action=action,
                    target=(target or "")[:128] or None,
                    detail=detail,
                    ip=ip,
                )
            )

    def recent(self, limit: int = 300, *, target: str | None = None) -> list[dict[str, Any]]:
        query = select(audit).order_by(audit.c.id.desc()).limit(limit)
        if target is not None:
            query = query.where(audit.c.target == target)
        with self.engine.connect() as connection:
            return [{**dict(r._mapping), "at": as_utc(r.at)} for r in connection.execute(query)]

    def failed_logins(self, *, username: str, ip: str | None, within: dt.timedelta) -> tuple[int, int]:
        """Failed logins in the last ``within``: for this name from this address, and from this
        address for any name. Counted per address, so a stranger elsewhere cannot lock staff out
        by typing their names (OWASP's advice against lockout as a denial of service)."""
        since = utc_now() - within
        failed = (audit.c.action == "login-failed") & (audit.c.at >= since) & (audit.c.ip == (ip or "-"))
        name = audit.c.target == username.strip().casefold()
        query = select(func.count(), func.count().filter(name)).select_from(audit).where(failed)
        with self.engine.connect() as connection:
            from_address, for_name = connection.execute(query).one()
        return int(for_name), int(from_address)


class Sessions:
    """Staff sessions kept server-side: the cookie holds a random token, the database its hash.

    A session ends at logout, when its user's password is reset (:meth:`Users.add`) or after its
    lifetime: the same cookie, copied or replayed, then opens nothing, which a signed cookie alone
    cannot promise.
    """

    def __init__(self, engine: Engine, lifetime: dt.timedelta) -> None:
        self.engine, self.lifetime = engine, lifetime

    def start(self, username: str, ip: str | None) -> str:
        """A new session for ``username``; returns the token for its cookie. Sessions past their
        lifetime are forgotten here, so the table holds the live ones and the day's ended ones."""
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as connection:
            connection.execute(delete(staff_sessions).where(staff_sessions.c.started_at < utc_now() - self.lifetime))
            connection.execute(
                insert(staff_sessions).values(id=hashed(token), username=username, started_at=utc_now(), ip=ip)
            )
        return token

    def user(self, token: str) -> str | None:
        """The user of a live session, or None: unknown, ended, or older than its lifetime."""
        with self.engine.connect() as connection:
            row = connection.execute(select(staff_sessions).where(staff_sessions.c.id == hashed(token))).first()
        if row is None or row.ended_at is not None or as_utc(row.started_at) + self.lifetime < utc_now():
            return None
        return str(row.username)

    def end(self, token: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(staff_sessions)
                .where(staff_sessions.c.id == hashed(token), staff_sessions.c.ended_at.is_(None))
                .values(ended_at=utc_now())
            )


def hashed(token: str) -> str:
    """What the database keeps of a secret (a session's cookie, a formula code): its SHA-256, never the secret."""
    return hashlib.sha256(token.encode()).hexdigest()


class UploadLinks:
    """Per-school upload links: signed (the school is inside the signature), expiring, revocable."""

    def __init__(self, engine: Engine, secret: str) -> None:
        self.engine = engine
        self.signer = URLSafeSerializer(secret, salt="esaplan-upload-link")

    def issue(self, unit_code: str, created_by: str, *, days: int = LINK_DAYS) -> str:
        """A new link token for ``unit_code``; earlier links stay valid until revoked or expired."""
        link_id = secrets.token_urlsafe(12)
        with self.engine.begin() as connection:
            connection.execute(
                insert(upload_links).values(
                    id=link_id,
                    unit_code=unit_code,
                    created_by=created_by,
                    created_at=utc_now(),
                    expires_at=utc_now() + dt.timedelta(days=days),
                )
            )
        return self.token(link_id, unit_code)

    def token(self, link_id: str, unit_code: str) -> str:
        return self.signer.dumps({"l": link_id, "u": unit_code})

    def unit_of(self, token: str) -> str | None:
        """The school a token lets submit, or None: forged, altered, revoked or expired."""
        try:
            claim = self.signer.loads(token)
        except BadSignature:
            return None
        with self.engine.connect() as connection:
            row = connection.execute(select(upload_links).where(upload_links.c.id == claim.get("l"))).first()
        if (
            row is None
            or row.unit_code != claim.get("u")
            or row.revoked_at is not None
            or as_utc(row.expires_at) < utc_now()
        ):
            return None
        return str(row.unit_code)

    def active(self, unit_code: str) -> list[dict[str, Any]]:
        """The unit's links that still work, newest first, each with its token."""
        query = (
            select(upload_links)
            .where(upload_links.c.unit_code == unit_code, upload_links.c.revoked_at.is_(None))
            .order_by(upload_links.c.created_at.desc())
        )
        with self.engine.connect() as connection:
            rows = [dict(r._mapping) for r in connection.execute(query)]
        live = [{**r, "expires_at": as_utc(r["expires_at"]), "created_at": as_utc(r["created_at"])} for r in rows]
        return [{**r, "token": self.token(r["id"], unit_code)} for r in live if r["expires_at"] > utc_now()]

    def revoke(self, link_id: str, unit_code: str) -> bool:
        with self.engine.begin() as connection:
            done = connection.execute(
                update(upload_links)
                .where(
                    upload_links.c.id == link_id,
                    upload_links.c.unit_code == unit_code,
                    upload_links.c.revoked_at.is_(None),
                )
                .values(revoked_at=utc_now())
            )
        return bool(done.rowcount)
