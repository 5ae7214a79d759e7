"""The judging functions of `make eval` (tests/eval/judge.py): the fact matcher, reading a turn
from the tracker, judging one question or offer, and the figures."""

from __future__ import annotations

import pytest

from tests.eval.judge import (
    HELDOUT_TARGETS,
    TurnOutcome,
    contains_fact,
    fact_matches,
    flag_scores,
    intent_scores,
    judge_offer,
    judge_question,
    missed_targets,
    normalise_reply,
    offer_figures,
    percentile,
    question_figures,
    reply_text,
    right_answer,
    risk_payload,
    rule_actions,
    turn_outcome,
)

# ------------------------------------------------------------------------------ the matcher


def test_the_old_bug_training_months_are_not_the_n4_level() -> None:
    # The old matcher dropped all spaces and punctuation: "pelatihan 4 bulan" -> "...n4bulan".
    assert not contains_fact("Biasanya ada pelatihan 4 bulan sebelum berangkat.", "N4")
    assert not fact_matches("pelatihan 4 bulan", ["N4"])


@pytest.mark.parametrize(
    "reply, fact",
    [
        ("Minimal JLPT N4 atau JFT-Basic A2.", "N4"),
        ("Maksimal 5 tahun (TITP i, ii, iii).", "5 tahun"),
        ("Upah minimum Tokyo ¥1.163 per jam", "1163"),
        ("biaya Rp805.700", "805,700"),
        ("biaya Rp 805,700", "805.700"),
        ("biaya 805700 rupiah", "805.700"),
        ("**5 tahun**", "5 tahun"),
        ("_OTIT_ mengawasi", "OTIT"),
        ("<b>OTIT</b> mengawasi", "otit"),
        ("ketik `SIAPkerja`", "siapkerja"),
        ("hubungi 0–800—1000", "0-800-1000"),
        ("hubungi 0\u2011800\u20111000", "0-800-1000"),
        ("kontrak\u00a05\u202ftahun", "5 tahun"),
        ("kontrak   5\n tahun", "5 tahun"),
        ("biaya 1,5 juta", "1.5 juta"),
        ("daftar di https://jepang.magangln.id/.", "jepang.magangln.id"),
        ("TITP dimulai 1993.", "1993"),
        ("usia 18–30 tahun", "30 tahun"),
    ],
)
def test_whole_facts_match_after_normalising(reply: str, fact: str) -> None:
    assert contains_fact(reply, fact)


@pytest.mark.parametrize(
    "reply, fact",
    [
        ("masa kerja 15 tahun", "5 tahun"),
        ("level N45", "N4"),
        ("gaji 1805700 yen", "805700"),
        ("gaji Rp 1.805.700", "805.700"),
        ("805.7000", "805700"),
        ("sekitar 2,5 tahun", "5 tahun"),
        ("skor 5.5", "5"),
        ("the supervising body", "supervis"),  # whole words only
        ("TITPs", "TITP"),
        ("anything", ""),
    ],
)
def test_parts_of_words_or_numbers_do_not_match(reply: str, fact: str) -> None:
    assert not contains_fact(reply, fact)


def test_any_alternative_is_enough_and_none_is_no_match() -> None:
    assert fact_matches("Program ini 3 tahun.", ["5 tahun", "3 tahun"])
    assert not fact_matches("Program ini 3 tahun.", [])


def test_normalise_reply() -> None:
    assert (
        normalise_reply("  <i>Biaya</i>: *Rp 10–15 juta*\u00a0(2.000.000/bln) ")
        == "biaya : rp 10-15 juta (2000000/bln)"
    )


def test_button_titles_are_not_part_of_the_reply_text() -> None:
    messages = [
        {
            "recipient_id": "u",
            "text": "Pilih topik di bawah.",
            "buttons": [{"title": "JLPT N4", "payload": "/jlpt_levels"}],
        },
        {"recipient_id": "u", "custom": {"type": "risk_assessment", "level": "low", "flags": []}},
    ]
    assert reply_text(messages) == "Pilih topik di bawah."
    assert not fact_matches(reply_text(messages), ["N4"])


def test_risk_payload_is_the_custom_item_of_the_rest_reply() -> None:
    payload = {"type": "risk_assessment", "level": "high", "flags": ["upfront_fee"], "agencies": []}
    messages = [
        {"recipient_id": "u", "text": "Risiko tinggi"},
        {"recipient_id": "u", "custom": payload},
        {"recipient_id": "u", "text": "Mau lapor?", "buttons": []},
    ]
    assert risk_payload(messages) == payload
    assert risk_payload([{"text": "x"}, {"custom": {"type": "other"}}]) is None


# ----------------------------------------------------------------------- reading a turn


