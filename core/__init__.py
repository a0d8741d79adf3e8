"""The shared runtime at the bottom: settings and the services object every layer may import.

core imports only db (and the standard library); nothing in core knows about Telegram handlers,
the scheduler or the command line.
"""
