"""Domain, NLU data, rules and content name the same intents (that the held-out sets stay held out
is tests/unit/test_eval_leakage.py)."""

from pathlib import Path
from typing import Dict, List, Set

import yaml

from bot.knowledge import MAX_ANSWER_CHARS, load_knowledge
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
    for key in ("greeting", "capabilities", "clarify", "turn_failed", "no_reply", "too_long"):
        assert ui.get(key, "id") and ui.get(key, "en")


# --- domain.yml's responses -------------------------------------------------------------------
def _responses() -> Dict[str, list]:
    return _load(ROOT / "domain.yml")["responses"]


def _steps_actions() -> Set[str]:
    names: Set[str] = set()
    for path in [ROOT / "stories" / "rules.yml", *sorted((ROOT / "tests" / "stories").glob("*.yml"))]:
        data = _load(path)
        for block in [*(data.get("rules") or []), *(data.get("stories") or [])]:
            names |= {step["action"] for step in block["steps"] if "action" in step}
    return names


def test_every_response_has_an_indonesian_default_and_an_english_variation() -> None:
    for name, variations in _responses().items():
        default = [v for v in variations if not v.get("condition")]
        english = [v for v in variations if v.get("condition") == [{"type": "slot", "name": "language", "value": "en"}]]
        assert len(default) == 1 and len(english) == 1 and len(variations) == 2, name
        assert default[0]["text"].strip() and english[0]["text"].strip(), name
        assert default[0]["text"] != english[0]["text"], name
        # Both languages offer the same choices, in the same order.
        payloads = [[b["payload"] for b in v.get("buttons") or []] for v in (default[0], english[0])]
        assert payloads[0] == payloads[1], name
        # Phone screens: the same bound as a knowledge answer's text (bot/knowledge.py).
        assert len(default[0]["text"]) <= MAX_ANSWER_CHARS and len(english[0]["text"]) <= MAX_ANSWER_CHARS, name


def test_every_response_is_said_somewhere_and_every_rule_response_exists() -> None:
    responses = set(_responses())
    said = {name for name in _steps_actions() if name.startswith("utter_")}
    assert said <= responses, said - responses
    form_questions = {name for name in responses if name.startswith("utter_ask_")}
    code = "\n".join(
        path.read_text(encoding="utf-8") for path in [*(ROOT / "actions").glob("*.py"), *(ROOT / "bot").rglob("*.py")]
    )
    in_code = {name for name in responses if f'"{name}"' in code}
    assert responses == said | form_questions | in_code, responses - said - form_questions - in_code


def test_every_form_question_is_a_response_or_an_action() -> None:
    domain = _load(ROOT / "domain.yml")
    responses, actions = set(domain["responses"]), set(domain["actions"])
    for form in domain["forms"].values():
        for slot in form["required_slots"]:
            asked = {f"utter_ask_{slot}", f"action_ask_{slot}"} & (responses | actions)
            assert len(asked) == 1, (slot, asked)
    # And no question is left over from a slot no form asks for.
    slots = {slot for form in domain["forms"].values() for slot in form["required_slots"]}
    assert {name[len("utter_ask_") :] for name in responses if name.startswith("utter_ask_")} <= slots


def test_form_question_buttons_are_the_choices_the_summary_shows() -> None:
    """A choice's label is both a question's button (domain.yml) and the summary's text for the
    chosen value (content/reports.yml): they must be the same words."""
    choices = _load(ROOT / "content" / "reports.yml")["choices"]
    yes_no = ("report_reporter_safe", "report_consent_contact", "report_anonymous")
    for name, variations in _responses().items():
        slot = name[len("utter_ask_") :]
        expected = choices.get("yes_no" if slot in yes_no else slot)
        if not name.startswith("utter_ask_") or expected is None:
            assert not any(v.get("buttons") for v in variations), name
            continue
        for variation in variations:
            language = "en" if variation.get("condition") else "id"
            shown = [(b["payload"], b["title"]) for b in variation["buttons"]]
            assert shown == [(value, label[language]) for value, label in expected.items()], name
