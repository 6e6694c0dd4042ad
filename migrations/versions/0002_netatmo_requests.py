"""netatmo_requests: the Netatmo request budget shared by replicas

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "netatmo_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_key", sa.String(length=128), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_netatmo_requests")),
    )
    with op.batch_alter_table("netatmo_requests", schema=None) as batch_op:
        batch_op.create_index("ix_netatmo_requests_account_at", ["account_key", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("netatmo_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_netatmo_requests_account_at")
    op.drop_table("netatmo_requests")
