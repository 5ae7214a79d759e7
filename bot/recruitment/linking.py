"""Which recruiter already on file a new report names (pure: the caller reads the candidates).

Reports about one calo link to one recruiter row, so staff see "3 reports about this person". A
phone number is matched exactly by the caller; a name only counts when it is close *and* in the same
area: "Pak Darto" in Cirebon and "Darto" in Medan are not assumed to be one person.
"""

from __future__ import annotations

from typing import Iterable, Optional, Tuple

from rapidfuzz import fuzz, process

from bot.recruitment.registry import normalise_name

# fuzz.ratio of the normalised names: "dartoo" vs "darto" scores 90.9, "darto" vs "dharma" 54.5.
SAME_NAME_SCORE = 90

# (recruiter id, normalised name, area as the reporter typed it)
Candidate = Tuple[int, str, Optional[str]]


def same_area(a: Optional[str], b: Optional[str]) -> bool:
    return bool(a and b and normalise_name(a) == normalise_name(b))


def same_recruiter(normalised_name: str, area: Optional[str], candidates: Iterable[Candidate]) -> Optional[int]:
    """The id of the closest-named recruiter in the same area, or None. Best score first; on a tie
    the earlier candidate (the older row, when the caller orders by id) wins."""
    if not normalised_name or not area:
        return None
    in_area = {rid: name for rid, name, their_area in candidates if name and same_area(area, their_area)}
    if not in_area:
        return None
    best = process.extractOne(normalised_name, in_area, scorer=fuzz.ratio, score_cutoff=SAME_NAME_SCORE)
    return None if best is None else best[2]
