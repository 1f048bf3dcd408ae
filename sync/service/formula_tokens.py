"""Each person's own connection codes for the spreadsheets' formulas: scoped, revocable, audited.

The installation's one shared code (``api-token.txt``) stays the administrator's; staff make their
own on the web page (one per spreadsheet or PC, each with a label), see it once, and revoke it
there. A code's scope says what it may call: ``formulas`` (the formulas and the sheet checks, which
change nothing) or ``consolidate`` (also the Consolidate macros). The database keeps the code's
SHA-256 only, as for staff sessions, so a copy of the database opens nothing; a revoked code stops
at its next call (looked up on every call, no cache), and each code's last use is kept.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from rules import EsaplanError
from sync.ledger.schema import as_utc, formula_tokens, utc_now
from sync.service.accounts import hashed

#: What a code may call, in the words of the web page.
SCOPES_TH = {
    "formulas": "ใช้สูตรเท่านั้น (formulas only)",
    "consolidate": "ใช้สูตรและสั่งรวมข้อมูล (formulas and Consolidate)",
}
PREFIX = "esaf_"  # tells a personal code from the installation's when one is pasted in the wrong place
LABEL_MAX = 96
USE_EVERY = dt.timedelta(minutes=10)  # a code's last use is written at most this often (a column of calls, one write)


class TokenError(EsaplanError):
    """A code cannot be made as asked."""


@dataclass(frozen=True)
class Holder:
    """Who is calling with a code, and what the code lets them do."""

    username: str
    scope: str
    token_id: str | None  # None for the installation's own code

    def may(self, scope: str) -> bool:
        return self.scope == "all" or scope == "formulas" or self.scope == scope


class FormulaTokens:
    """The codes staff made, by their hash."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def issue(self, username: str, label: str, scope: str = "formulas") -> tuple[str, str]:
        """A new code for ``username``: (its id, the code itself, which is never shown again)."""
        label = " ".join(label.split())
        if not label:
            raise TokenError(
                "ตั้งชื่อรหัสก่อน เช่น Excel เครื่องที่ทำงาน หรือ Google Sheets งบประมาณ", "give the code a name first"
            )
        if len(label) > LABEL_MAX:
            raise TokenError(f"ชื่อรหัสยาวได้ไม่เกิน {LABEL_MAX} ตัวอักษร", f"a code's name has at most {LABEL_MAX} characters")
        if scope not in SCOPES_TH:
            raise TokenError(f"ขอบเขต {scope!r} ไม่มี", f"no scope {scope!r}")
        token_id, code = secrets.token_hex(8), PREFIX + secrets.token_urlsafe(32)
        with self.engine.begin() as connection:
            connection.execute(
                insert(formula_tokens).values(
                    id=token_id,
                    username=username,
                    label=label,
                    scope=scope,
                    token_hash=hashed(code),
                    created_at=utc_now(),
                )
            )
        return token_id, code

    def holder(self, code: str) -> Holder | None:
        """Whose live code this is, or None (unknown or revoked); notes its use at most every :data:`USE_EVERY`."""
        if not code.startswith(PREFIX):
            return None
        with self.engine.connect() as connection:
            row = connection.execute(select(formula_tokens).where(formula_tokens.c.token_hash == hashed(code))).first()
        if row is None or row.revoked_at is not None:
            return None
        if row.last_used_at is None or utc_now() - as_utc(row.last_used_at) > USE_EVERY:
            with self.engine.begin() as connection:
                connection.execute(
                    update(formula_tokens).where(formula_tokens.c.id == row.id).values(last_used_at=utc_now())
                )
        return Holder(str(row.username), str(row.scope), str(row.id))

    def of(self, username: str) -> list[dict[str, Any]]:
        """A person's codes, newest first, without their hashes."""
        query = (
            select(formula_tokens)
            .where(formula_tokens.c.username == username)
            .order_by(formula_tokens.c.created_at.desc())
        )
        with self.engine.connect() as connection:
            rows = [dict(r._mapping) for r in connection.execute(query)]
        return [
            {
                **{k: v for k, v in row.items() if k != "token_hash"},
                **{k: row[k] and as_utc(row[k]) for k in ("created_at", "last_used_at", "revoked_at")},
            }
            for row in rows
        ]

    def revoke(self, token_id: str, username: str) -> str | None:
        """Revoke one of ``username``'s codes; its label, or None when there was no live code to revoke."""
        with self.engine.begin() as connection:
            row = connection.execute(
                select(formula_tokens.c.label).where(
                    formula_tokens.c.id == token_id,
                    formula_tokens.c.username == username,
                    formula_tokens.c.revoked_at.is_(None),
                )
            ).first()
            if row is None:
                return None
            connection.execute(
                update(formula_tokens).where(formula_tokens.c.id == token_id).values(revoked_at=utc_now())
            )
        return str(row.label)
