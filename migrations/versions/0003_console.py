"""staff console: staff users, API tokens, sign-in throttle; report assignment and decision reason

Revision ID: 0003_console
Revises: 0002_channels
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003_console"
down_revision: Union[str, Sequence[str], None] = "0002_channels"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "staff_api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["staff_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_staff_api_tokens_user_id", "staff_api_tokens", ["user_id"])
    op.create_table(
        "staff_login_throttle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=True),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    # batch mode: SQLite cannot add columns with indexes in place on every version.
    with op.batch_alter_table("reports") as batch_op:
        batch_op.add_column(sa.Column("assigned_to", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("decision_reason", sa.Text(), nullable=True))
        batch_op.create_index("ix_reports_assigned_to", ["assigned_to"])


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch_op:
        batch_op.drop_index("ix_reports_assigned_to")
        batch_op.drop_column("decision_reason")
        batch_op.drop_column("assigned_to")
    op.drop_table("staff_login_throttle")
    op.drop_index("ix_staff_api_tokens_user_id", table_name="staff_api_tokens")
    op.drop_table("staff_api_tokens")
    op.drop_table("staff_users")
