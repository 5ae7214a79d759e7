"""reporter notices: tell the reporter, through their chat, that staff wrote to them

Revision ID: 0004_reporter_notices
Revises: 0003_console
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004_reporter_notices"
down_revision: Union[str, Sequence[str], None] = "0003_console"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # batch mode: SQLite cannot add columns with indexes in place on every version. The server
    # defaults give existing messages "none": they were written before notices existed.
    with op.batch_alter_table("staff_messages") as batch_op:
        batch_op.add_column(sa.Column("notice_status", sa.String(length=20), nullable=False, server_default="none"))
        batch_op.add_column(sa.Column("notice_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("notice_next_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("notice_sent_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("notice_error", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_staff_messages_notice_status", ["notice_status"])


def downgrade() -> None:
    with op.batch_alter_table("staff_messages") as batch_op:
        batch_op.drop_index("ix_staff_messages_notice_status")
        batch_op.drop_column("notice_error")
        batch_op.drop_column("notice_sent_at")
        batch_op.drop_column("notice_next_at")
        batch_op.drop_column("notice_attempts")
        batch_op.drop_column("notice_status")
