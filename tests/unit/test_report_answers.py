from decimal import Decimal

import pytest

from bot.reports import answers
from bot.reports.draft import ReportDraft, required_slots


@pytest.mark.parametrize("text", ["lewati", "skip", "gak tau", "tidak tahu", "-", "ga ada", "I don't know", "  Skip. "])
def test_skip_words(text: str) -> None:
    assert answers.is_skip(text)


@pytest.mark.parametrize("text", ["Kab. Garut", "paspor", "0812 3456 7890", ""])
def test_real_answers_are_not_skips(text: str) -> None:
    assert not answers.is_skip(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ya", True),
        ("iya kak", True),
        ("yes", True),
        ("aman", True),
        ("tidak", False),
        ("gak aman", False),
        ("no", False),
        ("not safe", False),
        ("mungkin", None),
        ("", None),
    ],
)
def test_yes_no(text: str, expected) -> None:
    assert answers.parse_yes_no(text) is expected


def test_correction_words() -> None:
    assert answers.is_correction("ralat")
    assert answers.is_correction("salah ketik")
    assert answers.is_correction("that's wrong")
    assert not answers.is_correction("Kab. Salatiga")


@pytest.mark.parametrize(
    "text, kind",
    [
        ("calo", "individual"),
        ("individual", "individual"),
        ("LPK", "lpk"),
        ("PT penyalur", "company"),
        ("akun facebook", "social_media"),
        ("gak tau", "unknown"),
        ("???", None),
    ],
)
def test_recruiter_kind(text: str, kind) -> None:
    assert answers.parse_recruiter_kind(text) == kind


def test_reporter_location() -> None:
    assert answers.parse_reporter_location("aku di jepang") == "japan"
    assert answers.parse_reporter_location("japan") == "japan"
    assert answers.parse_reporter_location("masih di rumah, jawa tengah") == "indonesia"
    assert answers.parse_reporter_location("malaysia") == "elsewhere"
    assert answers.parse_reporter_location("hmm") is None
    # A district or city alone is an answer: the worker is at home in Indonesia.
    assert answers.parse_reporter_location("cirebon") == "indonesia"
    assert answers.parse_reporter_location("di kab. indramayu") == "indonesia"
    assert answers.parse_reporter_location("kota tokyo") == "japan"
    assert answers.parse_reporter_location("kabur dari asrama") is None


@pytest.mark.parametrize(
    "text, name",
    [
        ("calo nya namanya pak budi, dia minta 30jt buat berangkat", "pak budi"),
        ("namanya Bu Sri yg di desa sebelah", "Bu Sri"),
        ("nama LPK-nya: Sakura Jaya Mandiri", "Sakura Jaya Mandiri"),
        ("nama akun fb nya Kerja Jepang Murah", "Kerja Jepang Murah"),
        ("his name is Kenji and he asked for money", "Kenji"),
        # A short answer is the name as written; a long one without "namanya" is kept whole for staff.
        ("LPK Sakura", "LPK Sakura"),
        (
            "orangnya ga mau kasih tau namanya, cuma bilang dari jakarta",
            "orangnya ga mau kasih tau namanya, cuma bilang dari jakarta",
        ),
    ],
)
def test_the_recruiter_name_is_taken_out_of_a_sentence(text: str, name: str) -> None:
    assert answers.parse_recruiter_name(text) == name


def test_story_needs_a_sentence_and_is_bounded() -> None:
    assert answers.parse_story("ok") is None
    assert answers.parse_story("12345678901234567890") is None
    story = "ditawari kerja pabrik bayar 40jt ke calo"
    assert answers.parse_story(story) == story  # kept as written
    assert len(answers.parse_story("kata " * 1000)) == answers.MAX_ANSWER_CHARS


def test_control_characters_are_removed() -> None:
    assert answers.clean_text("a\x00b\x1bc") == "a b c"


def test_money_answer() -> None:
    text, idr = answers.parse_money_answer("DP 5jt ke rekening pribadi, total 45 juta")
    assert idr == Decimal(45_000_000)  # the total, not the first amount
    assert text == "DP 5jt ke rekening pribadi, total 45 juta"
    assert answers.parse_money_answer("ga tau") is None


def test_phone_answer() -> None:
    assert answers.parse_phone_answer("0812-3456-7890") == "+6281234567890"
    assert answers.parse_phone_answer("123") is None


def test_contact_is_asked_only_with_consent_and_without_anonymity() -> None:
    assert "report_contact" in required_slots({"report_consent_contact": True, "report_anonymous": False})
    assert "report_contact" not in required_slots({"report_consent_contact": True, "report_anonymous": True})
    assert "report_contact" not in required_slots({"report_consent_contact": False, "report_anonymous": False})


def test_draft_drops_contact_without_consent_and_marks_unsafe_reporters_urgent() -> None:
    draft = ReportDraft.from_slots(
        {
            "report_what_happened": "ditipu calo 40jt",
            "report_recruiter_name": "-",
            "report_contact": "+6281234567890",
            "report_consent_contact": False,
            "report_anonymous": False,
            "report_reporter_safe": False,
        }
    )
    assert draft.reporter_contact is None
    assert draft.recruiter_name is None
    assert draft.urgent is True
    kept = ReportDraft.from_slots(
        {
            "report_what_happened": "x",
            "report_contact": "+6281234567890",
            "report_consent_contact": True,
            "report_anonymous": False,
        }
    )
    assert kept.reporter_contact == "+6281234567890"
