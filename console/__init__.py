"""The staff console: reviewers work through reported recruiters, admins manage accounts.

Logic lives in plain functions (auth, workflow, queries, transcript, charts, export) that take an
open SQLAlchemy session; the Flask views in ``console.views`` only parse requests and render.
"""
