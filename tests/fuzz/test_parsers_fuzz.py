"""Property-based fuzzing of every parser that reads what users or platforms send.

Each parser gets arbitrary bytes, arbitrary JSON and near-valid bodies (documented bodies with
fields mutated, see tests/fuzz/strategies.py), and must: never raise; return only its documented
types; give nothing bigger than its input or its documented limits (sender ids, texts, message
counts); and give only text that can be stored (no NUL, no unpaired surrogate).

Run with the repeatable "ci" profile by default; ``--hypothesis-profile=deep`` for a long hunt.
"""

from __future__ import annotations

import re
import time
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.payloads import (
    MAX_BODY_BYTES,
    MAX_SENDER_CHARS,
    MAX_TEXT_CHARS,
    RequestError,
    RestMessage,
    is_safe_id,
    parse_rest_body,
)
from bot.channels.pipeline import Incoming
from bot.channels.telegram_updates import (
    MAX_CALLBACK_ID_CHARS,
    MAX_CHAT_ID,
    Ignored,
    TelegramIncoming,
    parse_update_body,
    update_to_incoming,
)
from bot.channels.whatsapp_events import (
    MAX_MESSAGE_ID_CHARS,
    MAX_MESSAGES_PER_NOTIFICATION,
    Notification,
    expected_signature,
    parse_webhook,
    problem_summary,
    read_notification,
    verify_signature,
)
from bot.recruitment.extract import (
    MAX_OFFER_CHARS,
    OfferFacts,
    extract_offer_facts,
    fee_is_excessive,
    salary_is_unrealistic,
)
from bot.recruitment.money import CURRENCIES, Money, approximate_idr, parse_money
from bot.recruitment.phone import find_phones, normalise_phone
from tests.fuzz import samples
from tests.fuzz.cases import CASES
from tests.fuzz.strategies import json_bodies, json_values, near_valid, offer_text, raw_bytes, short_text

CHOOSER = "Pilih bahasa / Choose a language"
E164 = re.compile(r"\+[1-9][0-9]{5,14}")
PROBLEM = re.compile(r"[a-z][a-z0-9_]*(?::[0-9]{1,7})?")
WHATSAPP_SEEDS = [sample.body() for sample in samples.WHATSAPP_SAMPLES]
TELEGRAM_SEEDS = samples.telegram_samples()
REST_SEEDS = samples.rest_samples()
OFFER_CHECKS = {
    "individual_recruiter",
    "explicitly_unlicensed",
    "claims_licensed",
    "wrong_visa",
    "documents_held",
    "test_waived",
    "no_written_contract",
    "deposit_or_penalty",
    "informal_contact_only",
    "fast_departure",
    "trafficking",
    "upfront_payment",
}


