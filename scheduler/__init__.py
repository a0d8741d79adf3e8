"""Reminders and digests through PTB's JobQueue and an outbox (built by the scheduler issue)."""
