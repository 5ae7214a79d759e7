"""The report and status actions with stub trackers (no model): daily filing limits keep the
answers, consent is recorded with its text, and the status check answers one way."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.reports import ActionShowStatus, ActionSubmitReport
from bot.manage import migrate
from bot.storage.db import transaction
from bot.storage.models import Report

SLOTS = {
    "report_what_happened": "calo minta 30jt buat visa kerja, paspor ditahan",
    "report_recruiter_name": "Pak Budi",
    "report_recruiter_kind": "individual",
    "report_recruiter_phone": "+6281234567890",
    "report_location": "Garut",
    "report_money": "30jt",
    "report_documents": "paspor",
    "report_reporter_safe": True,
    "report_reporter_location": "indonesia",
    "report_consent_contact": True,
    "report_anonymous": False,
    "report_contact": "+6289876543210",
    "report_confirm": "send",
    "language": "id",
}


@pytest.fixture
def database(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'reports.db'}"
    migrate(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("REPORTS_PER_DAY", "2")
    return url


def stub(
    sender: str, slots: Optional[Dict[str, Any]] = None, client: Optional[str] = None, text: str = "/affirm"
) -> Tracker:
    events: List[Dict[str, Any]] = [{"event": "user", "text": text, "metadata": {"client": client} if client else {}}]
    return Tracker(
        sender,
        dict(slots or SLOTS),
        {"text": text, "intent": {"name": "affirm"}, "entities": []},
        events,
        False,
        None,
        {},
        "action_listen",
    )


def run(action: Any, tracker: Tracker) -> tuple:
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, {})
    return [m.get("text") or "" for m in dispatcher.messages], events


def test_reports_over_the_daily_limit_are_not_saved_and_the_answers_stay(database: str) -> None:
    for _ in range(2):
        texts, _ = run(ActionSubmitReport(), stub("telegram:42"))
        assert "Kode laporan" in texts[0]
    texts, events = run(ActionSubmitReport(), stub("telegram:42"))
    assert "BELUM tersimpan" in texts[0] and "Kode laporan" not in texts[0]
    cleared = {e["name"] for e in events if e.get("event") == "slot" and e["value"] is None}
    assert "report_what_happened" not in cleared  # nothing the reporter typed is lost
    with transaction(database) as session:
        assert len(session.execute(select(Report)).scalars().all()) == 2
    # Another chat is not affected.
    assert "Kode laporan" in run(ActionSubmitReport(), stub("telegram:43"))[0][0]


def test_one_address_cannot_file_under_many_sender_names(database: str, monkeypatch) -> None:
    monkeypatch.setenv("REPORTS_PER_DAY", "100")
    monkeypatch.setenv("REPORTS_PER_DAY_PER_ADDRESS", "3")
    outcomes = [run(ActionSubmitReport(), stub(f"rest:name-{n}", client="one-address"))[0][0] for n in range(4)]
    assert ["Kode laporan" in text for text in outcomes] == [True, True, True, False]


def test_consent_is_stored_with_the_question_shown_and_the_time(database: str) -> None:
    run(ActionSubmitReport(), stub("whatsapp:6281"))
    with transaction(database) as session:
        report = session.execute(select(Report)).scalars().one()
        # The question exactly as domain.yml's utter_ask_report_consent_contact showed it, and the answer.
        assert report.consent_text == "Bolehkah petugas menghubungimu untuk menindaklanjuti? → Ya"
        assert report.consent_recorded_at is not None


def test_status_check_answers_one_way_for_unknown_wrong_and_locked(database: str) -> None:
    texts, _ = run(ActionSubmitReport(), stub("telegram:7"))
    code = texts[0].split("Kode laporan: ")[1].split()[0]
    answers = set()
    for sender, given_code, pin in (
        ("telegram:8", "ZZZZ-9999", "123456"),
        ("telegram:8", code, "000000"),
        ("telegram:8", code, "000001"),
    ):
        slots = {"status_case_code": given_code, "status_pin": pin, "language": "id"}
        answers.add(run(ActionShowStatus(), stub(sender, slots, text=pin))[0][0])
    assert len(answers) == 1 and "tidak cocok" in answers.pop()
