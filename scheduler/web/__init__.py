"""Web layer: `reminders web`, the owners' and managers' pages (PRODUCT.md §4, §6).

Owns the Starlette app (`server`): action pages reached from signed links in emails (`actions`,
whose forms are in `forms`: owners complete, report progress, ask for more time; managers record a
follow-up and decide a pending extension), extension approval (`approvals`), the read-only plan
dashboard (`dashboard`), `/healthz` and Prometheus `/metrics` (`metrics`). `guard` caps bodies and
adds security headers, `access` checks links and CSRF, `state` holds the App, its clock and the
config it re-reads, `notify` queues and sends the emails a request triggers (ledger notices).
A GET never changes anything (mail scanners prefetch links); every change is a POST that calls one
store operation. May import every layer below `service`; nothing imports it but the CLI.
"""
