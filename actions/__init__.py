"""Rasa custom actions: thin wrappers that read the tracker, call plain functions in ``bot``
and send the resulting messages. Run with ``python -m rasa_sdk --actions actions``."""
