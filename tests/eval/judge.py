"""Pure functions that judge what the user got, for `make eval` (no server, no product code).

* the fact matcher: does the reply TEXT (never button titles) state an expected fact, as whole
  words/numbers, after removing markup and unifying dashes, spaces and digit-group separators;
* what the assistant did in one turn, read from the conversation tracker (answer, did-you-mean,
  fallback, or another action);
* judging one question or one offer, and the figures over a set (shares, percentiles, intent
  macro-F1, flag precision/recall, targets).

Expected values come only from the labelled items (and, for which action a dialogue intent
should run, from stories/rules.yml); nothing here calls the product's own rules.
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

# ---------------------------------------------------------------------------------- matching

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-")
_QUOTES = {
    **dict.fromkeys(map(ord, "\u2018\u2019\u201b\u2032"), "'"),
    **dict.fromkeys(map(ord, "\u201c\u201d\u201f\u2033"), '"'),
}
_TAG = re.compile(r"<[^>]*>")
_MARKUP = re.compile(r"[*_`~]")
# "Rp805.700" / "IDR10 juta": the currency code is a word of its own, so the number stands alone.
_CURRENCY = re.compile(r"(?<![^\W\d])(rp|idr|usd|jpy)(?=\d)")
# A dot or comma between digits followed by exactly three digits groups thousands: "805.700",
# "805,700" and "1.234.567" all become plain digits.
_GROUP_SEPARATOR = re.compile(r"(?<=\d)[.,](?=\d{3}(?!\d))")
# What is left between digits is a decimal mark: "1,5" == "1.5".
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
_SPACE = re.compile(r"\s+")


def normalise_reply(text: str) -> str:
    """The text as the matcher compares it: no HTML tags or *bold*/_italic_/`code` markup,
    lower-case, one kind of dash and of space, digit groups without separators."""
    text = _TAG.sub(" ", text or "")
    text = html.unescape(text)
    text = _MARKUP.sub(" ", text)
    text = text.lower().translate(_DASHES).translate(_QUOTES)
    text = _CURRENCY.sub(r"\1 ", text)
    text = _GROUP_SEPARATOR.sub("", text)
    text = _DECIMAL_COMMA.sub(".", text)
    return _SPACE.sub(" ", text).strip()


def _phrase_pattern(phrase: str) -> re.Pattern:
    left = r"(?<!\w)"
    right = r"(?!\w)"
    if phrase[0].isdigit():
        left += r"(?<!\d\.)"  # "5 tahun" is not the end of "2.5 tahun"
    if phrase[-1].isdigit():
        right += r"(?!\.\d)"  # "5" is not the start of "5.5"
    return re.compile(left + re.escape(phrase) + right)


def contains_fact(reply: str, fact: str) -> bool:
    """Whether ``fact`` appears in ``reply`` as whole words/numbers (both are normalised)."""
    phrase = normalise_reply(fact)
    if not phrase:
        return False
    return _phrase_pattern(phrase).search(normalise_reply(reply)) is not None


def fact_matches(reply: str, alternatives: Sequence[str]) -> bool:
    """Any one of the expected alternatives is in the reply."""
    return any(contains_fact(reply, fact) for fact in alternatives)


# ---------------------------------------------------------------------- the REST reply itself


def reply_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """What the user reads in the messages' TEXT; button titles and custom payloads do not count."""
    return "\n".join(str(message["text"]) for message in messages if message.get("text"))


