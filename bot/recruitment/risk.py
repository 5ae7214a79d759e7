"""Risk rules: which red flags an offer shows and how serious it is overall.

Flag codes and level rules are a public contract (the staff console and its API use them):
urgent when there are signs of trafficking; high when any flag that alone means nonprocedural
recruitment is present, or two or more flags; medium for one other flag; low for none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from bot.recruitment.extract import OfferFacts, fee_is_excessive, salary_is_unrealistic
from bot.recruitment.registry import RegistryEntry, find_licensed

FLAG_CODES: Tuple[str, ...] = (
    "trafficking_signs",
    "wrong_visa",
    "unlicensed_agency",
    "document_retention",
    "language_test_waived",
    "deposit_or_penalty",
    "upfront_fee",
    "excessive_fee",
    "unrealistic_salary",
    "no_written_contract",
    "informal_contact_only",
    "fast_departure",
)
# Any one of these alone makes an offer high risk.
HIGH_RISK_FLAGS = frozenset(
    {
        "wrong_visa",
        "unlicensed_agency",
        "document_retention",
        "language_test_waived",
        "deposit_or_penalty",
        "upfront_fee",
    }
)
LEVELS: Tuple[str, ...] = ("low", "medium", "high", "urgent")


@dataclass(frozen=True)
class AgencyCheck:
    """What the registry says about an agency named in the offer."""

    name: str
    status: str  # "licensed", "expired" (expired or revoked licence) or "not_found"
    registry_name: Optional[str] = None
    licence_number: Optional[str] = None


@dataclass(frozen=True)
class RiskAssessment:
    level: str
    flags: Tuple[str, ...]
    agencies: Tuple[AgencyCheck, ...] = ()

    def payload(self) -> Dict[str, object]:
        """The machine-readable result sent with every offer check (a Rasa custom message)."""
        return {
            "type": "risk_assessment",
            "level": self.level,
            "flags": list(self.flags),
            "agencies": [{"name": a.name, "status": a.status} for a in self.agencies],
        }


def risk_level(flag_list: Sequence[str]) -> str:
    flags = set(flag_list)
    if "trafficking_signs" in flags:
        return "urgent"
    if flags & HIGH_RISK_FLAGS or len(flags) >= 2:
        return "high"
    if flags:
        return "medium"
    return "low"


def check_agencies(facts: OfferFacts, registry: Sequence[RegistryEntry], today: dt.date) -> Tuple[AgencyCheck, ...]:
    checks: List[AgencyCheck] = []
    for agency in facts.agencies:
        match = find_licensed(agency.name, registry)
        if match is None:
            checks.append(AgencyCheck(name=agency.name, status="not_found"))
        else:
            status = "licensed" if match.entry.is_valid_on(today) else "expired"
            checks.append(AgencyCheck(agency.name, status, match.entry.name, match.entry.licence_number))
    return tuple(checks)


# Facts that are a red flag on their own, one to one.
_FACT_FLAGS: Tuple[Tuple[str, str], ...] = (
    ("trafficking", "trafficking_signs"),
    ("wrong_visa", "wrong_visa"),
    ("documents_held", "document_retention"),
    ("test_waived", "language_test_waived"),
    ("deposit_or_penalty", "deposit_or_penalty"),
    ("no_written_contract", "no_written_contract"),
    ("informal_contact_only", "informal_contact_only"),
    ("fast_departure", "fast_departure"),
)


def offer_flags(facts: OfferFacts, agencies: Sequence[AgencyCheck]) -> Tuple[str, ...]:
    """The red flags in an offer, in order of seriousness."""
    found = {flag for fact, flag in _FACT_FLAGS if getattr(facts, fact)}
    # Only a licence our registry shows as expired or revoked counts. A name missing from it does
    # not: our registry is a sample copy (content/registry/sample_registry.csv), so "not found"
    # says nothing about the agency. It stays in the assessment's agencies with status not_found,
    # and the reply tells the user to check the official registries.
    registry_problem = any(agency.status == "expired" for agency in agencies)
    if facts.individual_recruiter or facts.explicitly_unlicensed or registry_problem:
        found.add("unlicensed_agency")
    # Money before any contract, or money to a person: the legal routes never work this way.
    if facts.upfront_payment or (facts.fees and facts.individual_recruiter):
        found.add("upfront_fee")
    if fee_is_excessive(facts):
        found.add("excessive_fee")
    if salary_is_unrealistic(facts):
        found.add("unrealistic_salary")
    return tuple(code for code in FLAG_CODES if code in found)


def assess_offer(
    facts: OfferFacts, registry: Sequence[RegistryEntry], today: Optional[dt.date] = None
) -> RiskAssessment:
    agencies = check_agencies(facts, registry, today or dt.date.today())
    flags = offer_flags(facts, agencies)
    return RiskAssessment(level=risk_level(flags), flags=flags, agencies=agencies)
