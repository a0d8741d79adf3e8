"""Thin Telegram handlers: parse the update, call a domain function, render the reply.

Each feature module exposes `register(app)`; bot.app registers them in a documented order.
"""
