"""The sync service's web front: an app factory and one blueprint per concern.

For now it serves the JSON API the spreadsheet surfaces call (formulas, consolidation) and the
Office add-in / Apps Script / xlwings Lite files generated from the formula registry. Views
only parse the request, call :mod:`addin`, :mod:`sync` or :mod:`rules`, and answer.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from ..settings import Settings, load_settings


def create_app(settings: Settings | None = None, *, api_token: str | None = None) -> Flask:
    """Build the Flask app for one installation; ``api_token`` overrides ``ESAPLAN_API_TOKEN``."""
    app = Flask(__name__)
    settings = settings or load_settings()
    app.config["ESAPLAN_SETTINGS"] = settings
    app.config["ESAPLAN_API_TOKEN"] = api_token or os.environ.get("ESAPLAN_API_TOKEN") or _token_file(settings.home)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]  # forms stay in their order, as staff know them

    from . import addin_files, api

    app.register_blueprint(api.blueprint)
    app.register_blueprint(addin_files.blueprint)
    return app


def _token_file(home: Path) -> str:
    """The installation's shared secret, made once and kept in ``<home>/api-token.txt`` (readable by staff who set up add-ins)."""
    path = home / "api-token.txt"
    if not path.is_file():
        home.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()
