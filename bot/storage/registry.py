"""The licensed registry in the database: import from a CSV export, load for matching."""

from __future__ import annotations

from typing import List, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.recruitment.registry import RegistryEntry, normalise_name
from bot.storage.models import LicensedOrganisation


def replace_registry(session: Session, entries: Sequence[RegistryEntry]) -> int:
    """Replace the rows of the kinds present in ``entries`` (an export is a full snapshot)."""
    kinds = sorted({entry.kind for entry in entries})
    session.execute(delete(LicensedOrganisation).where(LicensedOrganisation.kind.in_(kinds)))
    for entry in entries:
        session.add(
            LicensedOrganisation(
                name=entry.name,
                normalised_name=normalise_name(entry.name),
                licence_number=entry.licence_number,
                kind=entry.kind,
                city=entry.city,
                valid_until=entry.valid_until,
                status=entry.status,
            )
        )
    return len(entries)


def registry_size(session: Session) -> int:
    return session.execute(select(func.count(LicensedOrganisation.id))).scalar_one()


def load_registry(session: Session) -> List[RegistryEntry]:
    rows = session.execute(select(LicensedOrganisation)).scalars()
    return [
        RegistryEntry(row.name, row.licence_number, row.kind, row.city or "", row.valid_until, row.status)
        for row in rows
    ]
