"""`GET /healthz`: the console's liveness and readiness probe (containers, load balancers).

No sign-in and no redirect: a probe must get its answer over the plain HTTP of the pod network.
It says only whether the database answers, nothing about what is in it.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from console.db import request_session

blueprint = Blueprint("health", __name__)


@blueprint.route("/healthz")
def healthz() -> Response:
    try:
        request_session().execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure is "not ready"; the reason stays in the server's log
        response = jsonify(status="database unavailable")
        response.status_code = 503
        return response
    return jsonify(status="ok")
