"""The report form (collect, confirm, save) and the status check with case code and PIN."""

from __future__ import annotations

import logging
from typing import Any, Callable, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import (
    client_key,
    knowledge,
    latest_text,
    reply_language,
    report_texts,
    send,
    send_response,
    utter_bot_message,
    warn_if_cut,
)
from actions.offers import OFFER_SLOT, assess_text, offer_check_messages
from bot.kept_secrets import report_pin_key
from bot.recruitment.extract import extract_offer_facts
from bot.recruitment.money import approximate_idr
from bot.recruitment.risk import FLAG_CODES, risk_level
from bot.recruitment.routing import describes_offer, offer_signals, tells_story
from bot.replies import BotMessage, Button, answer_reply
from bot.reports import answers
from bot.reports.answers import clean_text
from bot.reports.codes import find_case_code, find_pin
from bot.reports.draft import FORM_SLOTS, OPTIONAL_SLOTS, ReportDraft, required_slots
from bot.reports.texts import edit_target, status_label, summary
from bot.responses import Responses, domain_responses, response_text
from bot.safe_logging import error_summary
from bot.settings import get_settings
from bot.storage.db import transaction
from bot.storage.models import utcnow
from bot.storage.reports import FilingLimits, Requester, StatusLimits, check_status, may_file_report, save_report

logger = logging.getLogger(__name__)
CONFIRM_SLOT = "report_confirm"
URGENT_SLOT = "report_urgent"
MONEY_IDR_SLOT = "report_money_idr"
EMERGENCY_SENT_SLOT = "emergency_sent"
ALL_REPORT_SLOTS = (
    *FORM_SLOTS,
    CONFIRM_SLOT,
    URGENT_SLOT,
    MONEY_IDR_SLOT,
    EMERGENCY_SENT_SLOT,
    OFFER_SLOT,
    "offer_level",
)


def _emergency_messages(language: str) -> List[BotMessage]:
    return [BotMessage(report_texts().text("emergency", language))]


class ActionEmergency(Action):
    """Danger now: the emergency contacts at once, and any report from this conversation is urgent."""

    def name(self) -> Text:
        return "action_emergency"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        language = reply_language(tracker)
        messages = _emergency_messages(language)
        events: List[Dict[Text, Any]] = []
        if tracker.active_loop.get("name") != "report_form":
            # Outside a report: also the full help answer, the check of what the user described
            # (kept for the report), and a button to report.
            messages = [*messages, *answer_reply(knowledge(), "emergency_help", language)]
            text = clean_text(latest_text(tracker))
            if describes_offer(offer_signals(text, extract_offer_facts(text))):
                # The contacts were just given: only the flags, not the level's contacts again.
                assessment, check = offer_check_messages(text, language, offer_report=False, brief=True)
                messages += check
                events += [SlotSet(OFFER_SLOT, text), SlotSet("offer_level", assessment.level)]
            texts = report_texts()
            messages.append(
                BotMessage(
                    texts.text("offer_report_question", language),
                    buttons=(
                        Button(texts.text("button_report", language), "/report_recruiter"),
                        Button(texts.text("button_no_thanks", language), "/deny"),
                    ),
                )
            )
        send(dispatcher, tracker, messages, language)
        return [
            *events,
            SlotSet(URGENT_SLOT, True),
            SlotSet(EMERGENCY_SENT_SLOT, True),
            SlotSet("last_answer", "emergency_help"),
        ]


class ActionStartReport(Action):
    """Before the form: take what the user already told us, so it is not asked again: the story in
    the report request itself ("mau lapor, udah bayar 30jt ke sponsor tapi ga berangkat"), checked
    at once, or else an offer they checked earlier."""

    def name(self) -> Text:
        return "action_start_report"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        language = reply_language(tracker)
        texts = report_texts()
        messages = [BotMessage(texts.text("report_intro", language))]
        events: List[Dict[Text, Any]] = []
        text = clean_text(latest_text(tracker))
        story = None
        if tells_story(text):
            story = text
            assessment, check = offer_check_messages(text, language, offer_report=False)
            messages = [*check, *messages]
            events += [SlotSet(OFFER_SLOT, text), SlotSet("offer_level", assessment.level)]
        elif not tracker.get_slot("report_what_happened"):
            story = tracker.get_slot(OFFER_SLOT)
        send(dispatcher, tracker, messages, language)
        if story:
            events += story_slots(story)
        return events


