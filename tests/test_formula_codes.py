"""Each person's formula connection codes (sync/service/formula_tokens.py) at the API and the web page;
the browser walk-through is in tests/test_web_browser.py."""

from __future__ import annotations

from tests import test_web
from tests.test_web import _csrf, _login, _services

app, client = test_web.app, test_web.client  # the same fixtures: the service on the demo, SQLite and PostgreSQL


def test_a_persons_formula_code_is_kept_hashed_scoped_and_theirs_alone(client, app):
    """The database holds a code's hash, never the code; a 'consolidate' code may start a consolidation
    (audited under its holder's name); nobody revokes another person's code."""
    from sqlalchemy import select

    from sync.ledger.schema import formula_tokens

    tokens = _services(app).tokens
    _, formulas_only = tokens.issue("demo", "Excel เครื่องที่ทำงาน")
    _, consolidating = tokens.issue("demo", "Google Sheets งานรวมข้อมูล", "consolidate")
    other_id, _ = tokens.issue("somchai", "ของคนอื่น")
    with _services(app).ledger.engine.connect() as connection:
        kept = [tuple(r) for r in connection.execute(select(formula_tokens))]
    assert not any(formulas_only in map(str, row) or consolidating in map(str, row) for row in kept)

    ask = client.post("/api/formulas/ESA_BAHTTEXT", json={"args": [101]}, headers={"X-Esaplan-Token": formulas_only})
    assert ask.status_code == 200 and ask.json["result"] == "หนึ่งร้อยเอ็ดบาทถ้วน"
    refused = client.post("/api/jobs", json={}, headers={"X-Esaplan-Token": formulas_only})
    assert refused.status_code == 403
    started = client.post("/api/jobs", json={}, headers={"X-Esaplan-Token": consolidating})
    assert started.status_code == 202
    assert any(e["action"] == "consolidate-start" and e["actor"] == "demo" for e in _services(app).audit.recent(20))

    _login(client, app)
    page = client.get("/formula-codes")
    revoke = client.post(f"/formula-codes/{other_id}/revoke", data={"csrf_token": _csrf(page)})
    assert revoke.status_code == 302 and tokens.of("somchai")[0]["revoked_at"] is None
    made = client.post("/formula-codes", data={"csrf_token": _csrf(page), "label": "  ", "scope": "formulas"})
    assert made.status_code == 302 and len(tokens.of("demo")) == 2  # a code needs a name
