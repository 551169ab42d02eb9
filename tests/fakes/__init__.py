"""Fake servers of the platforms the bot talks to, on 127.0.0.1."""
