"""The resolution as data and the question-answering module. Imports nothing from Telegram."""
