"""Deadline-reminder scheduler for inspection improvement plans."""

__version__ = "0.1.0"
