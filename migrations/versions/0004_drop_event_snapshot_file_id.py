"""events.snapshot_file_id dropped: the picture's Telegram file id is read from the event's deliveries

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every delivery that sent the picture already holds its file id (`deliveries.telegram_file_id`).
    # A plain ALTER (SQLite >= 3.35), not a batch copy of the table: with foreign keys on, dropping the
    # old `events` table would cascade into `deliveries`.
    op.drop_column("events", "snapshot_file_id")


def downgrade() -> None:
    op.add_column("events", sa.Column("snapshot_file_id", sa.String(length=256), nullable=True))
