from bot.intents import clarify_candidates, requested_language


def test_language_entity_wins() -> None:
    assert requested_language([{"entity": "language", "value": "en"}], "bahasa indonesia") == "en"


def test_language_from_words_when_no_entity() -> None:
    assert requested_language([], "ganti bahasa inggris dong") == "en"
    assert requested_language([], "pakai bahasa indonesia aja") == "id"
    assert requested_language([], "english please") == "en"
    assert requested_language([], "halo") is None


def test_unknown_language_entity_is_ignored() -> None:
    assert requested_language([{"entity": "language", "value": "jp"}], "") is None


def test_clarify_candidates_keep_knowledge_answers_in_rank_order() -> None:
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.45},
        {"name": "titp_cost", "confidence": 0.4},
        {"name": "greet", "confidence": 0.3},
        {"name": "salary", "confidence": 0.2},
        {"name": "titp_overview", "confidence": 0.1},
        {"name": "check_lpk", "confidence": 0.05},
    ]
    answers = {"titp_cost", "salary", "titp_overview", "check_lpk"}
    assert clarify_candidates(ranking, answers) == ["titp_cost", "salary", "titp_overview"]
    assert clarify_candidates(ranking, answers, limit=1) == ["titp_cost"]
    assert clarify_candidates([], answers) == []


def test_clarify_candidates_put_the_retrieved_answers_first_and_respect_the_limit() -> None:
    ranking = [{"name": "titp_cost", "confidence": 0.4}, {"name": "salary", "confidence": 0.2}]
    answers = {"titp_cost", "salary", "health_insurance", "pension_refund"}
    retrieved = ["health_insurance", "unknown_answer", "pension_refund"]
    assert clarify_candidates(ranking, answers, retrieved=retrieved) == [
        "health_insurance",
        "pension_refund",
        "titp_cost",
    ]
    assert clarify_candidates(ranking, answers, limit=2, retrieved=retrieved) == ["health_insurance", "pension_refund"]
