"""Plain-Python domain logic: takes a SQLAlchemy session, returns data. No Telegram here."""
