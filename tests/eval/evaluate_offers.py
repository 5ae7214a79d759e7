"""Benchmark of the offer checker on the held-out labelled offers (part of `make eval`).

tests/eval/offer_cases.yml was written independently of the rules and is never used to tune them
(tuning uses tests/unit/data/offer_dev_cases*.yml). Cases that name an LPK/PT without saying
whether it is licensed carry `agency_name`; their expected flags gain `unlicensed_agency` when the
registry in use does not list that name as licensed, because that is the rule the issue sets.
"""
from __future__ import annotations

import datetime as dt
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Sequence, Set

import yaml

from bot.recruitment.extract import extract_offer_facts
from bot.recruitment.registry import find_licensed, load_registry_csv
from bot.recruitment.risk import FLAG_CODES, assess_offer, risk_level
from bot.settings import get_settings

CASES = Path(__file__).with_name("offer_cases.yml")
REPORT_DIR = get_settings().project_root / "reports" / "eval"
TODAY = dt.date(2026, 11, 27)


def expected_flags(case: Dict[str, Any], registry) -> Set[str]:
    flags = set(case["flags"])
    name = case.get("agency_name")
    if name:
        match = find_licensed(name, registry)
        if match is None or not match.entry.is_valid_on(TODAY):
            flags.add("unlicensed_agency")
    return flags


def evaluate(cases: Sequence[Dict[str, Any]], registry) -> Dict[str, Any]:
    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    level_right = 0
    misses: List[Dict[str, Any]] = []
    for case in cases:
        want = expected_flags(case, registry)
        assessment = assess_offer(extract_offer_facts(case["text"]), registry, TODAY)
        got = set(assessment.flags)
        for flag in got & want:
            tp[flag] += 1
        for flag in got - want:
            fp[flag] += 1
        for flag in want - got:
            fn[flag] += 1
        level_right += assessment.level == risk_level(sorted(want))
        if got != want:
            misses.append({"text": case["text"], "extra": sorted(got - want), "missing": sorted(want - got),
                           "level": assessment.level, "expected_level": risk_level(sorted(want))})
    total_tp, total_fp, total_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    per_flag = {}
    for flag in FLAG_CODES:
        precision = tp[flag] / (tp[flag] + fp[flag]) if tp[flag] + fp[flag] else 1.0
        recall = tp[flag] / (tp[flag] + fn[flag]) if tp[flag] + fn[flag] else 1.0
        per_flag[flag] = {"precision": round(precision, 3), "recall": round(recall, 3), "support": tp[flag] + fn[flag]}
    return {
        "cases": len(cases),
        "micro_precision": total_tp / (total_tp + total_fp) if total_tp + total_fp else 1.0,
        "micro_recall": total_tp / (total_tp + total_fn) if total_tp + total_fn else 1.0,
        "level_accuracy": level_right / len(cases),
        "per_flag": per_flag,
        "misses": misses,
    }


def main() -> int:
    registry = load_registry_csv(get_settings().registry_csv)
    cases = yaml.safe_load(CASES.read_text(encoding="utf-8"))["cases"]
    result = evaluate(cases, registry)
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    (REPORT_DIR / "offers.json").write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"Offer checker on {result['cases']} held-out offers ({CASES.name})")
    print(f"  {'flag':24} precision  recall  n")
    for flag, row in result["per_flag"].items():
        print(f"  {flag:24} {row['precision']:9.3f} {row['recall']:7.3f}  {row['support']}")
    print(f"  micro precision        {result['micro_precision']:.3f}  (target >= 0.85)")
    print(f"  micro recall           {result['micro_recall']:.3f}  (target >= 0.90)")
    print(f"  level accuracy         {result['level_accuracy']:.3f}  (target >= 0.80)")
    print("  details                reports/eval/offers.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
