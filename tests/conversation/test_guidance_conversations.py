"""Whole turns through the trained assistant and the real action server."""

from __future__ import annotations

import pytest
import yaml

from bot.knowledge import load_knowledge
from bot.settings import get_settings

pytestmark = pytest.mark.conversation

KB = load_knowledge(get_settings().content_dir / "knowledge")
# The Indonesian (default) variation of the reply to a message without words.
NON_TEXT_REPLY = yaml.safe_load((get_settings().project_root / "domain.yml").read_text(encoding="utf-8"))["responses"][
    "utter_non_text"
][0]["text"]
MAX_REPLY_CHARS = 1500


def reply_chars(messages) -> int:
    return sum(len(m.get("text") or "") + sum(len(b["title"]) for b in m.get("buttons") or []) for m in messages)


def test_greeting_offers_topic_buttons(chat) -> None:
    messages = chat.say("halo kak")
    assert "magang" in messages[0]["text"].lower()
    payloads = [b["payload"] for m in messages for b in m.get("buttons") or []]
    assert len(payloads) >= 4 and all(p.startswith("/") for p in payloads)


def test_informal_indonesian_question_gets_the_fact_in_indonesian(chat) -> None:
    text = chat.say_text("magang jepang brp thn?")
    assert "5 tahun" in text
    assert "years" not in text


def test_english_question_gets_an_english_answer(chat) -> None:
    text = chat.say_text("Can I bring my family on SSW 2?")
    assert "family" in text.lower()
    assert "SSW (ii)" in text


def test_source_of_the_last_answer(chat) -> None:
    chat.say("gmn cek LPK resmi?")
    text = chat.say_text("sumbernya?")
    assert "kemnaker.go.id" in text and "Terakhir dicek" in text


def test_source_before_any_answer_explains_itself(chat) -> None:
    text = chat.say_text("sumbernya apa?")
    assert "belum" in text.lower()


def test_language_can_be_switched(chat) -> None:
    assert "English" in chat.say_text("pakai bahasa inggris dong")
    # A button press carries no language of its own: the chosen language stays.
    assert "Trainees do pay" in chat.say_text("/titp_cost")
    assert "Bahasa Indonesia" in chat.say_text("bahasa indonesia aja")
    back_in_indonesian = chat.say_text("/titp_cost")
    assert KB.answers["titp_cost"].text["id"][:40] in back_in_indonesian and "Trainees do pay" not in back_in_indonesian


def test_yes_follows_the_suggested_next_step(chat) -> None:
    chat.say("/titp_overview")
    expected = KB.answers[KB.answers["titp_overview"].related[0]].text["id"][:40]
    assert expected in chat.say_text("iya mau")


def test_out_of_scope_is_polite_and_says_what_the_bot_does(chat) -> None:
    text = chat.say_text("kalo kerja ke korea selatan gimana caranya")
    assert "Jepang" in text and "KP2MI" in text


@pytest.mark.parametrize("text", ["", "   ", "🙏🙏🙏", "😭😭 ..."])
def test_empty_and_emoji_only_messages_get_a_sensible_reply(chat, text: str) -> None:
    messages = chat.say(text)
    assert [message.get("text") for message in messages] == [NON_TEXT_REPLY]


def test_very_long_message_is_answered_and_flagged(chat) -> None:
    long_text = "kak mau tanya biaya magang ke jepang lewat LPK berapa ya " * 100
    assert len(long_text) > 5000
    messages = chat.say(long_text)
    assert len(messages) >= 2
    assert "panjang" in messages[0]["text"]
    assert reply_chars(messages) <= MAX_REPLY_CHARS


def test_unclear_message_asks_did_you_mean_then_offers_official_channels(chat) -> None:
    messages = chat.say("zxqv plmk wrtz")
    payloads = [b["payload"] for m in messages for b in m.get("buttons") or []]
    assert "/deny" in payloads
    assert any(p != "/deny" for p in payloads)
    text = chat.say_text("/deny")
    assert "0-800-1000" in text


def test_two_unclear_messages_in_a_row_offer_official_channels(chat) -> None:
    chat.say("zxqv plmk wrtz")
    # The second unclear message, sent as the fallback intent itself so the test does not depend
    # on how the model scores one more piece of gibberish.
    assert "0-800-1000" in chat.say_text("/nlu_fallback")


@pytest.mark.parametrize("language, opener", [("id", "halo"), ("en", "hello")])
def test_every_answer_is_reachable_and_fits_a_phone_screen(chat, language: str, opener: str) -> None:
    chat.say(opener)
    for answer in KB.answers.values():
        messages = chat.say(f"/{answer.id}")
        # The emergency answer comes after the emergency contacts; every other answer comes first.
        shown = messages[1] if answer.id == "emergency_help" else messages[0]
        assert shown["text"].startswith(answer.text[language][:30]), answer.id
        assert reply_chars(messages) <= MAX_REPLY_CHARS, answer.id
