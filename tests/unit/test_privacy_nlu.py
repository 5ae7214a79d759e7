"""The erase_my_data training data and its place in the domain: enough varied examples in both
languages, none shared with another intent, and no form takes "hapus data saya" as an answer."""

from __future__ import annotations

import re
from typing import Dict, List

import yaml

from bot.settings import get_settings

ROOT = get_settings().project_root
INTENT = "erase_my_data"
# Each example says what to delete: "magang dihapus" (the programme abolished) is another intent.
DATA_WORDS = re.compile(
    r"data|dta|chat|percakapan|obrolan|riwayat|histori|history|pesan|message|informasi|"
    r"information|info|conversation|jejak|everything about me|yg udah aku ketik",
    re.IGNORECASE,
)
# bot/language.py needs two marker words to call a short message English; here any Indonesian word
# makes an example Indonesian (mixed "delete data aku min" is how Indonesian users write).
INDONESIAN = re.compile(
    r"\b(?:hapus\w*|apus\w*|hps|dihapus|menghapus|aku|saya|sy|gw|dataku|chatku|kita|ini|min|kak|"
    r"dong|ya|tolong|mau|bisa|jgn|bersihin|gamau|gimana)\b",
    re.IGNORECASE,
)


def _examples() -> Dict[str, List[str]]:
    examples: Dict[str, List[str]] = {}
    for path in sorted((ROOT / "nlu").rglob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            if "intent" in block:
                lines = [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]
                examples.setdefault(block["intent"], []).extend(lines)
    return examples


def test_enough_informal_indonesian_and_english_examples() -> None:
    mine = _examples()[INTENT]
    indonesian = [text for text in mine if INDONESIAN.search(text)]
    english = [text for text in mine if not INDONESIAN.search(text)]
    assert len(indonesian) >= 25 and len(english) >= 12, (indonesian, english)
    assert len(set(mine)) == len(mine)
    # Typos and abbreviations users write, as the issue asks.
    assert {"hapus dta sy", "tolong hapus semua chat aku", "apus riwayat percakapan"} <= set(mine)
    assert all(DATA_WORDS.search(text) for text in mine), [t for t in mine if not DATA_WORDS.search(t)]


def test_no_example_is_shared_with_another_intent() -> None:
    examples = _examples()
    mine = {text.lower() for text in examples[INTENT]}
    for intent, texts in examples.items():
        if intent != INTENT:
            assert not mine & {text.lower() for text in texts}, intent


def test_the_intent_is_in_the_domain_and_no_form_takes_it_as_an_answer() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert INTENT in domain["intents"]
    assert {"action_ask_erase_my_data", "action_erase_my_data", "action_erase_cancelled"} <= set(domain["actions"])
    from_text = [
        (name, mapping)
        for name, slot in domain["slots"].items()
        for mapping in slot.get("mappings") or []
        if mapping.get("type") == "from_text"
    ]
    assert len(from_text) >= 14
    for name, mapping in from_text:
        assert INTENT in (mapping.get("not_intent") or []), name


def test_no_erasure_request_is_rerouted_to_the_offer_check() -> None:
    """The pipeline's offer routing (bot.nlu_components.OfferRoutingClassifier) replaces the intent
    of a message that describes a case; "tolong hapus semua chat aku" reads like one ("chat" is an
    informal-contact fact, "aku" an actor), so erase_my_data must be among the intents it never
    reroutes (bot.recruitment.routing.NEVER_ROUTED)."""
    from bot.recruitment.extract import extract_offer_facts
    from bot.recruitment.routing import offer_signals, route_to_offer_check

    rerouted = [
        text
        for text in _examples()[INTENT]
        if route_to_offer_check(INTENT, offer_signals(text, extract_offer_facts(text)))
    ]
    assert not rerouted
