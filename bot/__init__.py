"""Padome: the chat assistant of a municipal residents' council."""
