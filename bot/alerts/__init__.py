"""Staff alerts: urgent and high reports announced in the staff Telegram chat.

``outbox`` holds the database side (written with the report, read by the notifier), ``summary``
the text staff read, ``notifier`` the process that sends them (``python -m bot.alerts.notifier``).
Nothing here imports python-telegram-bot except the notifier, so saving a report stays light.
"""
