import datetime as dt
import hashlib
from pathlib import Path

import pytest

from bot.recruitment.registry import RegistryError, find_licensed, load_registry_csv, normalise_name
from bot.reports.codes import (
    CASE_CODE_ALPHABET,
    DUMMY_PIN_HASH,
    find_case_code,
    find_pin,
    hash_pin,
    is_legacy_pin_hash,
    new_case_code,
    new_pin,
    verify_pin,
)
from bot.settings import get_settings


def test_sample_registry_is_marked_and_imports() -> None:
    path = get_settings().project_root / "content" / "registry" / "sample_registry.csv"
    assert "SAMPLE" in path.read_text(encoding="utf-8").splitlines()[0]
    entries = load_registry_csv(path)
    # Every data row of the file is imported, the comment lines above the header are not.
    assert [e.licence_number for e in entries] == [
        "SAMPLE-SO-0001",
        "SAMPLE-LPK-0002",
        "SAMPLE-P3MI-0003",
        "SAMPLE-SO-0004",
    ]
    assert {e.kind for e in entries} == {"lpk", "so", "p3mi"}


@pytest.mark.parametrize(
    "typed", ["lpk contoh sakura nusantara", "LPK. Contoh Sakura Nusantra", "contoh sakura nusantara"]
)
def test_forgiving_name_matching(typed: str) -> None:
    entries = load_registry_csv(get_settings().registry_csv)
    match = find_licensed(typed, entries)
    assert match is not None and match.entry.licence_number == "SAMPLE-SO-0001"


def test_unrelated_names_do_not_match() -> None:
    entries = load_registry_csv(get_settings().registry_csv)
    assert find_licensed("PT Maju Jaya Abadi", entries) is None
    assert find_licensed("", entries) is None


def test_expired_and_revoked_licences_are_not_valid() -> None:
    entries = {e.licence_number: e for e in load_registry_csv(get_settings().registry_csv)}
    assert not entries["SAMPLE-P3MI-0003"].is_valid_on(dt.date(2026, 11, 27))  # expired
    assert not entries["SAMPLE-SO-0004"].is_valid_on(dt.date(2024, 1, 1))  # revoked
    assert entries["SAMPLE-SO-0001"].is_valid_on(dt.date(2026, 11, 27))


def test_normalise_name_drops_prefixes_and_punctuation() -> None:
    assert normalise_name("PT. Maju Jaya Abadi Tbk") == "maju jaya abadi"
    assert normalise_name("LPK  Sakura") == "sakura"


@pytest.mark.parametrize(
    "body, message",
    [
        ("name,licence_number,kind\nX,1,so\n", "missing columns"),
        ("name,licence_number,kind,city,valid_until,status\n,1,so,A,2027-01-01,active\n", "name is empty"),
        ("name,licence_number,kind,city,valid_until,status\nX,1,bank,A,2027-01-01,active\n", "kind"),
        ("name,licence_number,kind,city,valid_until,status\nX,1,so,A,31 Feb,active\n", "not a date"),
    ],
)
def test_bad_registry_files_are_refused_with_the_row(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(RegistryError, match=message):
        load_registry_csv(path)


def test_case_codes_and_pins() -> None:
    codes = {new_case_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 9 and code[4] == "-"
        assert set(code.replace("-", "")) <= set(CASE_CODE_ALPHABET)
    pin = new_pin()
    assert len(pin) == 6 and pin.isdigit()


KEY, OTHER_KEY = bytes(range(32)), bytes(range(1, 33))


def test_pin_is_stored_salted_and_keyed() -> None:
    first, second = hash_pin("482913", KEY), hash_pin("482913", KEY)
    assert first != second and "482913" not in first
    assert first.startswith("hmac-sha256$") and not is_legacy_pin_hash(first)
    assert verify_pin("482913", first, KEY)
    assert not verify_pin("482914", first, KEY)
    assert not verify_pin("", first, KEY)
    assert not verify_pin("48291", first, KEY)
    assert not verify_pin("482913", "garbage", KEY)
    assert not verify_pin("482913", "hmac-sha256$zz$00", KEY)
    # Without the key (a copy of the database alone) the hash tells nothing: no PIN verifies.
    assert not verify_pin("482913", first, OTHER_KEY)


def test_the_dummy_hash_matches_no_pin() -> None:
    assert not any(verify_pin(f"{pin:06d}", DUMMY_PIN_HASH, KEY) for pin in range(0, 10**6, 9973))


def legacy_pin_hash(pin: str) -> str:
    """A PIN hash as versions before the keyed hash wrote it (scrypt, no key)."""
    salt = bytes(16)
    return f"scrypt${salt.hex()}${hashlib.scrypt(pin.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32).hex()}"


def test_pins_hashed_by_earlier_versions_still_verify() -> None:
    """Reports filed before the keyed hash carry scrypt hashes made without a key."""
    legacy = legacy_pin_hash("482913")
    assert is_legacy_pin_hash(legacy)
    assert verify_pin("482913", legacy, KEY) and verify_pin("482913", legacy, OTHER_KEY)
    assert not verify_pin("482914", legacy, KEY)
    assert not verify_pin("12ab", legacy, KEY)


@pytest.mark.parametrize(
    "text, code",
    [
        ("cek status laporan K7QX-4M2P", "K7QX-4M2P"),
        ("status k7qx-4m2p dong", "K7QX-4M2P"),
        ("K7QX 4M2P", "K7QX-4M2P"),
        ("K7QX4M2P", "K7QX-4M2P"),
        ("kemnaker language", None),
        ("", None),
    ],
)
def test_case_code_in_free_text(text: str, code) -> None:
    assert find_case_code(text) == code


def test_pin_in_free_text() -> None:
    assert find_pin("pin 482913") == "482913"
    assert find_pin("4829131") is None
    assert find_pin("12345") is None


def test_a_wrapped_old_hash_verifies_only_with_its_key() -> None:
    from bot.reports.codes import needs_wrapping, wrap_legacy_pin_hash

    legacy = legacy_pin_hash("482913")
    wrapped = wrap_legacy_pin_hash(legacy, KEY)
    assert wrapped.startswith("scrypt-hmac-sha256$") and wrapped != legacy and not needs_wrapping(wrapped)
    assert is_legacy_pin_hash(wrapped)  # still re-hashed to the cheap keyed hash at the next right PIN
    assert verify_pin("482913", wrapped, KEY) and not verify_pin("482913", wrapped, OTHER_KEY)
    assert not verify_pin("482914", wrapped, KEY)
    assert wrap_legacy_pin_hash(wrapped, KEY) == wrapped  # once only
    keyed = hash_pin("482913", KEY)
    assert wrap_legacy_pin_hash(keyed, KEY) == keyed and wrap_legacy_pin_hash("scrypt$zz$yy", KEY) == "scrypt$zz$yy"