def story_slots(story: str) -> List[Dict[Text, Any]]:
    """Every report answer the story already gives: what happened, who, their phone, the money,
    and urgency when it shows danger."""
    facts = extract_offer_facts(story)
    events: List[Dict[Text, Any]] = [SlotSet("report_what_happened", story)]
    if facts.agencies:
        events.append(SlotSet("report_recruiter_name", facts.agencies[0].name))
        events.append(SlotSet("report_recruiter_kind", "lpk" if facts.agencies[0].kind in ("lpk", "so") else "company"))
    elif facts.individual_recruiter:
        events.append(SlotSet("report_recruiter_kind", "individual"))
    if facts.phones:
        events.append(SlotSet("report_recruiter_phone", facts.phones[0]))
    if facts.fees:
        # Fees only: a promised salary or a threatened penalty in the story is no money paid.
        events.append(SlotSet("report_money", story[facts.fees[0].start : facts.fees[-1].end][:300]))
        events.append(SlotSet(MONEY_IDR_SLOT, float(max(approximate_idr(fee) for fee in facts.fees))))
    if facts.trafficking:
        events.append(SlotSet(URGENT_SLOT, True))
    return events


class ActionAskReportConfirm(Action):
    """The form's last question: the report as it will be saved, with buttons to send it, change a
    part or cancel (the other questions are domain.yml's utter_ask_report_* responses)."""

    def name(self) -> Text:
        return "action_ask_report_confirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        message = summary(report_texts(), tracker.current_slot_values(), reply_language(tracker))
        # Not send(): the answer that led here was already warned about if it was cut (the validator).
        utter_bot_message(dispatcher, message)
        return []


