"""Service layer: the long-running `reminders run` (PRODUCT.md §6).

Owns the daemon's jobs (daily run, catch-up, retry check, tick, weekly summary), its APScheduler
triggers, heartbeats and health, and logging setup. Jobs take the clock and everything else from
the `app`; nothing here reads the wall clock itself. May import every layer but `cli`.
"""
