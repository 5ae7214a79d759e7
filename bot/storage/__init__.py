"""Persistence of reports and their audit trail (SQLAlchemy 1.4; SQLite locally, PostgreSQL in production)."""