class ValidateReportForm(FormValidationAction):
    """Checks each answer, re-asks helpfully, lets the user skip, correct and edit before saving."""

    def name(self) -> Text:
        return "validate_report_form"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        return [*required_slots(tracker.current_slot_values()), CONFIRM_SLOT]

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        # The next question is a domain response, which cannot say this itself.
        warn_if_cut(dispatcher, tracker, reply_language(tracker))
        events = await super().run(dispatcher, tracker, domain)
        # Signs of danger in any answer: emergency contacts now, and the report becomes urgent.
        text = latest_text(tracker)
        if text and extract_offer_facts(text).trafficking and not tracker.get_slot(EMERGENCY_SENT_SLOT):
            language = reply_language(tracker)
            send(dispatcher, tracker, _emergency_messages(language), language)
            events += [SlotSet(URGENT_SLOT, True), SlotSet(EMERGENCY_SENT_SLOT, True)]
        return events

    # --- shared steps -------------------------------------------------------------------------
    def _reask(self, dispatcher: CollectingDispatcher, tracker: Tracker, key: str) -> None:
        dispatcher.utter_message(text=report_texts().reports["reasks"][key][reply_language(tracker)])

    def _common(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Optional[Dict[Text, Any]]:
        """Skip and correction work the same for every question; None means "validate normally"."""
        if value is not None and not isinstance(value, str):
            # Already read (a yes/no stored as a boolean): re-validation on re-activation keeps it.
            return {slot: value}
        text = str(value or "")
        if answers.is_correction(text):
            order = [s for s in required_slots(tracker.current_slot_values()) if s != slot]
            filled_before = [s for s in FORM_SLOTS[: FORM_SLOTS.index(slot)] if s in order]
            dispatcher.utter_message(text=report_texts().text("correction_previous", reply_language(tracker)))
            return {slot: None, **({filled_before[-1]: None} if filled_before else {})}
        if answers.is_skip(text):
            if slot in OPTIONAL_SLOTS:
                return {slot: answers.SKIPPED}
            self._reask(dispatcher, tracker, "required")
            return {slot: None}
        return None

    # --- one validator per question ------------------------------------------------------------
    def _parsed(
        self,
        slot: str,
        value: Any,
        parser: Callable[[Any], Any],
        reask: str,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> Dict[Text, Any]:
        """Skip/correction first, then the answer's parser; None from the parser means "ask again"."""
        common = self._common(slot, value, dispatcher, tracker)
        if common is not None:
            return common
        parsed = parser(value)
        if parsed is None:
            self._reask(dispatcher, tracker, reask)
        return {slot: parsed}

    # Questions whose answer is just parsed (the last argument: the re-ask text when it cannot be read).
    def validate_report_what_happened(self, value, dispatcher, tracker, domain):
        return self._parsed(
            "report_what_happened", value, answers.parse_story, "report_what_happened", dispatcher, tracker
        )

    def validate_report_recruiter_kind(self, value, dispatcher, tracker, domain):
        return self._parsed(
            "report_recruiter_kind", value, answers.parse_recruiter_kind, "report_recruiter_kind", dispatcher, tracker
        )

    def validate_report_recruiter_phone(self, value, dispatcher, tracker, domain):
        return self._parsed(
            "report_recruiter_phone", value, answers.parse_phone_answer, "report_recruiter_phone", dispatcher, tracker
        )

    def validate_report_location(self, value, dispatcher, tracker, domain):
        return self._parsed("report_location", value, answers.parse_place_name, "report_location", dispatcher, tracker)

    def validate_report_reporter_location(self, value, dispatcher, tracker, domain):
        return self._parsed(
            "report_reporter_location",
            value,
            answers.parse_reporter_location,
            "report_reporter_location",
            dispatcher,
            tracker,
        )

    def validate_report_consent_contact(self, value, dispatcher, tracker, domain):
        return self._parsed("report_consent_contact", value, answers.parse_yes_no, "yes_no", dispatcher, tracker)

    def validate_report_anonymous(self, value, dispatcher, tracker, domain):
        return self._parsed("report_anonymous", value, answers.parse_yes_no, "yes_no", dispatcher, tracker)

    def validate_report_contact(self, value, dispatcher, tracker, domain):
        return self._parsed("report_contact", value, answers.parse_phone_answer, "report_contact", dispatcher, tracker)

    # Questions with more to them than parsing.
    def validate_report_recruiter_name(self, value, dispatcher, tracker, domain):
        return self._parsed(
            "report_recruiter_name",
            value,
            answers.parse_recruiter_name,
            "required",
            dispatcher,
            tracker,
        )

    def validate_report_money(self, value, dispatcher, tracker, domain):
        result = self._parsed("report_money", value, answers.parse_money_answer, "report_money", dispatcher, tracker)
        parsed = result.get("report_money")
        if isinstance(parsed, tuple):
            text, idr = parsed
            return {"report_money": text, MONEY_IDR_SLOT: float(idr) if idr is not None else None}
        return result

    def validate_report_documents(self, value, dispatcher, tracker, domain):
        if isinstance(value, str) and answers.parse_yes_no(value) is False:
            return {"report_documents": answers.SKIPPED}
        return self._parsed(
            "report_documents", value, lambda v: answers.clean_text(v)[:300] or None, "required", dispatcher, tracker
        )

    def validate_report_reporter_safe(self, value, dispatcher, tracker, domain):
        result = self._parsed("report_reporter_safe", value, answers.parse_yes_no, "yes_no", dispatcher, tracker)
        if result.get("report_reporter_safe") is False:
            result[URGENT_SLOT] = True
            if not tracker.get_slot(EMERGENCY_SENT_SLOT):
                language = reply_language(tracker)
                send(dispatcher, tracker, _emergency_messages(language), language)
                result[EMERGENCY_SENT_SLOT] = True
        return result

    def validate_report_confirm(self, value, dispatcher, tracker, domain):
        text = str(value or "")
        target = edit_target(text, FORM_SLOTS)
        if target:
            return {target: None, CONFIRM_SLOT: None}
        if text.strip().lower() in ("send", "kirim") or answers.parse_yes_no(text) is True:
            return {CONFIRM_SLOT: "send"}
        if answers.is_correction(text):
            # Which part? The summary's buttons say; show it again.
            return {CONFIRM_SLOT: None}
        self._reask(dispatcher, tracker, "yes_no")
        return {CONFIRM_SLOT: None}


def _clear_report_slots() -> List[Dict[Text, Any]]:
    return [SlotSet(slot, None) for slot in ALL_REPORT_SLOTS]


class ActionSubmitReport(Action):
    """Saves the report in one transaction, and only then tells the user it is saved."""

    def name(self) -> Text:
        return "action_submit_report"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        language = reply_language(tracker)
        texts = report_texts()
        slots = tracker.current_slot_values()
        draft = ReportDraft.from_slots(slots)
        try:
            assessment = assess_text(draft.assessment_text())
            flags = set(assessment.flags)
            if draft.urgent:
                flags.add("trafficking_signs")
            if draft.recruiter_kind == "individual":
                flags.add("unlicensed_agency")
            ordered = [code for code in FLAG_CODES if code in flags]
            level = risk_level(ordered)
            channel = (tracker.get_latest_input_channel() or "rest")[:30]
            consent = consent_record(domain_responses(), texts, slots, language)
            with transaction() as session:
                if not may_file_report(
                    session, requester(tracker), utcnow(), FilingLimits.from_settings(get_settings())
                ):
                    limited = True
                else:
                    limited = False
                    report, pin = save_report(
                        session,
                        draft,
                        level,
                        ordered,
                        channel,
                        tracker.sender_id,
                        language,
                        report_pin_key(get_settings()),
                        consent_text=consent,
                        consent_at=utcnow(),
                    )
                    code = report.case_code
        except (SQLAlchemyError, OSError) as error:
            # Nothing personal in the log; the answers stay in the slots so the user can retry.
            logger.error("report: saving failed; the reporter was asked to retry: %s", error_summary(error))
            send(
                dispatcher,
                tracker,
                [
                    BotMessage(
                        texts.text("save_failed", language),
                        buttons=(
                            Button(texts.text("button_retry", language), "/report_recruiter"),
                            Button(texts.text("button_cancel", language), "/cancel"),
                        ),
                    )
                ],
                language,
            )
            return [SlotSet(CONFIRM_SLOT, None)]
        if limited:
            # Nothing saved, nothing lost: the answers stay in the slots for a later "Kirim".
            logger.warning("report: a chat went over the daily report limit")
            send(dispatcher, tracker, [BotMessage(texts.text("report_limit", language))], language)
            return [SlotSet(CONFIRM_SLOT, None)]
        logger.info("report: saved a %s report", level)
        payload = {"type": "risk_assessment", "level": level, "flags": ordered, "case_code": code}
        send(
            dispatcher,
            tracker,
            [BotMessage(texts.text("saved", language, code=code, pin=pin), custom=payload)],
            language,
        )
        return _clear_report_slots()


def consent_record(responses: Responses, texts: Any, slots: Dict[str, Any], language: str) -> Optional[str]:
    """The contact question exactly as the reporter saw it (domain.yml's response in their
    language), with their answer (UU 27/2022: the consent must be provable); None when the question
    was not asked."""
    answer = slots.get("report_consent_contact")
    if not isinstance(answer, bool):
        return None
    label = texts.reports["choices"]["yes_no"]["/affirm" if answer else "/deny"][language]
    return f"{response_text(responses, 'utter_ask_report_consent_contact', language)} → {label}"


def requester(tracker: Tracker) -> Requester:
    """Who is asking, for the limits: their conversation, and on REST their address key."""
    return Requester(tracker.sender_id, client_key(tracker))


class ActionReportCancelled(Action):
    """Cancelled: say so and forget every answer (nothing was saved)."""

    def name(self) -> Text:
        return "action_report_cancelled"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        send_response(dispatcher, tracker, "utter_report_cancelled")
        return [*_clear_report_slots(), SlotSet("status_case_code", None), SlotSet("status_pin", None)]


# --- status check -------------------------------------------------------------------------------
class ActionPrefillStatus(Action):
    """ "cek status laporan K7QX-4M2P 482913": take the code (and PIN) from the same message."""

    def name(self) -> Text:
        return "action_prefill_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        text = latest_text(tracker)
        return [SlotSet("status_case_code", find_case_code(text)), SlotSet("status_pin", find_pin(text))]


class ValidateStatusForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_status_form"

    # None is no answer yet (action_prefill_status found nothing in "cek status laporan"): the form
    # then asks for it; only an answer that is not a code or PIN is told what one looks like.
    def validate_status_case_code(self, value, dispatcher, tracker, domain):
        code = find_case_code(str(value or ""))
        if code is None and value is not None:
            dispatcher.utter_message(text=report_texts().text("status_bad_code", reply_language(tracker)))
        return {"status_case_code": code}

    def validate_status_pin(self, value, dispatcher, tracker, domain):
        pin = find_pin(str(value or ""))
        if pin is None and value is not None:
            dispatcher.utter_message(text=report_texts().text("status_bad_pin", reply_language(tracker)))
        return {"status_pin": pin}


class ActionShowStatus(Action):
    """The status and staff messages, only with the right PIN; a wrong PIN shows nothing."""

    def name(self) -> Text:
        return "action_show_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        language = reply_language(tracker)
        texts = report_texts()
        settings = get_settings()
        code, pin = tracker.get_slot("status_case_code"), tracker.get_slot("status_pin")
        clear = [SlotSet("status_case_code", None), SlotSet("status_pin", None)]
        try:
            with transaction() as session:
                result = check_status(
                    session,
                    code or "",
                    pin or "",
                    requester(tracker),
                    utcnow(),
                    StatusLimits.from_settings(settings),
                    report_pin_key(settings),
                )
        except (SQLAlchemyError, OSError) as error:  # OSError: the kept PIN key cannot be read
            logger.error("status: lookup failed: %s", error_summary(error))
            send(dispatcher, tracker, [BotMessage(texts.text("save_failed", language))], language)
            return clear
        if result.outcome != "ok" or result.view is None:
            message = texts.text("status_refused", language)
        else:
            view = result.view
            lines = [
                texts.text(
                    "status_line",
                    language,
                    code=view.case_code,
                    status=status_label(texts, view.status, view.escalated_to, language),
                )
            ]
            if view.messages:
                lines.append(texts.text("status_messages_header", language))
                lines.extend(f"• {body}" for body in view.messages[-3:])
            else:
                lines.append(texts.text("status_no_messages", language))
            message = "\n".join(lines)
        send(dispatcher, tracker, [BotMessage(message)], language)
        return clear
