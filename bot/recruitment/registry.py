"""The registry of licensed agencies, LPKs and Sending Organizations, and forgiving name matching.

Users type names loosely ("lpk sakura", "PT. Maju jaya abadi", typos), so names are compared
after normalising (case, punctuation, legal prefixes such as PT/LPK/CV/Yayasan) with a fuzzy
ratio. The data comes from a CSV export of the official registries (see ``load_registry_csv``);
the bot still always tells users to verify on the official sites, because our copy can be stale.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Tuple

from rapidfuzz import fuzz, process

CSV_COLUMNS = ("name", "licence_number", "kind", "city", "valid_until", "status")
KINDS = ("lpk", "so", "p3mi")
_PREFIXES = re.compile(r"^(?:pt|p\.t|lpk|cv|so|yayasan|koperasi|lembaga pelatihan kerja)\b\.?\s*", re.IGNORECASE)
_SUFFIXES = re.compile(r"\s*\b(?:tbk|indonesia)\.?$", re.IGNORECASE)
MATCH_THRESHOLD = 88


class RegistryError(ValueError):
    """A registry file that cannot be imported; the message says which row and why."""


@dataclass(frozen=True)
class RegistryEntry:
    name: str
    licence_number: str
    kind: str
    city: str
    valid_until: Optional[dt.date]
    status: str

    def is_valid_on(self, day: dt.date) -> bool:
        if self.status.lower() not in ("active", "aktif"):
            return False
        return self.valid_until is None or self.valid_until >= day


@dataclass(frozen=True)
class RegistryMatch:
    entry: RegistryEntry
    score: float


def normalise_name(name: str) -> str:
    """ "PT. Maju Jaya Abadi" and "maju jaya abadi" compare equal."""
    text = re.sub(r"[^\w\s]", " ", (name or "").lower())
    text = re.sub(r"\s+", " ", text).strip()
    previous = None
    while previous != text:
        previous = text
        text = _PREFIXES.sub("", text).strip()
    return _SUFFIXES.sub("", text).strip()


def _parse_date(raw: str, row: int) -> Optional[dt.date]:
    raw = (raw or "").strip()
    if not raw:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise RegistryError(f"row {row}: valid_until {raw!r} is not a date (use YYYY-MM-DD)")


def parse_registry_rows(rows: Iterable[dict]) -> List[RegistryEntry]:
    entries: List[RegistryEntry] = []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        name = (row.get("name") or "").strip()
        kind = (row.get("kind") or "").strip().lower()
        if not name:
            raise RegistryError(f"row {number}: the name is empty")
        if kind not in KINDS:
            raise RegistryError(f"row {number}: kind {kind!r} is not one of {KINDS}")
        entries.append(
            RegistryEntry(
                name=name,
                licence_number=(row.get("licence_number") or "").strip(),
                kind=kind,
                city=(row.get("city") or "").strip(),
                valid_until=_parse_date(row.get("valid_until") or "", number),
                status=(row.get("status") or "").strip().lower() or "active",
            )
        )
    return entries


def load_registry_csv(path: Path) -> List[RegistryEntry]:
    """Read a CSV export with the columns in ``CSV_COLUMNS`` (lines starting with # are comments)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = [line for line in handle if not line.lstrip().startswith("#")]
    reader = csv.DictReader(lines)
    missing = [column for column in CSV_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise RegistryError(f"{path.name}: missing columns {missing}; expected {list(CSV_COLUMNS)}")
    return parse_registry_rows(reader)


def find_licensed(name: str, entries: Sequence[RegistryEntry]) -> Optional[RegistryMatch]:
    """The registry entry a typed name most likely means, or None when nothing is close enough."""
    wanted = normalise_name(name)
    if not wanted or not entries:
        return None
    choices = [normalise_name(entry.name) for entry in entries]
    best: Optional[Tuple[str, float, int]] = process.extractOne(wanted, choices, scorer=fuzz.ratio)
    if best is None or best[1] < MATCH_THRESHOLD:
        return None
    return RegistryMatch(entry=entries[best[2]], score=best[1])
