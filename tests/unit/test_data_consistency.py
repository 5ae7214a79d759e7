"""Domain, NLU data, rules and content name the same intents (that the held-out sets stay held out
is tests/unit/test_eval_leakage.py)."""

from pathlib import Path
from typing import Dict, List, Set

import yaml

from bot.knowledge import load_knowledge
from bot.replies import load_ui_text
from bot.settings import get_settings

ROOT = get_settings().project_root
DIALOGUE_INTENTS = {
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "ask_source",
    "set_language",
    "ask_capabilities",
    "bot_challenge",
    "chitchat",
    "out_of_scope",
    "non_text",
    "check_offer",
    "report_recruiter",
    "check_report_status",
    "cancel",
    "skip",
    "correct",
    "erase_my_data",
}
# Answered by action_emergency (contacts first, then the answer), not by action_answer_question.
SPECIAL_KNOWLEDGE_INTENTS = {"emergency_help"}


def _load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _nlu_examples() -> Dict[str, List[str]]:
    examples: Dict[str, List[str]] = {}
    for path in sorted((ROOT / "nlu").rglob("*.yml")):
        for block in _load(path).get("nlu") or []:
            if "intent" in block:
                lines = [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]
                examples.setdefault(block["intent"], []).extend(lines)
    return examples


def _knowledge_ids() -> Set[str]:
    return set(load_knowledge(ROOT / "content" / "knowledge").answers)


def test_every_knowledge_intent_has_an_answer_and_every_answer_an_intent() -> None:
    domain_intents = set(_load(ROOT / "domain.yml")["intents"])
    assert domain_intents - DIALOGUE_INTENTS == _knowledge_ids()


def test_every_domain_intent_has_enough_training_examples() -> None:
    examples = _nlu_examples()
    for intent in set(_load(ROOT / "domain.yml")["intents"]) - {"non_text"}:
        assert len(examples.get(intent, [])) >= 20, intent
    assert set(examples) <= set(_load(ROOT / "domain.yml")["intents"])


def test_the_answer_rule_covers_exactly_the_knowledge_intents() -> None:
    rules = _load(ROOT / "stories" / "rules.yml")["rules"]
    answer_rule = next(rule for rule in rules if rule["steps"][-1] == {"action": "action_answer_question"})
    intents = {step["intent"] for step in answer_rule["steps"][0]["or"]}
    assert intents == _knowledge_ids() - SPECIAL_KNOWLEDGE_INTENTS


def test_ui_texts_are_bilingual_and_menu_answers_exist() -> None:
    ui = load_ui_text(ROOT / "content" / "ui.yml")
    assert set(ui.menu_answers) <= _knowledge_ids()
    for key in ("greeting", "capabilities", "out_of_scope", "non_text", "clarify", "official_channels"):
        assert ui.get(key, "id") and ui.get(key, "en")
