"""Web layer: `reminders web`, the owners' and managers' pages (PRODUCT.md §4, §6).

Owns the Starlette app: action pages reached from signed links in emails (mark complete, report
progress, ask for an extension), extension approval for managers, the read-only plan dashboard,
`/healthz` and Prometheus `/metrics`. A GET never changes anything (mail scanners prefetch
links); changes are POSTs with a CSRF token and a one-time form key. May import every layer
below `service`; nothing imports it but the CLI.
"""
