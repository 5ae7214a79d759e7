"""Case codes and PINs. The PIN is stored only as a salted hash (scrypt from the standard library)."""
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
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


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


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


# Hashed against when the case code is unknown, so an unknown code costs the same time as a real one.
DUMMY_PIN_HASH = "scrypt$" + "00" * 16 + "$" + "00" * 32


def verify_pin(pin: str, stored: str) -> bool:
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    # A malformed PIN is hashed too (as "000000"): its answer must take as long as a wrong one.
    wellformed = bool(re.fullmatch(r"\d{6}", pin or ""))
    digest = hashlib.scrypt((pin if wellformed else "000000").encode(), salt=bytes.fromhex(salt_hex), **_SCRYPT)
    if not wellformed:
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)