def _tracker(*events, intent="titp_overview", confidence=0.91):
    return {
        "events": [
            {"event": "action", "name": "action_session_start"},
            {"event": "session_started"},
            {"event": "action", "name": "action_listen"},
            {"event": "user", "text": "q", "parse_data": {"intent": {"name": intent, "confidence": confidence}}},
            *events,
            {"event": "action", "name": "action_listen"},
        ]
    }


def test_an_answer_is_read_from_the_last_answer_slot() -> None:
    outcome = turn_outcome(
        _tracker(
            {"event": "action", "name": "action_answer_question"},
            {"event": "bot", "text": "TITP ...", "data": {"buttons": [{"title": "x", "payload": "/y"}]}},
            {"event": "slot", "name": "last_answer", "value": "titp_overview"},
        )
    )
    assert outcome == TurnOutcome("answer", "titp_overview", 0.91, ["action_answer_question"], "titp_overview")


def test_did_you_mean_is_action_clarify_with_buttons() -> None:
    outcome = turn_outcome(
        _tracker(
            {"event": "action", "name": "action_clarify"},
            {
                "event": "bot",
                "text": "Maksudmu?",
                "data": {"buttons": [{"title": "TITP", "payload": "/titp_overview"}]},
            },
            intent="nlu_fallback",
            confidence=0.3,
        )
    )
    assert outcome.kind == "did_you_mean" and outcome.intent == "nlu_fallback" and outcome.last_answer is None


def test_the_best_real_intent_is_kept_beside_nlu_fallback() -> None:
    tracker = _tracker({"event": "action", "name": "action_clarify"}, intent="nlu_fallback", confidence=0.3)
    tracker["events"][3]["parse_data"]["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "salary", "confidence": 0.2812},
        {"name": "x", "confidence": 0.1},
    ]
    assert turn_outcome(tracker).best_guess == ("salary", 0.281)


@pytest.mark.parametrize(
    "events",
    [
        # action_clarify without candidates sends the official channels instead.
        [{"event": "action", "name": "action_clarify"}, {"event": "bot", "text": "KP2MI...", "data": {}}],
        [{"event": "action", "name": "utter_official_channels"}, {"event": "bot", "text": "KP2MI..."}],
        [{"event": "action", "name": "action_default_fallback"}],
        # An answer action that found no answer.
        [{"event": "action", "name": "action_answer_question"}, {"event": "bot", "text": "KP2MI..."}],
    ],
)
def test_fallbacks(events) -> None:
    assert turn_outcome(_tracker(*events)).kind == "fallback"


def test_nlu_fallback_that_led_to_no_answer_is_a_fallback_and_other_actions_are_other() -> None:
    assert turn_outcome(_tracker(intent="nlu_fallback")).kind == "fallback"
    outcome = turn_outcome(_tracker({"event": "action", "name": "utter_out_of_scope"}, intent="out_of_scope"))
    assert outcome.kind == "other" and outcome.actions == ["utter_out_of_scope"]


def test_only_the_last_user_turn_counts() -> None:
    tracker = _tracker(
        {"event": "action", "name": "action_answer_question"},
        {"event": "slot", "name": "last_answer", "value": "salary"},
    )
    tracker["events"] += [
        {"event": "user", "parse_data": {"intent": {"name": "greet", "confidence": 0.99}}},
        {"event": "action", "name": "action_greet"},
    ]
    outcome = turn_outcome(tracker)
    assert outcome.intent == "greet" and outcome.actions == ["action_greet"] and outcome.last_answer is None


RULES = {
    "rules": [
        {
            "rule": "answer",
            "steps": [
                {"or": [{"intent": "titp_overview"}, {"intent": "salary"}]},
                {"action": "action_answer_question"},
            ],
        },
        {"rule": "greet", "steps": [{"intent": "greet"}, {"action": "action_greet"}]},
        {
            "rule": "cancel in form",
            "condition": [{"active_loop": "offer_form"}],
            "steps": [{"intent": "cancel"}, {"action": "action_deactivate_loop"}],
        },
        {"rule": "cancel", "steps": [{"intent": "cancel"}, {"action": "utter_deny_without_context"}]},
        {"rule": "emergency", "steps": [{"intent": "emergency_help"}, {"action": "action_emergency"}]},
        {"rule": "after clarify", "steps": [{"action": "action_clarify"}, {"intent": "deny"}, {"action": "x"}]},
    ]
}


def test_rule_actions_prefers_unconditional_rules() -> None:
    assert rule_actions(RULES) == {
        "titp_overview": "action_answer_question",
        "salary": "action_answer_question",
        "greet": "action_greet",
        "cancel": "utter_deny_without_context",
        "emergency_help": "action_emergency",
    }


