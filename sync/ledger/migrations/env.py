"""Alembic's entry point for the ledger: run by :func:`sync.ledger.store.migrate` on the connection it hands over.

There is no alembic.ini: the ledger's URL is the installation's (``database_url``), and the
migrations run inside esaplan when the ledger is opened, so an office never runs Alembic by hand.
"""

from __future__ import annotations

from alembic import context

from sync.ledger.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=metadata, render_as_batch=connection.dialect.name == "sqlite"
)  # SQLite alters tables by copying them
with context.begin_transaction():
    context.run_migrations()
