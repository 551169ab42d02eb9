"""The staff console: server-rendered pages for coordinators and the council, under /console."""

from padome.console.pages import Console

__all__ = ["Console"]
