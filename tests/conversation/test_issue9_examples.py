"""The four messages that went wrong when the assistant was tried as a new user (issue 9), each
in a fresh conversation through the trained assistant and the real action server."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

pytestmark = pytest.mark.conversation


def payloads(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [m["custom"] for m in messages if (m.get("custom") or {}).get("type") == "risk_assessment"]


def texts(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def test_a_question_about_my_own_lpk_holding_my_diploma_gets_the_rule_and_the_check(chat) -> None:
    messages = chat.say("kak lpk aku nahan ijazah asli sampe lunas biaya pelatihan, boleh ga sih")
    [check] = payloads(messages)
    assert "document_retention" in check["flags"] and check["level"] in ("high", "urgent")
    reply = texts(messages)
    assert "Sampai jumpa" not in reply
    # the rule is answered too: holding originals is not allowed
    assert "ijazah" in reply.lower()


def test_ssw_pay_question_gets_the_pay_rule(chat) -> None:
    chat.say("kalo ssw itu gajinya brp")
    assert chat.slot("last_answer") == "salary"


def test_bringing_a_child_is_answered_with_the_family_rule(chat) -> None:
    reply = chat.say_text("apakah tkw jepang bisa bawa anak")
    assert chat.slot("last_answer") == "ssw_overview"
    assert "keluarga" in reply.lower()


def test_a_report_request_that_tells_the_story_keeps_it(chat) -> None:
    story = "min sy mau lapor, sy udh bayar 30jt ke sponsor tp ga berangkat2 udh 1 thn"
    messages = chat.say(story)
    assert payloads(messages), "the story is checked at once"
    assert chat.slot("report_what_happened") == story
    assert chat.slot("report_recruiter_kind") == "individual"
    assert chat.slot("report_money_idr") == 30_000_000
    # the form goes on with what it does not know yet, not "what happened?"
    assert chat.slot("requested_slot") not in (None, "report_what_happened", "report_money")
    assert "Apa yang terjadi?" not in texts(messages)
