"""The staff console: reviewers work through reported recruiters, admins manage accounts.

Logic lives in plain functions (auth, workflow, queries, transcript, charts, export) that take an
open SQLAlchemy session; the blueprints in ``console.blueprints`` (auth, reports, admin, api) only parse requests and
render, with one database session per request (``console.db``).
"""