def storable(text: str) -> bool:
    """What PostgreSQL and UTF-8 take: no NUL, no unpaired surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def check_error(error: RequestError, statuses: set) -> None:
    assert error.status in statuses, error
    assert isinstance(error.message, str) and error.message and isinstance(error.kind, str) and error.kind


# --- REST -------------------------------------------------------------------------------------------


def check_rest(raw: bytes) -> None:
    result = parse_rest_body(raw)
    if isinstance(result, RequestError):
        check_error(result, {400, 413})
        assert (result.status == 413) == (len(raw) > MAX_BODY_BYTES)
        return
    assert isinstance(result, RestMessage)
    assert isinstance(result.sender, str) and 0 < len(result.sender) <= min(MAX_SENDER_CHARS, len(raw))
    assert is_safe_id(result.sender) and result.sender == result.sender.strip()
    assert isinstance(result.text, str) and len(result.text) <= min(MAX_TEXT_CHARS, len(raw))
    assert storable(result.text)


@given(raw_bytes)
def test_rest_body_from_any_bytes(raw: bytes) -> None:
    CASES.hit("parse_rest_body", "bytes")
    check_rest(raw)


@given(json_bodies())
def test_rest_body_from_any_json(raw: bytes) -> None:
    CASES.hit("parse_rest_body", "json")
    check_rest(raw)


@given(near_valid(REST_SEEDS))
def test_rest_body_near_valid(raw: bytes) -> None:
    CASES.hit("parse_rest_body", "near_valid")
    check_rest(raw)


# --- Telegram ---------------------------------------------------------------------------------------


def check_telegram(raw: bytes) -> None:
    body = parse_update_body(raw)
    if isinstance(body, RequestError):
        check_error(body, {400, 413})
        return
    assert isinstance(body, dict)
    result = update_to_incoming(body, CHOOSER)
    if isinstance(result, RequestError):
        check_error(result, {400})
        return
    if isinstance(result, Ignored):
        assert isinstance(result.reason, str) and result.reason
        return
    assert isinstance(result, TelegramIncoming) and isinstance(result.incoming, Incoming)
    assert isinstance(result.chat_id, int) and not isinstance(result.chat_id, bool)
    assert -MAX_CHAT_ID < result.chat_id < MAX_CHAT_ID
    incoming = result.incoming
    assert incoming.sender_id == f"telegram:{result.chat_id}" and len(incoming.sender_id) <= MAX_SENDER_CHARS
    assert is_safe_id(incoming.external_id) and len(incoming.external_id) <= 3 + MAX_CALLBACK_ID_CHARS + 24
    assert incoming.text is None or (
        isinstance(incoming.text, str) and len(incoming.text) <= MAX_TEXT_CHARS and storable(incoming.text)
    )
    if result.callback_query_id is not None:
        assert len(result.callback_query_id) <= MAX_CALLBACK_ID_CHARS and is_safe_id(result.callback_query_id)


@given(raw_bytes)
def test_telegram_update_from_any_bytes(raw: bytes) -> None:
    CASES.hit("telegram_update", "bytes")
    check_telegram(raw)


@given(json_bodies())
def test_telegram_update_from_any_json(raw: bytes) -> None:
    CASES.hit("telegram_update", "json")
    check_telegram(raw)


@given(near_valid(TELEGRAM_SEEDS))
def test_telegram_update_near_valid(raw: bytes) -> None:
    CASES.hit("telegram_update", "near_valid")
    check_telegram(raw)


# --- WhatsApp ---------------------------------------------------------------------------------------


def check_notification(result: Notification, raw_length: int) -> None:
    assert isinstance(result, Notification)
    assert len(result.messages) <= MAX_MESSAGES_PER_NOTIFICATION
    texts = 0
    for item in result.messages:
        assert isinstance(item, Incoming) and item.metadata is None and item.local_reply is None
        assert item.sender_id.startswith("whatsapp:") and len(item.sender_id) <= MAX_SENDER_CHARS
        assert is_safe_id(item.sender_id) and item.sender_id.isascii() and " " not in item.sender_id
        assert 0 < len(item.external_id) <= MAX_MESSAGE_ID_CHARS and is_safe_id(item.external_id)
        if item.text is not None:
            assert isinstance(item.text, str) and len(item.text) <= MAX_TEXT_CHARS and storable(item.text)
            texts += len(item.text)
    assert texts <= raw_length
    for problem in result.problems:
        assert PROBLEM.fullmatch(problem), problem
    assert isinstance(problem_summary(result.problems), str)


def check_whatsapp(raw: bytes) -> None:
    check_notification(read_notification(raw, samples.PHONE_NUMBER_ID), len(raw))


@given(raw_bytes)
def test_whatsapp_notification_from_any_bytes(raw: bytes) -> None:
    CASES.hit("whatsapp_notification", "bytes")
    check_whatsapp(raw)


@given(json_bodies())
def test_whatsapp_notification_from_any_json(raw: bytes) -> None:
    CASES.hit("whatsapp_notification", "json")
    check_whatsapp(raw)


@given(near_valid(WHATSAPP_SEEDS))
def test_whatsapp_notification_near_valid(raw: bytes) -> None:
    CASES.hit("whatsapp_notification", "near_valid")
    check_whatsapp(raw)


@given(json_values, st.sampled_from([None, "", samples.PHONE_NUMBER_ID, "other"]))
def test_whatsapp_parser_on_any_python_value(value: Any, phone_number_id: Any) -> None:
    CASES.hit("whatsapp_notification", "python_value")
    check_notification(parse_webhook(value, phone_number_id), 10**9)


@given(st.binary(max_size=200), st.none() | short_text, st.sampled_from(["", "app-secret"]))
def test_signature_check_never_raises_and_accepts_only_the_right_signature(
    raw: bytes, header: Any, secret: str
) -> None:
    CASES.hit("whatsapp_signature", "header")
    assert verify_signature(raw, header, secret) is (
        bool(secret) and header is not None and header.strip().lower() == expected_signature(raw, secret)
    )
    if secret:
        assert verify_signature(raw, expected_signature(raw, secret), secret)


# --- money, phones, offers ------------------------------------------------------------------------------


def check_money(text: Any, found: Any) -> None:
    assert isinstance(found, list)
    length = len(text) if isinstance(text, str) else 0
    assert len(found) <= length
    for money in found:
        assert isinstance(money, Money) and money.currency in CURRENCIES
        assert isinstance(money.amount, Decimal) and money.amount.is_finite() and money.amount >= 0
        assert 0 <= money.start < money.end <= length
        assert approximate_idr(money).is_finite()
    assert [money.start for money in found] == sorted(money.start for money in found)


@given(offer_text)
def test_money_parser_on_chat_text(text: str) -> None:
    CASES.hit("parse_money", "text")
    check_money(text, parse_money(text))


@given(json_values)
def test_money_parser_on_anything(value: Any) -> None:
    CASES.hit("parse_money", "python_value")
    check_money(value, parse_money(value))


def check_phone(raw: Any, phone: Any) -> None:
    if phone is None:
        return
    assert isinstance(phone, str) and E164.fullmatch(phone), phone
    digits_in = sum(ch.isdigit() for ch in raw) if isinstance(raw, str) else 0
    assert len(phone) - 1 <= digits_in + 3  # at most a country code added to the digits given


@given(offer_text | short_text, st.sampled_from(["ID", "JP", "US", "", "XX", "id"]) | short_text)
def test_phone_normaliser(raw: str, region: str) -> None:
    CASES.hit("normalise_phone", "text")
    check_phone(raw, normalise_phone(raw, region))


@given(json_values, json_values)
def test_phone_normaliser_on_anything(raw: Any, region: Any) -> None:
    CASES.hit("normalise_phone", "python_value")
    check_phone(raw, normalise_phone(raw, region))


@given(offer_text)
def test_phone_finder(text: str) -> None:
    CASES.hit("find_phones", "text")
    phones = find_phones(text)
    assert isinstance(phones, list) and len(phones) == len(set(phones))
    assert len(phones) <= len(re.findall(r"\d+", text))
    for phone in phones:
        check_phone(text, phone)


def check_offer(text: str) -> None:
    facts = extract_offer_facts(text)
    assert isinstance(facts, OfferFacts) and facts.text == text[:MAX_OFFER_CHARS]
    for money in facts.fees + facts.salaries:
        assert isinstance(money, Money) and money.end <= len(facts.text)
    assert all(E164.fullmatch(phone) for phone in facts.phones) and len(facts.phones) <= len(facts.text)
    assert set(facts.matched) <= OFFER_CHECKS
    assert all(isinstance(getattr(facts, name), bool) for name in OFFER_CHECKS | {"skilled_work"})
    for highest in (facts.highest_fee_idr, facts.highest_salary_idr):
        assert highest is None or (isinstance(highest, Decimal) and highest.is_finite())
    assert isinstance(salary_is_unrealistic(facts), bool) and isinstance(fee_is_excessive(facts), bool)


@given(offer_text)
def test_offer_facts_on_chat_text(text: str) -> None:
    CASES.hit("extract_offer_facts", "text")
    check_offer(text)


@settings(max_examples=40)
@given(offer_text.filter(bool), st.integers(20, 200))
def test_offer_facts_on_long_pastes(text: str, repeat: int) -> None:
    CASES.hit("extract_offer_facts", "long_text")
    check_offer((text * repeat)[: 3 * MAX_OFFER_CHARS])


# --- pathological inputs: linear time, not quadratic ------------------------------------------------------

PATHOLOGICAL_TEXTS = [
    "1," * 2000,
    "1." * 2000,
    "1 " * 2000,
    "9" * 4000,
    "0812 " * 800,
    "Rp " * 1300,
    "juta " * 800,
    "lima " * 800,
    "lima belas " * 400,
    "1-" * 2000,
    "(" * 4000 + "1",
    "+" * 4000,
    "1 juta 500 ribu " * 250,
    "15jt-20jt " * 400,
    "se" * 2000,
    "\u00a0" * 4000,
    "0" * 3999 + "1",
]


# Not a speed target (those are measured by `make bench`): a check that no parser is quadratic.
# Each pathological text is parsed at 1/8 of its size and whole, best of three each; a linear
# parser takes about 8 times as long on the whole text, a quadratic one about 64 times. A pause
# of the machine (another process, a garbage collection) cannot fail it, only a change of shape.
LINEAR_RATIO_LIMIT = 24
TOO_SMALL_TO_MEASURE = 0.02  # seconds for the whole text: below this, nothing to judge


def _best_time(parse: Any, text: str) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        parse(text)
        best = min(best, time.perf_counter() - started)
    return best


def worst_growth(name: str, parse: Any, texts: Any) -> tuple:
    """The largest growth of parse time from 1/8 of a text to the whole text, over ``texts``."""
    worst = (0.0, "")
    for text in texts:
        CASES.hit(name, "pathological")
        whole = _best_time(parse, text)
        if whole < TOO_SMALL_TO_MEASURE:
            continue
        eighth = max(_best_time(parse, text[: len(text) // 8]), 1e-4)
        worst = max(worst, (whole / eighth, text[:20]))
    return worst


def test_the_growth_check_catches_a_quadratic_parser() -> None:
    def quadratic(text: str) -> int:
        return sum(1 for left in range(len(text)) for right in range(0, len(text), 10) if text[left] == text[right])

    growth, _ = worst_growth("self_check", quadratic, ["ab" * 1500])
    assert growth > LINEAR_RATIO_LIMIT


def test_money_and_phone_parsers_are_linear_on_pathological_text() -> None:
    for name, parse in (("parse_money", parse_money), ("find_phones", find_phones)):
        growth, text = worst_growth(name, parse, PATHOLOGICAL_TEXTS)
        assert growth < LINEAR_RATIO_LIMIT, (name, text, growth)


def test_offer_facts_are_linear_on_pathological_text() -> None:
    growth, text = worst_growth("extract_offer_facts", extract_offer_facts, PATHOLOGICAL_TEXTS)
    assert growth < LINEAR_RATIO_LIMIT, (text, growth)


def test_body_parsers_stay_fast_on_the_largest_bodies_they_accept() -> None:
    bodies = [
        b"[" + b"0," * 32_000 + b"0]",
        b'{"a":' * 30 + b"[" + b'"x",' * 20_000 + b'"x"]' + b"}" * 30,
        b"[" * 100_000,
        b'"' + b"\\u0000" * 10_000 + b'"',
    ]
    for raw in bodies:
        for name, parse in (
            ("parse_rest_body", parse_rest_body),
            ("telegram_update", parse_update_body),
            ("whatsapp_notification", read_notification),
        ):
            CASES.hit(name, "pathological")
            # Best of three, with room for a busy machine: a guard against blow-ups, not a target.
            assert _best_time(parse, raw) < 2.0, (name, raw[:20])


@settings(max_examples=200)
@given(st.text(alphabet="ab .?!\n5", max_size=60), st.data())
def test_sentences_found_once_match_the_sentence_search(text: str, data) -> None:
    """The linear sentence index used for penalty words (extract._Sentences) finds the same
    sentence as the plain search it replaced, for every position."""
    from bot.recruitment.extract import _sentence, _Sentences

    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    left, right = _Sentences(text).bounds(start, end)
    assert text[left:right] == _sentence(text, start, end)
