"""Text renderers shared by the bot and the command line: domain results in, Vietnamese HTML out.

views imports domain and the standard library only; never Telegram.
"""
