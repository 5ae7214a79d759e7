"""security: atomic counters, server-side staff sessions, TOTP and recovery codes, token expiry,
consent records and an audit log for actions that concern no single report

Revision ID: 0005_security
Revises: 0004_reporter_notices
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005_security"
down_revision: Union[str, Sequence[str], None] = "0004_reporter_notices"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "security_counters",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False, server_default="0"),
        sa.UniqueConstraint("key", "window_start", name="uq_security_counter_window"),
    )
    op.create_index("ix_security_counters_window_start", "security_counters", ["window_start"])
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_reason", sa.String(length=40), nullable=True),
    )
    op.create_table(
        "staff_recovery_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        sa.Column("code_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False, index=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False, index=True),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    with op.batch_alter_table("staff_users") as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("totp_enabled_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("password_changed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("staff_api_tokens") as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("reports") as batch_op:
        batch_op.add_column(sa.Column("consent_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("consent_recorded_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("anonymised_at", sa.DateTime(), nullable=True))
        # PIN failures are counted per person trying (security_counters), not per report.
        batch_op.drop_column("failed_pin_attempts")
        batch_op.drop_column("pin_locked_until")
    # Lock-outs now live in security_counters, keyed by who tried from where (not by username
    # alone, which let anyone keep an account locked).
    op.drop_table("staff_login_throttle")


def downgrade() -> None:
    op.create_table(
        "staff_login_throttle",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(length=80), nullable=False, unique=True),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_failure_at", sa.DateTime(), nullable=True),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
    )
    with op.batch_alter_table("reports") as batch_op:
        batch_op.add_column(sa.Column("failed_pin_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("pin_locked_until", sa.DateTime(), nullable=True))
        batch_op.drop_column("anonymised_at")
        batch_op.drop_column("consent_recorded_at")
        batch_op.drop_column("consent_text")
    with op.batch_alter_table("staff_api_tokens") as batch_op:
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("staff_users") as batch_op:
        for column in (
            "must_change_password",
            "password_changed_at",
            "totp_last_step",
            "totp_enabled_at",
            "totp_secret",
        ):
            batch_op.drop_column(column)
    op.drop_table("audit_log")
    op.drop_table("staff_recovery_codes")
    op.drop_table("staff_sessions")
    op.drop_index("ix_security_counters_window_start", table_name="security_counters")
    op.drop_table("security_counters")
