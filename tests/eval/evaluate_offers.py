"""The offer benchmark of `make eval`: what the user gets when they describe a job offer.

Every text is sent in a fresh conversation through the REST channel (POST
/webhooks/rest/webhook), as a user would type it. The offer check's result reaches the user as
Rasa custom message ``{"type": "risk_assessment", "level": ..., "flags": [...], ...}`` (its own
``{"custom": ...}`` item in the REST reply); a reply without one has no flags and no level.
Scored against each item's hand-written labels only (never the product's rules or registry):
* the share of offer texts (kind offer, situation, rule_question, clean) that got a payload,
  and the false-payload rate on not_offer texts;
* flag micro precision/recall and per flag, level accuracy (a missing payload is a wrong level),
  and the same per kind.

Sets: tests/eval/heldout/offers.yml (the targets apply) and tests/eval/offer_cases.yml (older,
secondary). offer_cases.yml's header: ``agency_name`` marks a named LPK/PT whose licence status
the text does not state, so its label has no unlicensed_agency and says nothing either way about
it. Those cases score every other flag and the hand-written level; unlicensed_agency is neither
required nor counted as false for them (how often it was raised is reported).

Run with the question benchmark by `make eval` (python -m tests.eval.run); alone:
python -m tests.eval.evaluate_offers.
"""

from __future__ import annotations

import sys
import urllib.error
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence

import yaml

from bot.settings import get_settings
from tests.eval.judge import judge_offer, offer_figures
from tests.servers import RasaServer

EVAL_DIR = Path(__file__).resolve().parent
KINDS = ("offer", "situation", "rule_question", "clean", "not_offer")
UNDETERMINED_BY_LABEL = "unlicensed_agency"


def offer_sets() -> List[Dict[str, Any]]:
    """The offer sets, the held-out one first (its figures are held to the targets)."""
    return [
        {"name": "heldout_offers", "path": EVAL_DIR / "heldout" / "offers.yml", "primary": True},
        {"name": "offer_cases", "path": EVAL_DIR / "offer_cases.yml", "primary": False},
        {"name": "sealed_offers", "path": EVAL_DIR / "sealed" / "offers.yml", "primary": False, "sealed": True},
    ]


def load_offers(path: Path) -> List[Dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = data if isinstance(data, list) else (data.get("offers") or data.get("cases") or data.get("items"))
    offers = []
    for item in items or []:
        kind = item.get("kind") or "offer"
        if not item.get("text") or kind not in KINDS:
            raise ValueError(f"{path.name}: every item needs text and a kind in {KINDS}: {item!r}")
        level = item.get("level")
        level = None if level in (None, "none", "") else str(level)
        if kind != "not_offer" and level is None:
            raise ValueError(f"{path.name}: an offer text needs a hand-written level: {item!r}")
        offers.append({**item, "kind": kind, "level": level, "flags": list(item.get("flags") or [])})
    return offers


def not_scored(item: Mapping[str, Any]) -> List[str]:
    """Flags the item's label says nothing about (see the module docstring)."""
    if item.get("agency_name") and UNDETERMINED_BY_LABEL not in item["flags"]:
        return [UNDETERMINED_BY_LABEL]
    return []


def evaluate_offers(server: RasaServer, offers: Sequence[Mapping[str, Any]], set_name: str) -> Dict[str, Any]:
    judged: List[Dict[str, Any]] = []
    run_id = uuid.uuid4().hex[:8]
    for index, item in enumerate(offers):
        error = None
        try:
            messages = server.send(f"eval-{set_name}-{run_id}-{index}", item["text"])
        except urllib.error.HTTPError as failure:
            messages, error = [], f"HTTP {failure.code}"
        result = judge_offer(item, messages, not_scored(item))
        result["error"] = error
        result["agency_name"] = item.get("agency_name")
        judged.append(result)
    by_kind: Dict[str, List[Dict[str, Any]]] = defaultdict(list)
    for result in judged:
        by_kind[result["kind"]].append(result)
    figures = offer_figures(judged)
    figures["turn_errors"] = sum(1 for j in judged if j["error"])
    figures["unscored_unlicensed_agency_raised"] = sum(1 for j in judged if j["ignored_flags_raised"])
    figures["unscored_unlicensed_agency_items"] = sum(
        1 for j in judged if j["agency_name"] and UNDETERMINED_BY_LABEL not in j["flags"]
    )
    per_kind = {
        kind: {k: v for k, v in offer_figures(rows).items() if k != "per_flag"}
        for kind, rows in sorted(by_kind.items(), key=lambda kv: KINDS.index(kv[0]))
    }
    return {"figures": figures, "per_kind": per_kind, "items": judged}


def _f(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}"


OFFER_LABELS = {
    "no_payload": "no payload",
    "false_payload": "payload on a non-offer",
    "missed_flag": "missed flag",
    "false_flag": "false flag",
    "level_off": "level off",
}


def print_offers(name: str, path: Path, primary: bool, result: Mapping[str, Any]) -> None:
    f = result["figures"]
    role = "targets apply" if primary else "secondary set, no targets"
    t = (lambda text: f"  (target {text})") if primary else (lambda text: "")
    print(f"\nOffers: {name} ({path.relative_to(get_settings().project_root)}), {f['items']} items ({role})")
    print(f"  risk_assessment payload    {_f(f['payload_share'])}  of {f['offers']} offer texts{t('>= 0.95')}")
    print(f"  false payload (not_offer)  {_f(f['false_payload_rate'])}  of {f['not_offers']}")
    print(f"  flag micro precision       {_f(f['micro_precision'])}{t('>= 0.85')}")
    print(f"  flag micro recall          {_f(f['micro_recall'])}{t('>= 0.90')}")
    print(f"  level accuracy             {_f(f['level_accuracy'])}{t('>= 0.85')}")
    errors = ", ".join(f"{OFFER_LABELS[k]} {v}" for k, v in sorted(f["errors"].items(), key=lambda kv: -kv[1]))
    print(f"  items by error             {errors or 'none'}")
    if f["unscored_unlicensed_agency_items"]:
        print(
            f"  agency_name cases          {f['unscored_unlicensed_agency_items']} (unlicensed_agency not scored; "
            f"raised on {f['unscored_unlicensed_agency_raised']})"
        )
    if f["turn_errors"]:
        print(f"  turns that failed (HTTP)   {f['turn_errors']}")
    print(f"  {'flag':26} precision  recall   tp  fp  fn")
    for flag, row in f["per_flag"].items():
        print(f"  {flag:26} {_f(row['precision']):>9} {_f(row['recall']):>7} {row['tp']:4} {row['fp']:3} {row['fn']:3}")
    print(f"  {'kind':14} n    payload  precision  recall  level")
    for kind, row in result["per_kind"].items():
        payload = row["payload_share"] if kind != "not_offer" else row["false_payload_rate"]
        label = "" if kind != "not_offer" else " (false)"
        print(
            f"  {kind:14} {row['items']:<4} {_f(payload):>7}{label} {_f(row['micro_precision']):>10} "
            f"{_f(row['micro_recall']):>7} {_f(row['level_accuracy']):>6}"
        )


if __name__ == "__main__":
    from tests.eval.run import main

    sys.exit(main(["offers", *sys.argv[1:]]))
