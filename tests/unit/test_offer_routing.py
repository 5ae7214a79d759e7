"""Which messages must get the offer check whatever intent the classifier picked
(bot/recruitment/routing.py). Texts here are written for these tests, not taken from any
held-out set."""

import pytest

from bot.recruitment.extract import extract_offer_facts
from bot.recruitment.routing import describes_offer, offer_signals, route_to_offer_check, tells_story


def _describes(text: str) -> bool:
    return describes_offer(offer_signals(text, extract_offer_facts(text)))


@pytest.mark.parametrize(
    "text",
    [
        # the user's own case, stated as a question about the rule
        "kak lpk aku nahan ijazah asli sampe lunas biaya pelatihan, boleh ga sih",
        # money paid to a person
        "adikku udah transfer 18jt ke om nya temen, katanya bisa kerja pabrik di nagoya",
        # a pasted advert: its format, a salary and a waived test
        "LOWONGAN JEPANG!! gaji 28jt/bln, tanpa tes bahasa, kuota terbatas. minat DM",
        # a forwarded chat
        "[09.12, 3/11/2026] Bu Rina: nanti dp dulu 7 juta ya buat amankan slot",
        # English, concrete
        "The agent told me I can work in Osaka on a visit visa and pay him 35 million first",
        # asking us to judge an amount
        "LPK minta 62 juta buat magang, wajar ga?",
        # danger always counts
        "tolong kami dikunci di asrama, gaji 3 bulan belum dibayar",
        # clean offers have no red flag, but they are offers to check (the check says so)
        "Aku udah tanda tangan kontrak sama LPK SO yang terdaftar, biaya pelatihan dicicil setelah berangkat",
        "Iklan: SSW pertanian di Hokkaido. Syarat: JFT-Basic A2, tes skill pertanian, lewat P3MI resmi",
        "Abdi tos mayar biaya tes JFT nyalira di situs resmi, teras daftar pelatihan di LPK caket bumi",
        # a rule question with a concrete detail of its own
        "kontrak ku bilang kalo resign sebelum 3 taun kena denda, itu sah ga?",
    ],
)
def test_descriptions_of_a_case_get_the_check(text: str) -> None:
    assert _describes(text)


@pytest.mark.parametrize(
    "text",
    [
        "boleh gak LPK nahan ijazah?",  # a rule in general: answer only
        "brp sih biaya resmi magang?",  # a cost question without a case
        "kalo ssw itu gajinya brp",
        "apakah tkw jepang bisa bawa anak",
        "aku umur 33 masih bisa magang?",  # personal, but no offer fact
        "visa turis bisa buat kerja ga di jepang?",
        "biaya magang lewat LPK 25-35 juta ya kak?",
        "makasih kak infonya",
        "How can I check whether an LPK has a sending organisation licence and a registered office?",
        "",
    ],
)
def test_questions_and_small_talk_do_not(text: str) -> None:
    assert not _describes(text)


def test_report_requests_status_checks_and_form_answers_keep_their_own_flow() -> None:
    signals = offer_signals("saya udah bayar 30jt ke calo", extract_offer_facts("saya udah bayar 30jt ke calo"))
    assert describes_offer(signals)
    for intent in ("report_recruiter", "check_report_status", "emergency_help", "skip", "correct", "cancel"):
        assert not route_to_offer_check(intent, signals)
    for intent in ("goodbye", "thank", "titp_cost", "nlu_fallback", "check_lpk"):
        assert route_to_offer_check(intent, signals)


def test_a_report_request_that_tells_the_story_is_recognised() -> None:
    assert tells_story("min sy mau lapor, sy udh bayar 30jt ke sponsor tp ga berangkat2 udh 1 thn")
    assert tells_story("I want to report a recruiter: he took my passport and asked for 20 million")
    assert not tells_story("mau lapor calo")
    assert not tells_story("saya mau lapor penipuan")
    assert not tells_story("I want to report a recruiter")


def test_a_general_question_about_offers_is_not_a_request_to_check_one() -> None:
    from bot.recruitment.routing import asks_about_offers

    def signals(text: str):
        return offer_signals(text, extract_offer_facts(text))

    assert asks_about_offers(signals("gimana caranya tau tawaran kerja ke jepang itu penipuan atau bukan?"))
    assert not asks_about_offers(signals("tolong cek tawaran ini dong"))  # a request: the form asks for it
    assert not asks_about_offers(signals("LPK minta 62 juta buat magang, wajar ga?"))  # a case to check


def test_asking_whether_a_normal_pay_figure_is_true_is_a_question_not_an_offer() -> None:
    assert not _describes("bener ga sih tunjangan magang cuma 100.000 yen sebulan?")
    assert _describes("gaji 35 juta sebulan buat kerja pabrik di jepang masuk akal ga?")


def test_an_offer_described_without_the_user_in_it_is_still_an_offer() -> None:
    assert _describes(
        "Lowongan pabrik di Gifu lewat PT penyalur resmi, wajib JFT dan tes skill, gaji sesuai standar, "
        "kontrak kerja diberikan sebelum berangkat"
    )
    assert _describes(
        "Factory work in Gifu through a registered P3MI, JFT and skill test required, salary as for "
        "Japanese staff, contract before departure"
    )


def test_adversarial_long_inputs_stay_fast() -> None:
    import time

    for text in ("Rp 1.000.000, " * 1500, "1jt! " * 4000, "a" * 20000, "lpk " * 5000, "aku " * 5000):
        started = time.perf_counter()
        offer_signals(text, extract_offer_facts(text))
        tells_story(text)
        assert time.perf_counter() - started < 1.5, text[:20]


def test_words_ending_in_ku_are_not_all_possessives() -> None:
    assert not _describes("apakah biaya 30 juta untuk magang masih berlaku?")
    assert not _describes("perilaku calo biasanya minta berapa juta?")
    assert _describes("pasporku ditahan LPK sampai lunas")


def test_a_bare_question_mark_still_asks_for_a_judgement() -> None:
    assert _describes("LPK minta 20jt sebelum tanda tangan kontrak, aman?")
