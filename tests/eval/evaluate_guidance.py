"""The question benchmark of `make eval`: what the user gets when they ask a question.

For every question (a fresh conversation each) it sends the text through the REST channel
(POST /webhooks/rest/webhook) and judges the reply the user sees:
* the right fact: one of the item's ``expect`` alternatives in the reply TEXT, as whole
  words/numbers (tests/eval/judge.py; button titles do not count);
* what the assistant did, from the conversation tracker: an answer (which one: the last_answer
  slot), a "did you mean" question (action_clarify with buttons), or a fallback (the official
  channels, action_default_fallback, or nlu_fallback that led to no answer);
and beside that the classifier alone: intent macro-F1/accuracy of POST /model/parse against
``answer`` (``intent`` in the older set), and parse and full-turn latency.

Sets: tests/eval/heldout/questions.yml (the targets apply) and tests/eval/guidance_questions.yml
(older, secondary). Run with the offer benchmark by `make eval` (python -m tests.eval.run);
alone: python -m tests.eval.evaluate_guidance.
"""

from __future__ import annotations

import sys
import time
import urllib.error
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence

import yaml

from bot.settings import get_settings
from tests.eval.judge import (
    TurnOutcome,
    intent_scores,
    judge_question,
    percentile,
    question_figures,
    rule_actions,
    share,
    turn_outcome,
)
from tests.servers import RasaServer

EVAL_DIR = Path(__file__).resolve().parent
RULES = get_settings().project_root / "stories" / "rules.yml"


def question_sets() -> List[Dict[str, Any]]:
    """The question sets, the held-out one first (its figures are held to the targets)."""
    return [
        {"name": "heldout_questions", "path": EVAL_DIR / "heldout" / "questions.yml", "primary": True},
        {"name": "guidance_questions", "path": EVAL_DIR / "guidance_questions.yml", "primary": False},
        # Written independently like heldout/, but nobody reads its items: only its figures.
        {"name": "sealed_questions", "path": EVAL_DIR / "sealed" / "questions.yml", "primary": False, "sealed": True},
    ]


def load_questions(path: Path) -> List[Dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = data.get("questions") if isinstance(data, dict) else data
    questions = []
    for item in items or []:
        answer = item.get("answer") or item.get("intent")
        if not item.get("text") or not answer:
            raise ValueError(f"{path.name}: every question needs text and answer (or intent): {item!r}")
        questions.append({**item, "answer": answer, "expect": list(item.get("expect") or [])})
    return questions


def ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def ask(server: RasaServer, sender: str, text: str) -> Dict[str, Any]:
    """One fresh conversation: the bare parse, the REST turn, and the tracker after it."""
    started = time.perf_counter()
    parsed = server.parse(text)
    parse_ms = ms_since(started)
    error = None
    started = time.perf_counter()
    try:
        messages = server.send(sender, text)
    except urllib.error.HTTPError as failure:  # the user saw the channel's error reply
        messages, error = [], f"HTTP {failure.code}"
    turn_ms = ms_since(started)
    return {
        "parsed": parsed,
        "messages": messages,
        "tracker": server.tracker(sender),
        "parse_ms": parse_ms,
        "turn_ms": turn_ms,
        "error": error,
    }


def evaluate_questions(server: RasaServer, questions: Sequence[Mapping[str, Any]], set_name: str) -> Dict[str, Any]:
    actions_by_intent = rule_actions(yaml.safe_load(RULES.read_text(encoding="utf-8")))
    judged: List[Dict[str, Any]] = []
    truths: List[str] = []
    predictions: List[str] = []
    parse_ms: List[float] = []
    turn_ms: List[float] = []
    run_id = uuid.uuid4().hex[:8]
    for index, item in enumerate(questions):
        turn = ask(server, f"eval-{set_name}-{run_id}-{index}", item["text"])
        outcome: TurnOutcome = turn_outcome(turn["tracker"])
        result = judge_question(item, turn["messages"], outcome, actions_by_intent)
        parsed_intent = turn["parsed"].get("intent") or {}
        result["parse_intent"] = parsed_intent.get("name") or "none"
        result["parse_confidence"] = round(float(parsed_intent.get("confidence") or 0.0), 3)
        result["error"] = turn["error"]
        judged.append(result)
        truths.append(item["answer"])
        predictions.append(result["parse_intent"])
        parse_ms.append(turn["parse_ms"])
        turn_ms.append(turn["turn_ms"])
    scores = intent_scores(truths, predictions)
    figures = question_figures(judged)
    figures.update(
        {
            "intent_macro_f1": scores["macro_f1"],
            "intent_accuracy": scores["accuracy"],
            "parse_ms_p50": percentile(parse_ms, 0.5),
            "parse_ms_p95": percentile(parse_ms, 0.95),
            "turn_ms_p50": percentile(turn_ms, 0.5),
            "turn_ms_p95": percentile(turn_ms, 0.95),
            "turn_errors": sum(1 for j in judged if j["error"]),
            "by_lang": {
                lang: {
                    "items": sum(j["lang"] == lang for j in judged),
                    "fact_share": share(
                        sum(bool(j["fact_found"]) for j in judged if j["lang"] == lang and j["expect"]),
                        sum(1 for j in judged if j["lang"] == lang and j["expect"]),
                    ),
                }
                for lang in sorted({str(j["lang"]) for j in judged})
            },
        }
    )
    return {
        "figures": figures,
        "per_intent": scores["per_label"],
        "confusions": scores["confusions"],
        "outcomes": dict(Counter(j["outcome"] for j in judged)),
        "items": judged,
    }


def _f(value: Any, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _ms(value: Any) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"


QUESTION_LABELS = {
    "wrong_answer": "wrong answer",
    "did_you_mean": "did-you-mean",
    "fallback": "fallback",
    "right_answer_fact_missing": "right answer but fact missing",
}


def print_questions(name: str, path: Path, primary: bool, result: Mapping[str, Any]) -> None:
    f = result["figures"]
    role = "targets apply" if primary else "secondary set, no targets"
    print(f"\nQuestions: {name} ({path.relative_to(get_settings().project_root)}), {f['items']} items ({role})")
    target = "  (target >= 0.92)" if primary else ""
    print(f"  right fact in reply        {_f(f['fact_share'])}  of {f['fact_items']} with facts{target}")
    print(f"  expected answer given      {_f(f['right_answer_share'])}")
    print(f"  did-you-mean rate          {_f(f['did_you_mean_rate'])}")
    print(f"  fallback rate              {_f(f['fallback_rate'])}")
    errors = ", ".join(f"{QUESTION_LABELS[k]} {v}" for k, v in sorted(f["errors"].items(), key=lambda kv: -kv[1]))
    print(f"  misses by category         {errors or 'none'}")
    print(
        "  by language                "
        + ", ".join(f"{lang}: fact {_f(row['fact_share'])} ({row['items']})" for lang, row in f["by_lang"].items())
    )
    print(
        f"  classifier (bare parse)    intent macro-F1 {_f(f['intent_macro_f1'])}, accuracy {_f(f['intent_accuracy'])}"
    )
    print(f"  NLU parse latency          p50 {_ms(f['parse_ms_p50'])}, p95 {_ms(f['parse_ms_p95'])}")
    print(f"  full turn (REST)           p50 {_ms(f['turn_ms_p50'])}, p95 {_ms(f['turn_ms_p95'])}")
    if f["turn_errors"]:
        print(f"  turns that failed (HTTP)   {f['turn_errors']}")


if __name__ == "__main__":
    from tests.eval.run import main

    sys.exit(main(["questions", *sys.argv[1:]]))
