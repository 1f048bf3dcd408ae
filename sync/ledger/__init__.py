"""The ledger: every version of every submission ever received, kept and never overwritten
(store, schema, Alembic migrations, moving to another database), the records a read file becomes,
the round lock, and each unit's status (on time, late, errors) computed from it.
"""