def test_right_answer_by_answer_id_or_by_the_rules_action() -> None:
    actions = rule_actions(RULES)
    answered = TurnOutcome("answer", "salary", 0.8, ["action_answer_question"], "salary")
    assert right_answer("salary", answered, actions)
    assert not right_answer("titp_overview", answered, actions)
    assert right_answer("greet", TurnOutcome("other", "greet", 0.9, ["action_greet"]), actions)
    assert not right_answer("greet", answered, actions)
    assert right_answer(
        "emergency_help", TurnOutcome("answer", "emergency_help", 0.9, ["action_emergency"], "emergency_help"), actions
    )
    # A knowledge id the rules do not know yet is still judged by the answer given.
    assert right_answer("titp_closing", TurnOutcome("answer", "x", 0.9, [], "titp_closing"), actions)


# ------------------------------------------------------------------------ judging one item


def _messages(text: str, buttons=()):
    return [{"recipient_id": "u", "text": text, "buttons": [{"title": b, "payload": "/x"} for b in buttons]}]


def test_judge_question_categories() -> None:
    actions = rule_actions(RULES)
    item = {"text": "brp lama magang?", "lang": "id", "answer": "titp_overview", "expect": ["5 tahun"]}
    right = TurnOutcome("answer", "titp_overview", 0.9, ["action_answer_question"], "titp_overview")
    hit = judge_question(item, _messages("Maksimal 5 tahun."), right, actions)
    assert (hit["hit"], hit["fact_found"], hit["right_answer"], hit["category"]) == (True, True, True, None)
    no_fact = judge_question(item, _messages("Program TITP.", buttons=["5 tahun"]), right, actions)
    assert no_fact["category"] == "right_answer_fact_missing"
    wrong = TurnOutcome("answer", "salary", 0.9, ["action_answer_question"], "salary")
    assert judge_question(item, _messages("Gaji ..."), wrong, actions)["category"] == "wrong_answer"
    clarify = TurnOutcome("did_you_mean", "nlu_fallback", 0.3, ["action_clarify"])
    assert judge_question(item, _messages("Maksudmu?"), clarify, actions)["category"] == "did_you_mean"
    fallback = TurnOutcome("fallback", "nlu_fallback", 0.2, ["action_clarify"])
    assert judge_question(item, _messages("KP2MI"), fallback, actions)["category"] == "fallback"
    # The user got the fact even from a neighbouring answer: that is a hit.
    neighbour = judge_question(item, _messages("... 5 tahun ..."), wrong, actions)
    assert (neighbour["hit"], neighbour["fact_found"], neighbour["right_answer"], neighbour["category"]) == (
        True,
        True,
        False,
        None,
    )


def test_judge_question_without_facts_uses_the_expected_action() -> None:
    actions = rule_actions(RULES)
    item = {"text": "halo", "lang": "id", "intent": "greet", "expect": []}
    greeted = judge_question(item, _messages("Halo!"), TurnOutcome("other", "greet", 0.9, ["action_greet"]), actions)
    assert (greeted["hit"], greeted["fact_found"], greeted["right_answer"], greeted["category"]) == (
        True,
        None,
        True,
        None,
    )
    missed = judge_question(item, _messages("x"), TurnOutcome("other", "chitchat", 0.9, ["utter_chitchat"]), actions)
    assert missed["category"] == "wrong_answer" and missed["fact_found"] is None


def _offer_reply(level, flags):
    return [
        {"recipient_id": "u", "text": "Hasil cek"},
        {"recipient_id": "u", "custom": {"type": "risk_assessment", "level": level, "flags": flags, "agencies": []}},
    ]


def test_judge_offer() -> None:
    item = {"text": "bayar DP 10jt", "kind": "offer", "flags": ["upfront_fee", "fast_departure"], "level": "high"}
    right = judge_offer(item, _offer_reply("high", ["fast_departure", "upfront_fee"]))
    assert right["categories"] == [] and right["level_ok"]
    off = judge_offer(item, _offer_reply("medium", ["upfront_fee", "wrong_visa"]))
    assert off["categories"] == ["missed_flag", "false_flag", "level_off"]
    assert off["missing"] == ["fast_departure"] and off["extra"] == ["wrong_visa"]
    none = judge_offer(item, _messages("Maaf, aku belum bisa menjawab itu."))
    assert none["categories"] == ["no_payload", "missed_flag"] and none["got"] == [] and none["level_ok"] is False


def test_judge_not_offer() -> None:
    item = {"text": "halo kak", "kind": "not_offer", "flags": [], "level": "none"}
    assert judge_offer(item, _messages("Halo!"))["categories"] == []
    false = judge_offer(item, _offer_reply("low", []))
    assert false["categories"] == ["false_payload"] and false["level_ok"] is None


