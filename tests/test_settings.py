"""Installation settings: defaults, the config file, and folders that can be copied or moved."""

from __future__ import annotations

import shutil

from sync.ledger import database as ledger
from sync.ledger.database import open_ledger
from sync.office.settings import load_settings, write_config


def test_defaults_follow_the_folder_so_a_copy_uses_its_own_ledger(tmp_path, monkeypatch):
    monkeypatch.delenv("ESAPLAN_DATABASE_URL", raising=False)
    settings = load_settings(tmp_path / "a", fiscal_year=2569, round=12)
    write_config(settings)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    copy = load_settings(tmp_path / "b")
    assert copy.database_url == f"sqlite:///{tmp_path / 'b' / 'ledger.sqlite'}"
    assert (copy.fiscal_year, copy.round) == (2569, 12)


def test_explicit_database_url_is_kept_and_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.delenv("ESAPLAN_DATABASE_URL", raising=False)
    settings = load_settings(tmp_path, database_url="postgresql+psycopg://planner@db/esaplan")
    write_config(settings)
    assert load_settings(tmp_path).database_url == "postgresql+psycopg://planner@db/esaplan"
    monkeypatch.setenv("ESAPLAN_DATABASE_URL", "sqlite:////srv/esaplan/ledger.sqlite")
    assert load_settings(tmp_path).database_url == "sqlite:////srv/esaplan/ledger.sqlite"


def test_round_defaults_to_the_current_reporting_round(tmp_path):
    settings = load_settings(tmp_path)
    assert settings.round in (6, 9, 12) and settings.fiscal_year >= 2570
    assert settings.master_path().name == f"esaplan-master-FY{settings.fiscal_year}-R{settings.round}.xlsx"


def test_a_ledger_from_an_older_version_is_upgraded_in_place(tmp_path):
    import sqlite3

    from sync.ledger.database import open_ledger

    path = tmp_path / "ledger.sqlite"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE runs (id INTEGER PRIMARY KEY, fiscal_year INTEGER NOT NULL, round INTEGER NOT NULL, started_at DATETIME NOT NULL, finished_at DATETIME, status VARCHAR(16) NOT NULL, master_path TEXT, summary TEXT, error TEXT)"
        )
        old.execute(
            "INSERT INTO runs (fiscal_year, round, started_at, status) VALUES (2569, 12, '2026-10-01 00:00:00', 'ok')"
        )
    ledger = open_ledger(f"sqlite:///{path}")
    assert ledger.last_fingerprint(2569, 12) is None
    run = ledger.start_run(2569, 12)
    ledger.finish_run(run, status="ok", fingerprint="abc")
    assert ledger.last_fingerprint(2569, 12) == "abc"
    assert len(ledger.runs()) == 2


def test_a_process_keeps_engines_only_for_the_ledgers_it_used_last(tmp_path):
    """A worker serving many areas opens each area's ledger: only the last few keep an engine (its
    pool and compiled statements grew a worker by ~3 MiB an area); a ledger whose engine was let go
    still works, and its database opened again holds what was written."""
    urls = [f"sqlite:///{tmp_path / f'area{n}.sqlite'}" for n in range(ledger.ENGINES_KEPT + 3)]
    first = open_ledger(urls[0])
    run = first.start_run(2570, 6)
    for url in urls[1:]:
        open_ledger(url).start_run(2570, 6)
    assert len(ledger._engines) <= ledger.ENGINES_KEPT
    assert urls[0] not in ledger._engines and urls[-1] in ledger._engines
    first.finish_run(run, status="ok", fingerprint="ลายนิ้วมือ")
    assert open_ledger(urls[0]).last_fingerprint(2570, 6) == "ลายนิ้วมือ"
