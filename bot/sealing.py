"""Sealing: AES-GCM encryption of small values kept at rest (the status check's slots in the
tracker store, the console's TOTP secrets), with keys derived from a setting's secret. A sealed
value opens only with the key it was sealed with; anything else opens to None."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SEALED_PREFIX = "sealed:v1:"


def derive_key(purpose: str, secret: bytes) -> bytes:
    """One key per purpose from one secret: a key leaked for one use opens nothing else."""
    return hashlib.sha256(b"pandu sealing v1\x00" + purpose.encode("utf-8") + b"\x00" + secret).digest()


def seal(value: Any, key: bytes) -> Any:
    if value is None or (isinstance(value, str) and value.startswith(SEALED_PREFIX)):
        return value
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, json.dumps(value).encode("utf-8"), b"slot")
    return SEALED_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(value: Any, key: bytes) -> Any:
    """The clear value (a value never sealed passes as it is), or None when it was sealed with
    another key or is damaged."""
    if not isinstance(value, str) or not value.startswith(SEALED_PREFIX):
        return value
    try:
        raw = base64.urlsafe_b64decode(value[len(SEALED_PREFIX) :].encode("ascii"))
        return json.loads(AESGCM(key).decrypt(raw[:12], raw[12:], b"slot").decode("utf-8"))
    except (ValueError, InvalidTag):
        return None