def risk_payload(messages: Sequence[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    """The last ``{"type": "risk_assessment", ...}`` custom message of a REST reply, if any.
    Rasa's REST channel sends a message's json_message as its own ``{"custom": {...}}`` item."""
    found = None
    for message in messages:
        custom = message.get("custom")
        if isinstance(custom, Mapping) and custom.get("type") == "risk_assessment":
            found = dict(custom)
    return found


# ------------------------------------------------------------------------ what the bot did

ANSWER_ACTIONS = ("action_answer_question", "action_emergency")
CLARIFY_ACTION = "action_clarify"
FALLBACK_ACTIONS = ("utter_official_channels", "action_default_fallback", "action_two_stage_fallback")
_NOT_A_STEP = {"action_listen", "action_session_start"}


@dataclass
class TurnOutcome:
    """One user turn as the tracker shows it."""

    kind: str  # answer | did_you_mean | fallback | other
    intent: Optional[str] = None
    confidence: Optional[float] = None
    actions: List[str] = field(default_factory=list)
    last_answer: Optional[str] = None
    # The classifier's best real intent when ``intent`` is nlu_fallback: (name, confidence).
    best_guess: Optional[Tuple[str, float]] = None

    def as_dict(self) -> Dict[str, Any]:
        return asdict(self)


def turn_outcome(tracker: Mapping[str, Any]) -> TurnOutcome:
    """Read the last user turn of a tracker: the intent the NLU found, the actions run after it,
    and whether that came to an answer, a "did you mean" question or a fallback."""
    events = list(tracker.get("events") or [])
    start = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    user = events[start] if start >= 0 else {}
    intent = (user.get("parse_data") or {}).get("intent") or {}
    actions: List[str] = []
    clarify_buttons = False
    last_answer: Optional[str] = None
    current = None
    for event in events[start + 1 :]:
        kind = event.get("event")
        if kind == "action" and event.get("name") not in _NOT_A_STEP:
            current = event.get("name")
            actions.append(current)
        elif kind == "bot" and current == CLARIFY_ACTION:
            clarify_buttons = clarify_buttons or bool((event.get("data") or {}).get("buttons"))
        elif kind == "slot" and event.get("name") == "last_answer":
            last_answer = event.get("value")
    name = intent.get("name")
    confidence = intent.get("confidence")
    ranking = [r for r in (user.get("parse_data") or {}).get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
    best_guess = (ranking[0]["name"], round(float(ranking[0].get("confidence") or 0.0), 3)) if ranking else None
    if CLARIFY_ACTION in actions and clarify_buttons:
        outcome = "did_you_mean"
    elif CLARIFY_ACTION in actions or any(a in FALLBACK_ACTIONS for a in actions):
        # action_clarify with no candidate sends the official-channels text instead.
        outcome = "fallback"
    elif last_answer:
        outcome = "answer"
    elif name == "nlu_fallback" or any(a in ANSWER_ACTIONS for a in actions):
        # nlu_fallback that led nowhere, or an answer action that found no answer to give.
        outcome = "fallback"
    else:
        outcome = "other"
    return TurnOutcome(
        outcome, name, None if confidence is None else round(float(confidence), 3), actions, last_answer, best_guess
    )


def rule_actions(rules: Mapping[str, Any]) -> Dict[str, str]:
    """intent -> the action its rule runs first, from stories/rules.yml (unconditional rules win)."""
    mapping: Dict[str, str] = {}
    ordered = sorted(rules.get("rules") or [], key=lambda rule: bool(rule.get("condition")))
    for rule in ordered:
        steps = rule.get("steps") or []
        if len(steps) < 2 or "action" not in steps[1]:
            continue
        first = steps[0]
        intents = (
            [first["intent"]] if "intent" in first else [s["intent"] for s in first.get("or") or [] if "intent" in s]
        )
        for intent in intents:
            mapping.setdefault(intent, steps[1]["action"])
    return mapping


def right_answer(expected: str, outcome: TurnOutcome, actions_by_intent: Mapping[str, str]) -> bool:
    """The expected answer was given: a knowledge answer by its id (the last_answer slot), a
    dialogue intent by the action its rule runs."""
    action = actions_by_intent.get(expected)
    if action is None or action in ANSWER_ACTIONS:
        return outcome.last_answer == expected
    return action in outcome.actions


# --------------------------------------------------------------------------- one item each

QUESTION_CATEGORIES = ("wrong_answer", "did_you_mean", "fallback", "right_answer_fact_missing")
OFFER_CATEGORIES = ("no_payload", "false_payload", "missed_flag", "false_flag", "level_off")
NO_LEVEL = (None, "none", "")


def excerpt(text: str, limit: int = 160) -> str:
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def judge_question(
    item: Mapping[str, Any],
    messages: Sequence[Mapping[str, Any]],
    outcome: TurnOutcome,
    actions_by_intent: Mapping[str, str],
) -> Dict[str, Any]:
    """A question is a hit when the reply text states one expected fact (or, for items without
    facts, when the expected answer/action was given). A miss gets one error category."""
    expected = item.get("answer") or item.get("intent")
    expect = list(item.get("expect") or [])
    text = reply_text(messages)
    fact = fact_matches(text, expect) if expect else None
    right = right_answer(expected, outcome, actions_by_intent)
    hit = fact if expect else right
    category = None
    if not hit:
        if outcome.kind == "did_you_mean":
            category = "did_you_mean"
        elif outcome.kind == "fallback":
            category = "fallback"
        elif right:
            category = "right_answer_fact_missing"
        else:
            category = "wrong_answer"
    return {
        "text": item["text"],
        "lang": item.get("lang"),
        "answer": expected,
        "expect": expect,
        "hit": bool(hit),
        "fact_found": fact,
        "right_answer": right,
        "category": category,
        "outcome": outcome.kind,
        "intent": outcome.intent,
        "confidence": outcome.confidence,
        "best_guess": list(outcome.best_guess) if outcome.best_guess else None,
        "last_answer": outcome.last_answer,
        "actions": outcome.actions,
        "reply": excerpt(text),
    }


def judge_offer(
    item: Mapping[str, Any], messages: Sequence[Mapping[str, Any]], dont_care: Iterable[str] = ()
) -> Dict[str, Any]:
    """Flags and level from the risk_assessment payload the chat sent (none: no flags, no level),
    against the item's hand-written ``flags`` and ``level``. ``dont_care`` flags are not scored."""
    kind = item.get("kind") or "offer"
    payload = risk_payload(messages)
    ignored = set(dont_care)
    want = set(item.get("flags") or []) - ignored
    got_all = set(payload.get("flags") or []) if payload else set()
    got = got_all - ignored
    level = payload.get("level") if payload else None
    wants_payload = kind != "not_offer" and item.get("level") not in NO_LEVEL
    categories: List[str] = []
    if wants_payload and payload is None:
        categories.append("no_payload")
    if not wants_payload and payload is not None:
        categories.append("false_payload")
    if want - got:
        categories.append("missed_flag")
    if got - want:
        categories.append("false_flag")
    if wants_payload and payload is not None and level != item.get("level"):
        categories.append("level_off")
    return {
        "text": item["text"],
        "lang": item.get("lang"),
        "kind": kind,
        "wants_payload": wants_payload,
        "payload": payload is not None,
        "flags": sorted(want),
        "got": sorted(got),
        "ignored_flags_raised": sorted(got_all & ignored),
        "missing": sorted(want - got),
        "extra": sorted(got - want),
        "level": item.get("level"),
        "got_level": level,
        "level_ok": (level == item.get("level")) if wants_payload else None,
        "categories": categories,
        "reply": excerpt(reply_text(messages)),
    }


# ------------------------------------------------------------------------------- figures


def share(hits: int, total: int) -> Optional[float]:
    return hits / total if total else None


def percentile(values: Sequence[float], q: float) -> Optional[float]:
    """Nearest-rank percentile (q in 0..1); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(round(q * len(ordered), 9)))  # ceil(q * n), at least 1
    return ordered[min(len(ordered), rank) - 1]


def intent_scores(truths: Sequence[str], predictions: Sequence[str]) -> Dict[str, Any]:
    """Accuracy and macro-F1 over the labels that occur in ``truths`` (a prediction outside them,
    e.g. nlu_fallback, is simply wrong), with per-label precision/recall/F1/support."""
    pairs = list(zip(truths, predictions, strict=True))
    per_label: Dict[str, Dict[str, float]] = {}
    f1s: List[float] = []
    for label in sorted(set(truths)):
        tp = sum(t == label and p == label for t, p in pairs)
        fp = sum(t != label and p == label for t, p in pairs)
        fn = sum(t == label and p != label for t, p in pairs)
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
        f1s.append(f1)
        per_label[label] = {
            "precision": round(tp / (tp + fp), 3) if tp + fp else 0.0,
            "recall": round(tp / (tp + fn), 3) if tp + fn else 0.0,
            "f1": round(f1, 3),
            "support": tp + fn,
        }
    return {
        "accuracy": share(sum(t == p for t, p in pairs), len(pairs)),
        "macro_f1": sum(f1s) / len(f1s) if f1s else None,
        "per_label": per_label,
        "confusions": Counter(f"{t} -> {p}" for t, p in pairs if t != p).most_common(),
    }


def flag_scores(judged: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    """Micro precision/recall over all flags of all items (judged offers), and per flag."""
    tp: Counter = Counter()
    fp: Counter = Counter()
    fn: Counter = Counter()
    for item in judged:
        want, got = set(item["flags"]), set(item["got"])
        tp.update(want & got)
        fp.update(got - want)
        fn.update(want - got)
    total_tp, total_fp, total_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    per_flag = {}
    for flag in sorted(set(tp) | set(fp) | set(fn)):
        per_flag[flag] = {
            "precision": share(tp[flag], tp[flag] + fp[flag]),
            "recall": share(tp[flag], tp[flag] + fn[flag]),
            "tp": tp[flag],
            "fp": fp[flag],
            "fn": fn[flag],
        }
    return {
        "micro_precision": share(total_tp, total_tp + total_fp),
        "micro_recall": share(total_tp, total_tp + total_fn),
        "tp": total_tp,
        "fp": total_fp,
        "fn": total_fn,
        "per_flag": per_flag,
    }


def offer_figures(judged: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    """Payload share, false-payload rate, flag scores and level accuracy for a set of judged offers."""
    offers = [j for j in judged if j["wants_payload"]]
    not_offers = [j for j in judged if not j["wants_payload"]]
    flags = flag_scores(judged)
    return {
        "items": len(judged),
        "offers": len(offers),
        "not_offers": len(not_offers),
        "payload_share": share(sum(j["payload"] for j in offers), len(offers)),
        "false_payload_rate": share(sum(j["payload"] for j in not_offers), len(not_offers)),
        "micro_precision": flags["micro_precision"],
        "micro_recall": flags["micro_recall"],
        # A missing payload is a wrong level.
        "level_accuracy": share(sum(bool(j["level_ok"]) for j in offers), len(offers)),
        "per_flag": flags["per_flag"],
        "errors": dict(Counter(c for j in judged for c in j["categories"])),
    }


def question_figures(judged: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    """Fact share (items with facts), right-answer share, did-you-mean and fallback rates (all items)."""
    with_facts = [j for j in judged if j["expect"]]
    n = len(judged)
    return {
        "items": n,
        "fact_items": len(with_facts),
        "fact_share": share(sum(bool(j["fact_found"]) for j in with_facts), len(with_facts)),
        "right_answer_share": share(sum(j["right_answer"] for j in judged), n),
        "hit_share": share(sum(j["hit"] for j in judged), n),
        "did_you_mean_rate": share(sum(j["outcome"] == "did_you_mean" for j in judged), n),
        "fallback_rate": share(sum(j["outcome"] == "fallback" for j in judged), n),
        "errors": dict(Counter(j["category"] for j in judged if j["category"])),
    }


@dataclass(frozen=True)
class Target:
    name: str
    figure: str  # key in the figures
    minimum: float = 0.0
    maximum: float = 1.0  # for rates that must stay low


HELDOUT_TARGETS: Tuple[Target, ...] = (
    Target("right fact in reply", "questions.fact_share", 0.92),
    Target("offer texts with a risk_assessment payload", "offers.payload_share", 0.95),
    Target("flag recall (through the chat)", "offers.micro_recall", 0.90),
    Target("flag precision (through the chat)", "offers.micro_precision", 0.85),
    Target("level accuracy (through the chat)", "offers.level_accuracy", 0.85),
    # Sending every message to the check would raise the payload share; plain questions must not get one.
    Target("offer check on a plain question (not_offer)", "offers.false_payload_rate", maximum=0.10),
)


def missed_targets(figures: Mapping[str, Mapping[str, Any]], targets: Sequence[Target] = HELDOUT_TARGETS) -> List[str]:
    """A line for every target not met; a figure that could not be computed is a miss too."""
    missed = []
    for target in targets:
        part, key = target.figure.split(".")
        value = (figures.get(part) or {}).get(key)
        if value is None:
            missed.append(f"{target.name}: not measured")
        elif value < target.minimum:
            missed.append(f"{target.name}: {value:.3f} < {target.minimum:.2f}")
        elif value > target.maximum:
            missed.append(f"{target.name}: {value:.3f} > {target.maximum:.2f}")
    return missed
