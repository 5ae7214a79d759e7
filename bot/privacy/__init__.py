"""Privacy by design (UU 27/2022 on personal data protection).

- retention.py: what is kept how long, applied by `python -m bot.manage retention` and by the
  maintenance process (maintenance.py, started by bot/serve.py): unlinked conversations and
  handled inbox rows go after RETENTION_CONVERSATION_DAYS, closed reports lose their personal
  data after RETENTION_CLOSED_REPORT_DAYS, and every run is recorded in the audit log.
- erasure.py: "hapus data saya" in the chat (actions/privacy.py): this user's data that is not
  linked to a report. Their stored conversation is deleted by the tracker store
  (bot/storage/tracker_store.py) when it sees the erasure action.
"""
