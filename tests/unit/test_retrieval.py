"""The second stage for unclear messages (bot/retrieval.py): nearest answers and the decision."""

from bot.retrieval import (
    ACCEPT_SCORE,
    Hit,
    KnowledgeDocument,
    KnowledgeRetriever,
    decide,
    normalise,
)

DOCS = [
    KnowledgeDocument("salary", "berapa gaji ssw per bulan"),
    KnowledgeDocument("salary", "how much is the salary in japan"),
    KnowledgeDocument("pension_refund", "cara klaim uang pensiun nenkin setelah pulang"),
    KnowledgeDocument("pension_refund", "lump-sum withdrawal pension refund when leaving japan"),
    KnowledgeDocument("health_insurance", "asuransi kesehatan kokuho di jepang wajib ga"),
    KnowledgeDocument("check_lpk", "cara cek lpk resmi terdaftar kemnaker"),
]
KNOWN = {"salary", "pension_refund", "health_insurance", "check_lpk"}


def test_normalise_expands_abbreviations_and_folds_repeats() -> None:
    assert normalise("Gaji SSW brp sih kak??") == "gaji ssw"
    assert normalise("dokumen2 yg dibutuhin bangettt") == "dokumen dibutuhin banget"
    assert normalise("tokutei ginou di jpg") == "ssw magang jepang"
    # question frames say nothing about the topic
    assert normalise("magang ke jepang syaratnya apa aja?") == "magang jepang"


def test_typos_and_abbreviations_still_find_the_answer() -> None:
    retriever = KnowledgeRetriever(DOCS)
    assert retriever.search("gajih tokuteigino brp sebulan")[0].answer_id == "salary"
    assert retriever.search("nenkin bisa dicairin ga klo udh plg ke indo")[0].answer_id == "pension_refund"
    assert retriever.search("asuransi kesehatn kokuho")[0].answer_id == "health_insurance"
    hits = retriever.search("cek lpk")
    assert [h.answer_id for h in hits][0] == "check_lpk" and len({h.answer_id for h in hits}) == len(hits)
    assert retriever.search("!!!") == []


def test_unclear_message_takes_a_close_match() -> None:
    hits = [Hit("pension_refund", ACCEPT_SCORE + 0.1), Hit("salary", 0.1)]
    decision = decide("nlu_fallback", 0.2, [("nlu_fallback", 0.3), ("salary", 0.2)], hits, KNOWN, "nenkin cair gmn")
    assert (decision.intent, decision.source) == ("pension_refund", "retrieval")


def test_unclear_message_takes_a_weaker_match_the_classifier_agrees_with() -> None:
    hits = [Hit("salary", 0.25), Hit("pension_refund", 0.24)]
    decision = decide("nlu_fallback", 0.3, [("nlu_fallback", 0.3), ("salary", 0.28)], hits, KNOWN, "gaji di sana brp")
    assert decision.intent == "salary"


def test_a_near_tie_stays_unclear_with_both_as_candidates() -> None:
    hits = [Hit("salary", 0.40), Hit("pension_refund", 0.39), Hit("check_lpk", 0.05)]
    decision = decide("nlu_fallback", 0.3, [("nlu_fallback", 0.3), ("check_lpk", 0.2)], hits, KNOWN, "uang")
    assert decision.source == "unclear" and decision.intent == "nlu_fallback"
    assert decision.candidates[:2] == ("salary", "pension_refund") and "check_lpk" in decision.candidates


def test_small_talk_does_not_swallow_a_question() -> None:
    hits = [Hit("salary", 0.62), Hit("check_lpk", 0.2)]
    text = "makasih kak infonya, trus kalo ssw gajinya brp?"
    assert decide("thank", 0.8, [("thank", 0.8)], hits, KNOWN, text).intent == "salary"
    # plain thanks stays thanks, even if some answer shares its words
    assert decide("thank", 0.8, [("thank", 0.8)], hits, KNOWN, "makasih kak").intent == "thank"
    # a confident real intent is never overruled
    assert decide("check_lpk", 0.9, [("check_lpk", 0.9)], hits, KNOWN, text).intent == "check_lpk"