def test_flags_the_label_says_nothing_about_are_not_scored() -> None:
    item = {
        "text": "LPK X minta DP",
        "kind": "offer",
        "flags": ["upfront_fee"],
        "level": "high",
        "agency_name": "LPK X",
    }
    judged = judge_offer(item, _offer_reply("high", ["upfront_fee", "unlicensed_agency"]), ["unlicensed_agency"])
    assert judged["categories"] == [] and judged["ignored_flags_raised"] == ["unlicensed_agency"]
    assert flag_scores([judged])["micro_precision"] == 1.0


# ------------------------------------------------------------------------------- figures


def test_percentile_nearest_rank() -> None:
    values = list(range(1, 21))
    assert percentile(values, 0.5) == 10
    assert percentile(values, 0.95) == 19
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([], 0.5) is None


def test_intent_scores_match_a_hand_computed_macro_f1() -> None:
    truths = ["a", "a", "b", "b"]
    predictions = ["a", "b", "b", "nlu_fallback"]
    scores = intent_scores(truths, predictions)
    # a: P 1, R .5, F1 2/3; b: P .5, R .5, F1 .5 -> macro 7/12
    assert scores["macro_f1"] == pytest.approx(7 / 12)
    assert scores["accuracy"] == 0.5
    assert scores["per_label"]["b"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert dict(scores["confusions"]) == {"a -> b": 1, "b -> nlu_fallback": 1}


def test_flag_scores_micro_and_per_flag() -> None:
    judged = [{"flags": ["a", "b"], "got": ["a"]}, {"flags": [], "got": ["c"]}, {"flags": ["a"], "got": ["a", "b"]}]
    scores = flag_scores(judged)
    assert (scores["tp"], scores["fp"], scores["fn"]) == (2, 2, 1)
    assert scores["micro_precision"] == 0.5 and scores["micro_recall"] == pytest.approx(2 / 3)
    assert scores["per_flag"]["a"] == {"precision": 1.0, "recall": 1.0, "tp": 2, "fp": 0, "fn": 0}
    assert scores["per_flag"]["c"]["recall"] is None
    assert flag_scores([])["micro_precision"] is None


def test_offer_figures() -> None:
    offer = {"kind": "offer", "flags": ["upfront_fee"], "level": "high"}
    judged = [
        judge_offer({**offer, "text": "1"}, _offer_reply("high", ["upfront_fee"])),
        judge_offer({**offer, "text": "2"}, _messages("?")),
        judge_offer({"text": "3", "kind": "not_offer", "flags": [], "level": None}, _offer_reply("low", [])),
        judge_offer({"text": "4", "kind": "not_offer", "flags": [], "level": None}, _messages("halo")),
    ]
    figures = offer_figures(judged)
    assert figures["payload_share"] == 0.5 and figures["false_payload_rate"] == 0.5
    assert figures["level_accuracy"] == 0.5
    assert figures["micro_precision"] == 1.0 and figures["micro_recall"] == 0.5
    assert figures["errors"] == {"no_payload": 1, "missed_flag": 1, "false_payload": 1}


def test_question_figures() -> None:
    judged = [
        {"expect": ["x"], "fact_found": True, "right_answer": True, "hit": True, "outcome": "answer", "category": None},
        {
            "expect": ["x"],
            "fact_found": False,
            "right_answer": False,
            "hit": False,
            "outcome": "did_you_mean",
            "category": "did_you_mean",
        },
        {"expect": [], "fact_found": None, "right_answer": True, "hit": True, "outcome": "other", "category": None},
        {
            "expect": ["x"],
            "fact_found": False,
            "right_answer": False,
            "hit": False,
            "outcome": "fallback",
            "category": "fallback",
        },
    ]
    figures = question_figures(judged)
    assert figures["fact_share"] == pytest.approx(1 / 3) and figures["fact_items"] == 3
    assert figures["did_you_mean_rate"] == 0.25 and figures["fallback_rate"] == 0.25
    assert figures["right_answer_share"] == 0.5
    assert figures["errors"] == {"did_you_mean": 1, "fallback": 1}


def test_missed_targets_names_every_miss_and_unmeasured_figure() -> None:
    good = {
        "questions": {"fact_share": 0.95},
        "offers": {
            "payload_share": 0.99,
            "micro_recall": 0.91,
            "micro_precision": 0.9,
            "level_accuracy": 0.85,
            "false_payload_rate": 0.0,
        },
    }
    assert missed_targets(good) == []
    # a rate with a ceiling: checking plain questions as offers is a miss
    overrouted = {**good, "offers": {**good["offers"], "false_payload_rate": 0.4}}
    assert missed_targets(overrouted) == ["offer check on a plain question (not_offer): 0.400 > 0.10"]
    bad = {"questions": {"fact_share": 0.5}, "offers": {**good["offers"], "micro_precision": None}}
    missed = missed_targets(bad)
    assert len(missed) == 2 and "0.500 < 0.92" in missed[0] and "not measured" in missed[1]
    assert len(missed_targets({})) == len(HELDOUT_TARGETS)
