from bot.text_guard import MAX_READ_CHARS, cut_long_text, has_readable_text


def test_readable_text_needs_a_letter_or_digit() -> None:
    assert has_readable_text("ok")
    assert has_readable_text("5")
    assert has_readable_text("特定技能")
    assert not has_readable_text("")
    assert not has_readable_text(None)
    assert not has_readable_text("🙏🙏🙏 ... !!! 😭")
    assert not has_readable_text("   \n\t ")


def test_long_text_is_cut_at_a_word_boundary() -> None:
    text = "kata " * 2000
    cut = cut_long_text(text)
    assert len(cut) <= MAX_READ_CHARS
    assert not cut.endswith(" ") and cut.endswith("kata")


def test_long_text_without_spaces_is_cut_hard() -> None:
    assert len(cut_long_text("x" * 5000)) == MAX_READ_CHARS


def test_short_text_is_untouched() -> None:
    assert cut_long_text("magang brp thn") == "magang brp thn"
