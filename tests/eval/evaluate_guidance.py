"""Benchmark of the guidance assistant on the held-out question set (`make eval`).

For each question in tests/eval/guidance_questions.yml (never used for training) it measures:
* the bare NLU parse (POST /model/parse): intent macro-F1 and accuracy, and parse latency;
* a full turn through the REST channel (POST /webhooks/rest/webhook) with a fresh user:
  whether the reply contains the expected fact, its length, and the turn latency.
It prints the figures and writes a confusion report under reports/eval/.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Sequence

import yaml
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from bot.settings import get_settings
from tests.servers import RasaServer, assistant

QUESTIONS = Path(__file__).with_name("guidance_questions.yml")
REPORT_DIR = get_settings().project_root / "reports" / "eval"
TARGET_MACRO_F1 = 0.90
TARGET_FACT_SHARE = 0.90
MAX_REPLY_CHARS = 1500


def normalise(text: str) -> str:
    """Lower-case and keep letters and digits only, so "Rp 10–15 juta" matches "rp10-15 juta"."""
    return re.sub(r"[\W_]+", "", text.lower())


def reply_contains(reply: str, expected: Sequence[str]) -> bool:
    haystack = normalise(reply)
    return any(normalise(item) in haystack for item in expected)


def reply_text(messages: List[Dict[str, Any]]) -> str:
    parts: List[str] = []
    for message in messages:
        parts.append(message.get("text") or "")
        parts.extend(button.get("title", "") for button in message.get("buttons") or [])
    return "\n".join(parts)


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def evaluate(server: RasaServer, questions: List[Dict[str, Any]]) -> Dict[str, Any]:
    truths: List[str] = []
    predictions: List[str] = []
    parse_ms: List[float] = []
    turn_ms: List[float] = []
    misses: List[Dict[str, Any]] = []
    fact_hits = 0
    fact_total = 0
    too_long = 0
    for index, question in enumerate(questions):
        started = time.perf_counter()
        parsed = server.parse(question["text"])
        parse_ms.append((time.perf_counter() - started) * 1000)
        predicted = (parsed.get("intent") or {}).get("name") or "none"
        truths.append(question["intent"])
        predictions.append(predicted)

        started = time.perf_counter()
        messages = server.send(f"eval-{index}", question["text"])
        turn_ms.append((time.perf_counter() - started) * 1000)
        reply = reply_text(messages)
        if len(reply) > MAX_REPLY_CHARS:
            too_long += 1
        expected = question.get("expect") or []
        fact_ok = None
        if expected:
            fact_total += 1
            fact_ok = reply_contains(reply, expected)
            fact_hits += fact_ok
        if predicted != question["intent"] or fact_ok is False:
            misses.append(
                {"text": question["text"], "intent": question["intent"], "predicted": predicted,
                 "confidence": round((parsed.get("intent") or {}).get("confidence") or 0.0, 3),
                 "runner_up": [
                     (item["name"], round(item["confidence"], 3))
                     for item in (parsed.get("intent_ranking") or [])
                     if item["name"] != "nlu_fallback"
                 ][:2],
                 "fact_found": fact_ok, "expect": expected, "reply": reply[:300]}
            )
    labels = sorted(set(truths))
    precision, recall, f1, support = precision_recall_fscore_support(
        truths, predictions, labels=labels, zero_division=0
    )
    return {
        "questions": len(questions),
        "intent_macro_f1": f1_score(truths, predictions, labels=labels, average="macro", zero_division=0),
        "intent_accuracy": accuracy_score(truths, predictions),
        "fact_share": fact_hits / fact_total if fact_total else 0.0,
        "fact_questions": fact_total,
        "replies_over_limit": too_long,
        "parse_ms": {"p50": percentile(parse_ms, 0.5), "p95": percentile(parse_ms, 0.95)},
        "turn_ms": {"p50": percentile(turn_ms, 0.5), "p95": percentile(turn_ms, 0.95)},
        "per_intent": {
            label: {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
        "confusions": Counter(f"{t} -> {p}" for t, p in zip(truths, predictions) if t != p).most_common(),
        "misses": misses,
    }


def write_report(result: Dict[str, Any]) -> Path:
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    (REPORT_DIR / "guidance.json").write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    lines = ["# Guidance assistant: confusion report", "", "| intent | precision | recall | F1 | n |", "|---|---|---|---|---|"]
    for label, row in result["per_intent"].items():
        lines.append(f"| {label} | {row['precision']:.2f} | {row['recall']:.2f} | {row['f1']:.2f} | {row['support']} |")
    lines += ["", "## Most frequent confusions (true -> predicted)", ""]
    lines += [f"- {pair}: {count}" for pair, count in result["confusions"]] or ["- none"]
    lines += ["", "## Questions missed (wrong intent or fact not in the reply)", ""]
    for miss in result["misses"]:
        lines.append(
            f"- `{miss['text']}`: expected {miss['intent']}, got {miss['predicted']} ({miss['confidence']}); "
            f"fact found: {miss['fact_found']}"
        )
    path = REPORT_DIR / "guidance_confusion.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=str(get_settings().model_path))
    args = parser.parse_args(argv)
    questions = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))["questions"]
    with assistant(Path(args.model)) as server:
        server.send("eval-warm-up", "halo")  # the first turn loads lazily initialised parts
        result = evaluate(server, questions)
    report = write_report(result)
    print(f"Guidance benchmark on {result['questions']} held-out questions ({QUESTIONS.name})")
    print(f"  intent macro-F1       {result['intent_macro_f1']:.3f}  (target >= {TARGET_MACRO_F1})")
    print(f"  intent accuracy       {result['intent_accuracy']:.3f}")
    print(f"  right fact in reply   {result['fact_share']:.3f}  of {result['fact_questions']} (target >= {TARGET_FACT_SHARE})")
    print(f"  replies over {MAX_REPLY_CHARS} chars {result['replies_over_limit']}")
    print(f"  NLU parse latency     p50 {result['parse_ms']['p50']:.0f} ms, p95 {result['parse_ms']['p95']:.0f} ms")
    print(f"  full turn (REST)      p50 {result['turn_ms']['p50']:.0f} ms, p95 {result['turn_ms']['p95']:.0f} ms")
    print(f"  confusion report      {report.relative_to(get_settings().project_root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
