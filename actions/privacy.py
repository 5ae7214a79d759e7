""" "Hapus data saya" / "delete my data": say what is deleted, ask to confirm, then erase.

The flow (stories/rules.yml):
1. erase_my_data -> action_ask_erase_my_data: what goes (this conversation, the data not linked
   to a report), what stays (reports already sent, whose code and PIN still work), and the
   buttons "Ya, hapus" (/affirm) and "Batal" (/deny). Asked during a form, the question ends the
   form and remembers it (slot erase_resume_form): the form's next question must not take the
   "ya" or "batal" meant for the erasure question as its answer.
2. affirm -> action_erase_my_data (bot.intents.ERASE_DATA_ACTION): deletes the app data of this
   chat that no report needs (bot/privacy/erasure.py), replies, and restarts the conversation.
   The stored conversation is deleted by the tracker store when it sees this action's
   ActionExecuted among the turn's events (bot/storage/tracker_store.py), so nothing here
   touches the tracker rows. A draft report that was being filled in is gone with the rest.
3. deny or cancel -> action_erase_cancelled: "nothing was deleted", and an interrupted form
   goes on where it was: "Batal" cancels the erasure, not the report the user was writing.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import reply_language, send, ui_text
from bot.intents import ERASE_DATA_ACTION
from bot.privacy.erasure import erase_unlinked_data
from bot.replies import BotMessage, Button
from bot.safe_logging import error_summary
from bot.settings import get_settings
from bot.storage.db import transaction

logger = logging.getLogger(__name__)

ASK_ERASE_ACTION = "action_ask_erase_my_data"
ERASE_CANCELLED_ACTION = "action_erase_cancelled"
RESUME_SLOT = "erase_resume_form"
REQUESTED_SLOT = "requested_slot"


def _active_loop(tracker: Tracker) -> Optional[str]:
    return (tracker.active_loop or {}).get("name") or None


def _asked_just_before(tracker: Tracker) -> bool:
    """Whether the bot's last action before this message was the erasure question (the user
    asked again instead of answering it)."""
    seen_user = False
    for event in reversed(tracker.events or []):
        kind = event.get("event")
        if kind == "user":
            if seen_user:
                return False
            seen_user = True
        elif seen_user and kind == "action" and event.get("name") != "action_listen":
            return event.get("name") == ASK_ERASE_ACTION
    return False


def form_to_resume(tracker: Tracker) -> Optional[str]:
    """The form to bring back after "Batal": the one active now, or, when the user repeats the
    request while the question stands, the one the first question interrupted."""
    active = _active_loop(tracker)
    if active:
        return active
    return tracker.get_slot(RESUME_SLOT) if _asked_just_before(tracker) else None


class ActionAskEraseMyData(Action):
    def name(self) -> Text:
        return ASK_ERASE_ACTION

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        language = reply_language(tracker)
        ui = ui_text()
        resume = form_to_resume(tracker)
        text = ui.get("erase_question", language)
        if resume:
            text = f"{ui.get('erase_unsent_note', language)}\n\n{text}"
        send(
            dispatcher,
            tracker,
            [
                BotMessage(
                    text,
                    buttons=(
                        Button(ui.get("erase_button_yes", language), "/affirm"),
                        Button(ui.get("erase_button_no", language), "/deny"),
                    ),
                )
            ],
            language,
        )
        events: List[Dict[Text, Any]] = []
        if _active_loop(tracker):
            # What action_deactivate_loop does: the form stops asking until "Batal" brings it back.
            events += [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]
        if tracker.get_slot(RESUME_SLOT) != resume:
            events.append(SlotSet(RESUME_SLOT, resume))
        return events


class ActionEraseMyData(Action):
    """Confirmed: delete, say so, start afresh. Returns [Restarted()] whatever happened to the app
    data: the tracker store deletes the conversation because this action ran, so the reply must
    not pretend otherwise, and the user's next message starts a new conversation."""

    def name(self) -> Text:
        return ERASE_DATA_ACTION

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        language = reply_language(tracker)
        ui = ui_text()
        channel = (tracker.get_latest_input_channel() or "rest")[:30]
        try:
            with transaction() as session:
                result = erase_unlinked_data(session, tracker.sender_id, channel)
        except SQLAlchemyError as error:
            # Handled inbox rows hold no message text and go with the retention policy anyway.
            logger.error("erasure: the app data could not be deleted now: %s", error_summary(error))
            text = ui.get("erase_partial", language).format(days=get_settings().retention_conversation_days)
        else:
            logger.info(
                "erasure: done (%d inbox rows; %d reports kept)", result.inbox_rows_deleted, result.reports_kept
            )
            text = ui.get("erase_done", language)
        send(dispatcher, tracker, [BotMessage(text)], language)
        return [Restarted()]


class ActionEraseCancelled(Action):
    """ "Batal": nothing deleted; the interrupted form (if any) asks its next question again."""

    def name(self) -> Text:
        return ERASE_CANCELLED_ACTION

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        language = reply_language(tracker)
        resume = tracker.get_slot(RESUME_SLOT)
        forms = (domain or {}).get("forms") or {}
        resume = resume if resume in forms else None
        key = "erase_cancelled_resume" if resume else "erase_cancelled"
        send(dispatcher, tracker, [BotMessage(ui_text().get(key, language))], language)
        events: List[Dict[Text, Any]] = []
        if tracker.get_slot(RESUME_SLOT) is not None:
            events.append(SlotSet(RESUME_SLOT, None))
        if resume:
            # Running the form activates it again: it keeps the answers given so far and asks
            # the next question.
            events.append(FollowupAction(resume))
        return events
