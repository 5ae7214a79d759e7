import pytest

from bot.language import choose_language, detect_language


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


def test_choose_language_keeps_the_conversation_language_when_unsure() -> None:
    assert choose_language("N4", "en") == "en"
    assert choose_language("N4", None) == "id"
    assert choose_language("N4", "fr", default="en") == "en"
    assert choose_language("how much does it cost", "id") == "en"
