"""The legal-migration guidance assistant: app wiring, shared logic and channel adapters."""
