"""GET /api/openapi.json: the console's JSON API described in OpenAPI 3.0 (console/openapi.yaml).

No sign-in: the file describes paths, filters and error bodies and holds no data, and tools
(and the API fuzz test) read it before they have a token.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Dict

import yaml
from flask import Blueprint, Response, jsonify

OPENAPI_FILE = Path(__file__).with_name("openapi.yaml")

blueprint = Blueprint("api_docs", __name__)


@functools.lru_cache(maxsize=1)
def openapi_document() -> Dict[str, Any]:
    """The description, read once per process (it only changes with a release)."""
    document = yaml.safe_load(OPENAPI_FILE.read_text(encoding="utf-8"))
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3."):
        raise ValueError(f"{OPENAPI_FILE} is not an OpenAPI 3 document")
    return document


@blueprint.route("/api/openapi.json")
def openapi_json() -> Response:
    response = jsonify(openapi_document())
    response.headers["Cache-Control"] = "public, max-age=3600"  # no personal data in it
    return response
