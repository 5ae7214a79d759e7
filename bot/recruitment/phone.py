"""Read phone numbers out of chat text and write them in E.164 ("+6281234567890").

Recruiters share numbers in every shape ("0812-3456-7890", "+62 812 3456 7890", "wa 0811-8080-141",
Japanese "090-1234-5678"). E.164 gives one spelling per number, so the same recruiter can be
recognised across messages. Validation is left to ``phonenumbers``; this module decides which text
to hand it and which region to read it in, and never raises.
"""

from __future__ import annotations

import re
from typing import Iterator, List, Optional, Tuple

import phonenumbers

# No phone number, with label and separators, is longer; anything longer is not one raw number.
_MAX_RAW_CHARS = 40
# E.164 allows 15 digits; "00" or a written trunk "0" adds up to two more.
_MIN_DIGITS, _MAX_DIGITS = 7, 17
# A number written with spaces has at most this many pieces ("+62 812 3456 7890" has four).
_MAX_PIECES = 6

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015"
# Optional label ("wa ", "HP: ", "Telp.") then the number itself, and nothing after it.
_RAW_NUMBER = re.compile(rf"[^\d+(]*(?P<core>[+(]{{0,3}}\d[\d\s().\-{_DASHES}]*)")
_SEPARATORS = re.compile(rf"[\s().\-{_DASHES}]")
_COMPACT = re.compile(r"\+?\d+")
# "01-02-2024", "2024.01.15": dates separated like phone numbers but never phone numbers.
_DATE = re.compile(r"\d{1,2}[-./]\d{1,2}[-./](?:\d{2}|\d{4})|\d{4}[-./]\d{1,2}[-./]\d{1,2}")
# Japanese mobiles are 11 digits starting 070/080/090. No Indonesian number starts with 070 or
# 090, so those are Japanese; 080 could be either and is read as Indonesian first.
_JAPAN_ONLY_MOBILE = re.compile(r"0[79]0\d{8}")
_JAPAN_MOBILE = re.compile(r"0[789]0\d{8}")

# One piece of a number in free text: digits with inner separators, e.g. "(021)", "0812-3456".
_PIECE = re.compile(rf"[+(]{{0,3}}\d[\d().\-{_DASHES}]*")
# Pieces of one number are separated by a few spaces at most, never by a line break.
_PIECE_GAP = re.compile(r"[ \t\u00a0]{1,3}")
_LETTER_AFTER = re.compile(r"[^\W\d_]")


def normalise_phone(raw: str, default_region: str = "ID") -> Optional[str]:
    """``raw`` as an E.164 number, or None when it is not a valid phone number."""
    if not isinstance(raw, str) or len(raw) > _MAX_RAW_CHARS:
        return None
    match = _RAW_NUMBER.fullmatch(raw.strip())
    if match is None or _DATE.fullmatch(match.group("core").strip()):
        return None
    compact = _SEPARATORS.sub("", match.group("core"))
    region = default_region.upper() if isinstance(default_region, str) else ""
    digit_count = len(compact.lstrip("+"))
    if not _COMPACT.fullmatch(compact) or not _MIN_DIGITS <= digit_count <= _MAX_DIGITS:
        return None
    for number, reading_region in _readings(compact, region):
        e164 = _valid_e164(number, reading_region)
        if e164 is not None:
            return e164
    return None


def find_phones(text: str, default_region: str = "ID") -> List[str]:
    """E.164 numbers found in ``text``, each once, in order of first appearance."""
    if not isinstance(text, str) or not text:
        return []
    found: List[str] = []
    for pieces in _piece_runs(text):
        for phone in _phones_in_run(text, pieces, default_region):
            if phone not in found:
                found.append(phone)
    return found


def _readings(compact: str, region: str) -> Iterator[Tuple[str, str]]:
    """The ways to read a digit string: (text for phonenumbers, region to read it in)."""
    if compact.startswith("+"):
        yield compact, region
    elif compact.startswith("00"):
        # "0062 812 ..." is the international prefix people type instead of "+".
        yield "+" + compact[2:], region
    elif compact.startswith("0"):
        if region == "ID" and _JAPAN_ONLY_MOBILE.fullmatch(compact):
            yield compact, "JP"
            return
        yield compact, region
        if region == "ID" and _JAPAN_MOBILE.fullmatch(compact):
            yield compact, "JP"  # "080-3506-8612" is not a valid Indonesian number
    elif _country_code(region) and compact.startswith(_country_code(region)):
        # "62812-3456-7890": the country code without "+".
        yield "+" + compact, region
    # Anything else ("12345", "15000000", "20240115") has no trunk "0" or country code: an
    # amount, a date or an ID, which phonenumbers would otherwise accept as a landline.


def _country_code(region: str) -> str:
    code = phonenumbers.country_code_for_region(region)
    return str(code) if code else ""


def _valid_e164(number: str, region: str) -> Optional[str]:
    if not region and not number.startswith("+"):
        return None  # a national number means nothing without knowing the country
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _piece_runs(text: str) -> List[List[Tuple[int, int]]]:
    """Spans of digit pieces, grouped into runs that are separated only by a few spaces."""
    runs: List[List[Tuple[int, int]]] = []
    for match in _PIECE.finditer(text):
        start, end = match.start(), match.end()
        if _LETTER_AFTER.match(text, end):
            continue  # "15jt", "3x", "N4a": a number glued to a word is not part of a phone
        if runs and _PIECE_GAP.fullmatch(text, runs[-1][-1][1], start):
            runs[-1].append((start, end))
        else:
            runs.append([(start, end)])
    return runs


def _phones_in_run(text: str, pieces: List[Tuple[int, int]], region: str) -> Iterator[str]:
    """Greedy left to right: the longest valid number starting at each piece.

    A run can hold a phone plus other numbers ("0812 3456 7890 2025"), so whole runs are not
    enough; trying shorter windows finds the phone inside.
    """
    index = 0
    while index < len(pieces):
        for stop in range(min(len(pieces), index + _MAX_PIECES), index, -1):
            candidate = text[pieces[index][0] : pieces[stop - 1][1]]
            # Cheap length check first: most windows in a long text are far too short.
            if not _MIN_DIGITS <= sum(ch.isdigit() for ch in candidate) <= _MAX_DIGITS:
                continue
            phone = normalise_phone(candidate, region)
            if phone is not None:
                yield phone
                index = stop
                break
        else:
            index += 1
