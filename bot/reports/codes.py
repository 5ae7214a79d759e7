"""Case codes and PINs. The PIN is stored only as a salted, keyed hash (HMAC-SHA256).

Why keyed and not a slow hash: a PIN has 6 digits, so a slow hash only delays a guesser who holds
the database (scrypt at 43 ms: about 6 CPU-hours per PIN, less than a euro of cloud time), while
costing 43 ms of the assistant's CPU at every report and status check. With the key kept outside
the database (REPORT_PIN_KEY, a secret like the others), a copy of the database alone gives no way
to test a PIN at all. Guessing through the chat is limited by the status check's counters
(bot/storage/reports.py). PINs hashed by earlier versions (scrypt, no key) are wrapped with the
key by `python -m bot.manage wrap-legacy-pins` (``wrap_legacy_pin_hash``: the key over the stored
scrypt digest, so no PIN is needed), which leaves a database copy nothing to test them with; they
still verify, and are re-hashed to the plain keyed hash at the next status check with the right PIN.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Optional

# No I, L, O, 0 or 1: codes are read aloud and typed on phones.
CASE_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CASE_CODE = re.compile(rf"\b([{CASE_CODE_ALPHABET}]{{4}})[-\s]?([{CASE_CODE_ALPHABET}]{{4}})\b")
_PIN = re.compile(r"(?<!\d)(\d{6})(?!\d)")
PIN_HASH_SCHEME = "hmac-sha256"
# Earlier versions' hashes: verified, never written.
_LEGACY_SCHEME = "scrypt"
_LEGACY_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
# A legacy hash wrapped with the key: HMAC(key, scrypt digest). Verified, and replaced like the legacy one.
WRAPPED_LEGACY_SCHEME = "scrypt-hmac-sha256"


def new_case_code() -> str:
    """Like K7QX-4M2P: 4+4 characters, about 40 bits (uniqueness is enforced by the database)."""
    chars = "".join(secrets.choice(CASE_CODE_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def new_pin() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def find_case_code(text: str) -> Optional[str]:
    """A case code in what the user typed ("cek status laporan k7qx 4m2p"), normalised, or None.

    Only candidates with a digit or a separator count, so ordinary 8-letter words ("kemnaker")
    are not mistaken for codes.
    """
    for match in _CASE_CODE.finditer((text or "").upper()):
        whole = match.group(0)
        if any(ch.isdigit() for ch in whole) or "-" in whole or " " in whole:
            return f"{match.group(1)}-{match.group(2)}"
    return None


def find_pin(text: str) -> Optional[str]:
    match = _PIN.search(text or "")
    return match.group(1) if match else None


def _keyed_digest(pin: str, salt: bytes, key: bytes) -> bytes:
    return hmac.new(key, salt + pin.encode(), hashlib.sha256).digest()


def hash_pin(pin: str, key: bytes) -> str:
    salt = secrets.token_bytes(16)
    return f"{PIN_HASH_SCHEME}${salt.hex()}${_keyed_digest(pin, salt, key).hex()}"


# Checked against when the case code is unknown, so an unknown code costs the same work as a real one.
DUMMY_PIN_HASH = f"{PIN_HASH_SCHEME}$" + "00" * 16 + "$" + "00" * 32


def is_legacy_pin_hash(stored: str) -> bool:
    """A hash of an earlier version (scrypt, wrapped or not): replaced once its PIN is known right,
    because the plain keyed hash costs no scrypt at each status check."""
    return stored.startswith((_LEGACY_SCHEME + "$", WRAPPED_LEGACY_SCHEME + "$"))


# How an unkeyed scrypt hash starts (the storage layer finds them by it).
LEGACY_SCHEME_PREFIX = _LEGACY_SCHEME + "$"


def needs_wrapping(stored: str) -> bool:
    """An unkeyed scrypt hash: a copy of the database can test PINs against it."""
    return stored.startswith(LEGACY_SCHEME_PREFIX)


def _wrapped(digest: bytes, salt: bytes, key: bytes) -> bytes:
    return hmac.new(key, b"legacy-pin" + salt + digest, hashlib.sha256).digest()


def wrap_legacy_pin_hash(stored: str, key: bytes) -> str:
    """The unkeyed scrypt hash as one that needs the key too; anything else unchanged."""
    if not needs_wrapping(stored):
        return stored
    try:
        _scheme, salt_hex, digest_hex = stored.split("$")
        salt, digest = bytes.fromhex(salt_hex), bytes.fromhex(digest_hex)
    except ValueError:
        return stored  # unreadable: verify_pin refuses it anyway
    return f"{WRAPPED_LEGACY_SCHEME}${salt.hex()}${_wrapped(digest, salt, key).hex()}"


def verify_pin(pin: str, stored: str, key: bytes) -> bool:
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
        salt, expected = bytes.fromhex(salt_hex), bytes.fromhex(digest_hex)
    except ValueError:
        return False
    # A malformed PIN is checked too (as "000000"): its answer must take as long as a wrong one.
    wellformed = bool(re.fullmatch(r"\d{6}", pin or ""))
    candidate = pin if wellformed else "000000"
    if scheme == PIN_HASH_SCHEME:
        digest = _keyed_digest(candidate, salt, key)
    elif scheme == _LEGACY_SCHEME:
        digest = hashlib.scrypt(candidate.encode(), salt=salt, **_LEGACY_SCRYPT)
    elif scheme == WRAPPED_LEGACY_SCHEME:
        digest = _wrapped(hashlib.scrypt(candidate.encode(), salt=salt, **_LEGACY_SCRYPT), salt, key)
    else:
        return False
    return wellformed and hmac.compare_digest(digest, expected)
