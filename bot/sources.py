"""The project's own register of public sources: ``content/sources/*.yml``.

Every source URL an answer cites is listed once in the register, with what it supports, the
numbers and phone numbers an answer citing it may state, and the date the team last checked it
against the fact base. The register lets the content checks run on any checkout: an answer's
URLs, phone numbers and figures are compared with the register, not with a file outside the repo.

Several files may describe the same URL (each team member or helper keeps their own file); the
loader merges them by URL, taking the union of numbers and phones and the latest ``checked`` date.

This module also holds the text helpers the checks share: :func:`digits`, :func:`phone_numbers`
and :func:`numbers_in` (the figures a text states, with thousands separators removed and URLs,
e-mail addresses, phone numbers and list markers left out).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterable, Iterator, List, Mapping, Optional, Tuple

import yaml

from bot.knowledge import ContentError

__all__ = [
    "ContentError",
    "PHONE",
    "RegisteredSource",
    "SourceRegister",
    "digits",
    "load_source_register",
    "numbers_in",
    "phone_numbers",
]

_ALLOWED_KEYS = frozenset({"url", "title", "supports", "numbers", "phones", "checked"})
_REQUIRED_KEYS = ("url", "title", "supports", "checked")
_DIGIT_STRING = re.compile(r"^\d+$")


@dataclass(frozen=True)
class RegisteredSource:
    """One public source, as the register describes it (merged over every file that lists it)."""

    url: str
    title: str
    supports: str
    numbers: FrozenSet[str]
    phones: FrozenSet[str]
    checked: dt.date
    files: Tuple[str, ...]


@dataclass(frozen=True)
class SourceRegister:
    sources: Mapping[str, RegisteredSource]

    def __contains__(self, url: object) -> bool:
        return url in self.sources

    def __len__(self) -> int:
        return len(self.sources)

    def __iter__(self) -> Iterator[RegisteredSource]:
        return iter(self.sources.values())

    def get(self, url: str) -> Optional[RegisteredSource]:
        return self.sources.get(url)

    def numbers_for(self, urls: Iterable[str]) -> FrozenSet[str]:
        """The numbers the given sources support together (unknown URLs support nothing)."""
        found: set = set()
        for url in urls:
            source = self.sources.get(url)
            if source is not None:
                found |= source.numbers
        return frozenset(found)

    @property
    def phones(self) -> FrozenSet[str]:
        """Every phone number (digits only) some registered source supports."""
        found: set = set()
        for source in self.sources.values():
            found |= source.phones
        return frozenset(found)


def _digit_strings(raw: object, key: str, where: str) -> FrozenSet[str]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        raise ContentError(f"{where}: '{key}' must be a list of digit strings, got {raw!r}")
    values = []
    for item in raw:
        if not isinstance(item, str) or not _DIGIT_STRING.match(item):
            raise ContentError(
                f"{where}: '{key}' entries must be quoted strings of digits only (e.g. \"805700\"), got {item!r}"
            )
        values.append(item)
    return frozenset(values)


def _checked(raw: object, where: str) -> dt.date:
    if isinstance(raw, dt.datetime):
        raise ContentError(f"{where}: 'checked' must be a date (YYYY-MM-DD), not a date and time: {raw!r}")
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, str):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError as error:
            raise ContentError(f"{where}: 'checked' is not a date (YYYY-MM-DD): {raw!r}") from error
    raise ContentError(f"{where}: 'checked' is not a date (YYYY-MM-DD): {raw!r}")


def _parse_entry(raw: object, where: str) -> RegisteredSource:
    if not isinstance(raw, Mapping):
        raise ContentError(f"{where}: each source must be a mapping with {list(_REQUIRED_KEYS)}, got {raw!r}")
    unknown = sorted(set(map(str, raw)) - _ALLOWED_KEYS)
    if unknown:
        raise ContentError(f"{where}: unknown keys {unknown}; allowed: {sorted(_ALLOWED_KEYS)}")
    url = raw.get("url")
    if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url) or any(c.isspace() for c in url):
        raise ContentError(f"{where}: 'url' must be a full http(s) URL without spaces, got {url!r}")
    where = f"{where} ({url})"
    for key in ("title", "supports"):
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ContentError(f"{where}: '{key}' must be a non-empty text")
    if "checked" not in raw:
        raise ContentError(f"{where}: 'checked' (the date the source was last checked) is missing")
    return RegisteredSource(
        url=url,
        title=str(raw["title"]).strip(),
        supports=str(raw["supports"]).strip(),
        numbers=_digit_strings(raw.get("numbers"), "numbers", where),
        phones=_digit_strings(raw.get("phones"), "phones", where),
        checked=_checked(raw.get("checked"), where),
        files=(),
    )


def _merge(old: RegisteredSource, new: RegisteredSource) -> RegisteredSource:
    supports = old.supports if new.supports in old.supports else f"{old.supports}; {new.supports}"
    return RegisteredSource(
        url=old.url,
        title=old.title,
        supports=supports,
        numbers=old.numbers | new.numbers,
        phones=old.phones | new.phones,
        checked=max(old.checked, new.checked),
        files=tuple(dict.fromkeys(old.files + new.files)),
    )


def load_source_register(directory: Path) -> SourceRegister:
    """Load, validate and merge every ``*.yml`` file in ``directory``."""
    files = sorted(Path(directory).glob("*.yml"))
    if not files:
        raise ContentError(f"no source register files in {directory}")
    merged: Dict[str, RegisteredSource] = {}
    for path in files:
        try:
            data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise ContentError(f"{path.name}: not valid YAML: {error}") from error
        if not isinstance(data, Mapping) or not isinstance(data.get("sources"), list):
            raise ContentError(f"{path.name}: expected a top-level 'sources' list")
        for index, raw in enumerate(data["sources"], start=1):
            entry = _parse_entry(raw, f"{path.name}: source #{index}")
            entry = replace(entry, files=(path.name,))
            merged[entry.url] = _merge(merged[entry.url], entry) if entry.url in merged else entry
    return SourceRegister(sources=dict(merged))


def digits(text: str) -> str:
    """Only the digits of ``text``: ``"0-800-1000"`` -> ``"08001000"``."""
    return re.sub(r"\D", "", text)


# Phone numbers as the content writes them: international (+81 80 3506 8612, +62 21 2924 4800),
# national with dashes (0-800-1000, 0811-8080-141, 0570-013904, 03-5796-7112, 0120-811-610), national
# without dashes (08118080141), Indonesian short call centres (1500-630) and Japan's 110 and 119.
PHONE = re.compile(
    r"(?<![\w.,/+\-])(?:"
    r"\+\d{1,3}(?:[ \-]?\d){7,12}"
    r"|0\d{0,4}(?:-\d{2,6}){1,3}"
    r"|0\d{9,12}"
    r"|1\d{3}-\d{3}"
    r"|11[09]"
    r")(?!\w|[.,:\-]\d)"
)
_URL = re.compile(r"https?://\S+")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_DOMAIN = re.compile(r"\b(?:[a-z0-9-]+\.)+(?:id|jp|com|org|net|info|go\.id|go\.jp)\b(?:/[^\s)]*)?", re.IGNORECASE)
_LIST_MARKER = re.compile(r"(?m)^[ \t]*\d{1,2}[.)][ \t]")
# A figure: digits with optional internal separators ("805.700", "805,700", "37,2", "8:30").
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")


def phone_numbers(text: str) -> List[str]:
    """The phone numbers written in ``text`` (as written), URLs and e-mail addresses left out."""
    text = _EMAIL.sub(" ", _URL.sub(" ", text))
    return [match.group(0) for match in PHONE.finditer(text)]


def numbers_in(text: str) -> List[str]:
    """The figures ``text`` states, separators removed: ``"805.700"`` and ``"805,700"`` -> ``"805700"``.

    Left out: URLs, bare domains and e-mail addresses, phone numbers, list markers ("1. " at the
    start of a line) and digits inside a word such as P3MI or KP2MI. Ranges give both ends
    ("Rp10–15" -> "10", "15"); ordinals and levels keep their digits ("3rd" -> "3", "N4" -> "4").
    """
    text = _EMAIL.sub(" ", _URL.sub(" ", text))
    text = _DOMAIN.sub(" ", text)
    text = PHONE.sub(" ", text)
    text = _LIST_MARKER.sub(" ", text)
    found = []
    for match in _NUMBER.finditer(text):
        start, end = match.span()
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        if before.isalpha() and after.isalpha():
            continue  # an acronym such as P3MI, BP2MI, SISKOP2MI
        found.append(re.sub(r"[.,:]", "", match.group(0)))
    return found
