"""Reports in a real database: SQLite file, and PostgreSQL on localhost when it is running."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from bot.manage import ensure_registry
from bot.reports.codes import verify_pin
from bot.reports.draft import ReportDraft
from bot.storage.db import transaction
from bot.storage.models import Report, ReportEvent
from bot.storage.registry import load_registry
from bot.storage.reports import (
    Requester,
    StatusLimits,
    add_staff_message,
    check_status,
    reports_about_same_recruiter,
    save_report,
)
from tests.databases import PIN_KEY
from tests.unit.test_registry_and_codes import legacy_pin_hash


def draft(**changes) -> ReportDraft:
    values = dict(
        what_happened="ditawari kerja pabrik, bayar 40jt ke calo",
        recruiter_name="Pak Darto",
        recruiter_kind="individual",
        recruiter_phone="+6281234567890",
        location="Kab. Garut",
        consent_to_contact=True,
        anonymous=False,
        reporter_contact="+6289876543210",
    )
    values.update(changes)
    return ReportDraft(**values)


NOW = dt.datetime(2026, 11, 27, 12, 0)


def test_report_is_saved_with_hashed_pin_and_audit_event(database_url: str) -> None:
    with transaction(database_url) as session:
        report, pin = save_report(session, draft(), "high", ["unlicensed_agency"], "telegram", "chat-1", "id", PIN_KEY)
        code = report.case_code
    with transaction(database_url) as session:
        stored = session.execute(select(Report).where(Report.case_code == code)).scalar_one()
        assert stored.pin_hash != pin and pin not in stored.pin_hash
        assert stored.flags == ["unlicensed_agency"] and stored.risk_level == "high"
        events = session.execute(select(ReportEvent).where(ReportEvent.report_id == stored.id)).scalars().all()
        assert [e.kind for e in events] == ["created"]


LIMITS = StatusLimits(max_failures=5, lock_minutes=15, checks_per_hour=100, checks_per_hour_per_address=400)
OWNER = Requester("telegram:1001")


def test_status_with_the_right_pin_shows_status_and_staff_messages(database_url: str) -> None:
    with transaction(database_url) as session:
        report, pin = save_report(
            session, draft(), "high", ["upfront_fee"], "telegram", OWNER.conversation_id, "id", PIN_KEY
        )
        report.status = "escalated"
        report.escalated_to = "KP2MI"
        add_staff_message(session, report, "reviewer1", "Laporanmu sudah kami teruskan ke KP2MI.")
        code = report.case_code
    with transaction(database_url) as session:
        result = check_status(session, code, pin, OWNER, NOW, LIMITS, PIN_KEY)
    assert result.outcome == "ok"
    assert result.view.status == "escalated" and result.view.escalated_to == "KP2MI"
    assert result.view.messages == ("Laporanmu sudah kami teruskan ke KP2MI.",)


def _saved(database_url: str) -> tuple:
    with transaction(database_url) as session:
        report, pin = save_report(session, draft(), "high", [], "telegram", OWNER.conversation_id, "id", PIN_KEY)
        return report.case_code, pin


def _wrong(pin: str) -> str:
    return "000000" if pin != "000000" else "111111"


def _check(database_url: str, code: str, pin: str, who: Requester, at: dt.datetime = NOW) -> str:
    with transaction(database_url) as session:
        return check_status(session, code, pin, who, at, LIMITS, PIN_KEY).outcome


def test_a_report_of_an_earlier_version_gets_the_keyed_hash_at_its_first_right_pin(database_url: str) -> None:
    code, pin = _saved(database_url)
    legacy = legacy_pin_hash(pin)
    with transaction(database_url) as session:
        session.execute(update(Report).where(Report.case_code == code).values(pin_hash=legacy))

    def stored() -> str:
        with transaction(database_url) as session:
            return session.execute(select(Report.pin_hash).where(Report.case_code == code)).scalar_one()

    assert _check(database_url, code, _wrong(pin), OWNER) == "refused"
    assert stored() == legacy  # a wrong PIN changes nothing
    assert _check(database_url, code, pin, OWNER) == "ok"
    assert stored().startswith("hmac-sha256$")
    assert _check(database_url, code, pin, OWNER) == "ok"
    assert _check(database_url, code, _wrong(pin), OWNER) == "refused"


def test_wrong_pins_lock_the_one_guessing_not_the_reporter(database_url: str) -> None:
    code, pin = _saved(database_url)
    guesser = Requester("rest:someone-else", client="address-key-1")
    for _ in range(5):
        assert _check(database_url, code, _wrong(pin), guesser) == "refused"
    # The guesser is paused, even with the right PIN, so guessing gains nothing...
    assert _check(database_url, code, pin, guesser, NOW + dt.timedelta(minutes=5)) == "refused"
    # ...while the reporter, in their own chat, still gets in at once.
    assert _check(database_url, code, pin, OWNER, NOW + dt.timedelta(minutes=5)) == "ok"
    # The pause ends with its window.
    assert _check(database_url, code, pin, guesser, NOW + dt.timedelta(minutes=16)) == "ok"


def test_a_new_sender_name_from_the_same_address_does_not_reset_the_count(database_url: str) -> None:
    code, pin = _saved(database_url)
    for number in range(LIMITS.max_failures * 4):
        _check(database_url, code, _wrong(pin), Requester(f"rest:name-{number}", client="one-address"))
    assert _check(database_url, code, pin, Requester("rest:yet-another", client="one-address")) == "refused"
    assert _check(database_url, code, pin, OWNER) == "ok"


def test_many_foreign_guessers_cannot_lock_the_reporters_own_chat(database_url: str) -> None:
    code, pin = _saved(database_url)
    for number in range(LIMITS.foreign_failures_per_report_per_day):
        assert (
            _check(database_url, code, _wrong(pin), Requester(f"rest:bot-{number}", client=f"a{number}")) == "refused"
        )
    # After that many foreign failures, nobody but the reporter's own chat may try today.
    assert _check(database_url, code, pin, Requester("rest:lucky", client="fresh")) == "refused"
    assert _check(database_url, code, pin, OWNER) == "ok"


def test_unknown_code_wrong_pin_and_lock_give_one_answer(database_url: str) -> None:
    code, pin = _saved(database_url)
    someone = Requester("whatsapp:628111")
    assert _check(database_url, "ZZZZ-9999", "123456", someone) == "refused"
    assert _check(database_url, code, _wrong(pin), someone) == "refused"
    for _ in range(4):
        _check(database_url, code, _wrong(pin), someone)
    assert _check(database_url, code, pin, someone) == "refused"  # locked: the same answer


def test_status_checks_are_rate_limited_per_chat(database_url: str) -> None:
    code, pin = _saved(database_url)
    limits = StatusLimits(max_failures=5, lock_minutes=15, checks_per_hour=3, checks_per_hour_per_address=100)
    outcomes = []
    for _ in range(4):
        with transaction(database_url) as session:
            outcomes.append(check_status(session, code, pin, OWNER, NOW, limits, PIN_KEY).outcome)
    assert outcomes == ["ok", "ok", "ok", "refused"]


def test_unknown_codes_cost_the_same_hashing_as_real_ones(database_url: str, monkeypatch) -> None:
    import bot.storage.reports as reports

    code, pin = _saved(database_url)
    calls = []
    real = reports.verify_pin
    monkeypatch.setattr(
        reports, "verify_pin", lambda given, stored, key: calls.append(stored) or real(given, stored, key)
    )
    _check(database_url, "ZZZZ-9999", "123456", Requester("rest:x"))
    _check(database_url, code, _wrong(pin), Requester("rest:y"))
    _check(database_url, code, "12ab", Requester("rest:z"))
    assert len(calls) == 3  # one PIN hash per check, whatever the outcome
    assert len({stored.split("$")[0] for stored in calls}) == 1  # and of the same kind (same cost)


def test_parallel_wrong_pins_are_all_counted(database_url: str) -> None:
    """Eight guesses at the same moment count as eight (the old read-then-write counted ~1)."""
    import concurrent.futures

    from bot.storage import counters

    code, pin = _saved(database_url)
    guesser = Requester("rest:parallel")

    def guess(_: int) -> str:
        return _check(database_url, code, _wrong(pin), guesser)

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(guess, range(8)))
    assert outcomes == ["refused"] * 8
    with transaction(database_url) as session:
        key = counters.counter_key("status-try", "conversation", guesser.conversation_id)
        assert counters.current(session, key, LIMITS.lock_minutes * 60, NOW) == 8
        wrong_pin_events = session.execute(select(ReportEvent).where(ReportEvent.kind == "wrong_pin")).scalars().all()
        # Only the first five were even checked; the rest were refused unseen.
        assert sum(1 for event in wrong_pin_events if event.detail["checked"]) == LIMITS.max_failures


def test_reports_about_the_same_recruiter_are_linked(database_url: str) -> None:
    with transaction(database_url) as session:
        first, _ = save_report(session, draft(), "high", [], "rest", "a", "id", PIN_KEY)
        same_phone, _ = save_report(session, draft(recruiter_name="Darto"), "high", [], "rest", "b", "id", PIN_KEY)
        close_name, _ = save_report(
            session, draft(recruiter_phone=None, recruiter_name="Pak Dartoo"), "high", [], "rest", "c", "id", PIN_KEY
        )
        other_area, _ = save_report(
            session, draft(recruiter_phone=None, location="Kota Medan"), "high", [], "rest", "d", "id", PIN_KEY
        )
        session.flush()
        assert first.recruiter_id == same_phone.recruiter_id == close_name.recruiter_id
        assert other_area.recruiter_id != first.recruiter_id
        assert reports_about_same_recruiter(session, first) == 3


def test_registry_is_imported_once_into_an_empty_database(database_url: str) -> None:
    ensure_registry(database_url)
    ensure_registry(database_url)
    with transaction(database_url) as session:
        entries = load_registry(session)
    assert len(entries) == 4


def test_old_unkeyed_pin_hashes_are_wrapped_with_the_key_and_still_open_the_report(database_url: str) -> None:
    """After wrapping, a copy of the database alone cannot test a PIN: the stored value needs the key."""
    from bot.reports.codes import needs_wrapping
    from bot.storage.reports import wrap_legacy_pin_hashes

    code, pin = _saved(database_url)
    other_code, other_pin = _saved(database_url)
    with transaction(database_url) as session:
        session.execute(update(Report).where(Report.case_code == code).values(pin_hash=legacy_pin_hash(pin)))
    with transaction(database_url) as session:
        assert wrap_legacy_pin_hashes(session, PIN_KEY, batch=1) == 1
    with transaction(database_url) as session:
        stored = session.execute(select(Report.pin_hash).where(Report.case_code == code)).scalar_one()
        assert wrap_legacy_pin_hashes(session, PIN_KEY) == 0  # nothing left: idempotent
    assert stored.startswith("scrypt-hmac-sha256$") and not needs_wrapping(stored)
    assert not verify_pin(pin, stored, b"another key of 32 bytes........")
    assert _check(database_url, code, _wrong(pin), OWNER) == "refused"
    assert _check(database_url, code, pin, OWNER) == "ok"
    with transaction(database_url) as session:  # re-hashed to the plain keyed hash at the right PIN
        assert (
            session.execute(select(Report.pin_hash).where(Report.case_code == code))
            .scalar_one()
            .startswith("hmac-sha256$")
        )
    assert _check(database_url, other_code, other_pin, OWNER) == "ok"  # untouched rows still work


def test_the_command_wraps_only_with_the_services_key_never_a_new_one(database_url: str, tmp_path, monkeypatch) -> None:
    from bot.kept_secrets import REPORT_PIN_KEY_FILE, report_pin_key
    from bot.manage import main
    from bot.settings import get_settings

    code, pin = _saved(database_url)
    with transaction(database_url) as session:
        session.execute(update(Report).where(Report.case_code == code).values(pin_hash=legacy_pin_hash(pin)))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "fresh-var"))
    monkeypatch.delenv("REPORT_PIN_KEY", raising=False)
    assert main(["wrap-legacy-pins"]) == 2  # a new key here could differ from the services' one
    assert not (tmp_path / "fresh-var" / REPORT_PIN_KEY_FILE).exists()
    monkeypatch.setenv("REPORT_PIN_KEY", "a-report-pin-key-of-enough-length-0123456789")
    assert main(["wrap-legacy-pins"]) == 0
    assert main(["wrap-legacy-pins"]) == 0  # again: nothing left to wrap
    with transaction(database_url) as session:
        stored = session.execute(select(Report.pin_hash).where(Report.case_code == code)).scalar_one()
    services_key = report_pin_key(get_settings())  # what the status check (actions/reports.py) uses
    assert stored.startswith("scrypt-hmac-sha256$") and verify_pin(pin, stored, services_key)
    assert not verify_pin(pin, stored, PIN_KEY)
