import pytest

from bot.intents import reply_language_of
from bot.language import detect_language


@pytest.mark.parametrize(
    "text",
    [
        "magang jepang brp thn?",
        "tokuteigino bahasa jpg harus n brp",
        "gmn cek LPK resmi?",
        "kak mau tanya biayanya berapa ya",
        "makasih min",
        "aku lulusan smk umur 20 mau ke jepang",
    ],
)
def test_informal_indonesian_is_indonesian(text: str) -> None:
    assert detect_language(text) == "id"


@pytest.mark.parametrize(
    "text",
    [
        "Can I bring my family on SSW 2?",
        "how much does the internship cost",
        "what is the japanese level needed for SSW",
        "thanks",
        "is this agency legit or not",
    ],
)
def test_english_is_english(text: str) -> None:
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text", ["", None, "🙏🙏", "SSW", "visa turis", "N4", "/titp_cost"])
def test_too_little_evidence_is_undecided(text) -> None:
    assert detect_language(text) is None


def test_the_reply_language_is_the_one_asked_for_else_the_one_written() -> None:
    # Asked for: the words name English although the sentence is Indonesian.
    assert reply_language_of("set_language", [], "ganti bahasa inggris dong") == "en"
    assert reply_language_of("set_language", [{"entity": "language", "value": "id"}], "pls indo") == "id"
    # Not a request: "bahasa inggris" in a question about tests names no reply language.
    assert reply_language_of("jlpt_levels", [{"entity": "language", "value": "en"}], "perlu bahasa inggris gak") == "id"
    assert reply_language_of("ssw_overview", [], "how much does it cost") == "en"
    # Too little to tell: None, and the conversation keeps its language.
    assert reply_language_of("jlpt_levels", [], "N4") is None
