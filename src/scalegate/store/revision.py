"""The schema revision this code expects, as a constant so that opening a store needs no Alembic import.

A test checks it equals the head of the shipped migrations.
"""

HEAD_REVISION = "0010_entry_columns_generated"
"""Head revision of ``store/migrations/versions``."""