def test_answers_unknown_to_the_content_are_never_chosen() -> None:
    hits = [Hit("retired_answer", 0.9)]
    decision = decide("nlu_fallback", 0.2, [], hits, KNOWN, "something long enough to be a question")
    assert decision.source == "unclear" and decision.candidates == ()


def test_question_guess_takes_agreement_of_two_unsure_methods() -> None:
    from bot.retrieval import question_guess

    # the retriever's best is the classifier's best knowledge intent, both unsure
    text = "uang yang dulu dipotong itu bisa diambil lagi ga"
    hits = [Hit("pension_refund", 0.18), Hit("salary", 0.16)]
    assert (
        question_guess([("nlu_fallback", 0.3), ("pension_refund", 0.2)], hits, KNOWN, text).answer_id
        == "pension_refund"
    )
    # the classifier's fairly sure guess is the retriever's second
    hits = [Hit("salary", 0.30), Hit("check_lpk", 0.25)]
    assert question_guess([("check_lpk", 0.3)], hits, KNOWN, text).answer_id == "check_lpk"
    # too weak on both sides: no guess
    assert question_guess([("check_lpk", 0.1)], hits, KNOWN, text) is None
    assert question_guess([("pension_refund", 0.2)], [Hit("pension_refund", 0.05)], KNOWN, text) is None


def test_one_or_two_words_never_get_a_guessed_answer() -> None:
    from bot.retrieval import question_guess

    strong = [Hit("salary", 0.9), Hit("check_lpk", 0.1)]
    for text in ("kak", "magang", "gaji brp kak?"):
        assert question_guess([("salary", 0.5)], strong, KNOWN, text) is None
        assert decide("nlu_fallback", 0.3, [("salary", 0.5)], strong, KNOWN, text).source == "unclear"


def test_an_emergency_is_never_guessed() -> None:
    from bot.retrieval import question_guess

    hits = [Hit("emergency_help", 0.9), Hit("salary", 0.1)]
    known = KNOWN | {"emergency_help"}
    assert question_guess([("emergency_help", 0.5)], hits, known, "tolong aku harus gimana sekarang") is None


def test_a_long_story_is_also_searched_by_its_last_sentence() -> None:
    from bot.retrieval import query_parts

    story = (
        "aku lulusan smk 2022, kerja di pabrik sepatu, ortu pengen aku ke jepang. "
        "temen udah ada yang berangkat dan katanya enak. nenkin bisa dicairin ga kalo udah pulang?"
    )
    assert query_parts(story)[-1] == "nenkin bisa dicairin ga kalo udah pulang?"
    assert query_parts("gaji ssw brp?") == ["gaji ssw brp?"]
    assert KnowledgeRetriever(DOCS).search(story)[0].answer_id == "pension_refund"


def test_keywords_are_indexed_a_few_at_a_time() -> None:
    from bot.retrieval import keyword_documents

    docs = keyword_documents({"id": ["a", "b", "c", "d", "e"], "en": ["x"]})
    assert docs == ["a b c d", "e", "x"]


def test_a_doubtful_answer_to_a_message_like_nothing_we_know_is_unclear() -> None:
    nothing = [Hit("salary", 0.05)]
    assert (
        decide(
            "help_contacts", 0.33, [("help_contacts", 0.33)], nothing, KNOWN | {"help_contacts"}, "zxqv plmk wrtz"
        ).intent
        == "nlu_fallback"
    )
    # a sure answer, or one the knowledge resembles, stands
    assert decide("salary", 0.9, [("salary", 0.9)], nothing, KNOWN, "zxqv plmk").intent == "salary"
    assert decide("salary", 0.4, [("salary", 0.4)], [Hit("salary", 0.3)], KNOWN, "gajih brp").intent == "salary"


def test_real_index_keeps_generic_question_frames_from_deciding() -> None:
    retriever = KnowledgeRetriever(DOCS + [KnowledgeDocument("epa_to_ssw", "epa ke ssw syaratnya apa aja")])
    hits = retriever.search("cek lpk syaratnya apa aja?")
    assert hits[0].answer_id == "check_lpk"
