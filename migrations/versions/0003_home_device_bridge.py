"""home_devices.bridge: the camera a door tag or siren talks through

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("home_devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bridge", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("home_devices", schema=None) as batch_op:
        batch_op.drop_column("bridge")
