"""channel inbox (de-duplication, replay) and the staff alert outbox

Revision ID: 0002_channels
Revises: 0001_initial
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002_channels"
down_revision: Union[str, Sequence[str], None] = "0001_initial"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "channel_inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=30), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "external_id", name="uq_inbox_channel_external_id"),
    )
    op.create_index("ix_channel_inbox_sender_id", "channel_inbox", ["sender_id"])
    op.create_index("ix_channel_inbox_status", "channel_inbox", ["status"])
    op.create_index("ix_channel_inbox_received_at", "channel_inbox", ["received_at"])
    op.create_table(
        "staff_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("report_id"),
    )
    op.create_index("ix_staff_alerts_status", "staff_alerts", ["status"])


def downgrade() -> None:
    op.drop_index("ix_staff_alerts_status", table_name="staff_alerts")
    op.drop_table("staff_alerts")
    op.drop_index("ix_channel_inbox_received_at", table_name="channel_inbox")
    op.drop_index("ix_channel_inbox_status", table_name="channel_inbox")
    op.drop_index("ix_channel_inbox_sender_id", table_name="channel_inbox")
    op.drop_table("channel_inbox")
