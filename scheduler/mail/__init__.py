"""Mail layer: turning notice views into messages and handing them over.

Owns the Jinja2 renderer and the one message builder (notices, summary, send-test), calendar
entries, and the transports (SMTP, file outbox, in-memory) that implement `engine.ports`.
May import `config`, `store` and `engine`.
"""
