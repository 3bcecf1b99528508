"""What a person typed into a form the app refused, so the same page shows it again: nothing a user
entered is lost (house rule). The page's forms read it as `kept("extend", "reason")`; after a
success, or on a plain GET, it is empty, so nothing is prefilled.

Only the typed fields are kept (never the CSRF token or the one-time form key: the page carries
fresh ones), cleaned of control and bidi characters like everything the web takes in; line breaks
stay, so a note comes back as it was typed. Files cannot be refilled by a browser: the upload
refusals say to choose them again.
"""

from __future__ import annotations

from scheduler.config.text import strip_unsafe

TYPED = ("note", "reason", "evidence", "links", "proposed_due", "rag", "decision")


class Kept:
    """The typed fields of one refused form (`do` names it); callable from the templates."""

    def __init__(self, form: dict | None = None, do: str | None = None):
        form = form or {}
        self.do = str(do if do is not None else form.get("do", ""))
        self.fields = {k: strip_unsafe(str(form[k])) for k in TYPED if isinstance(form.get(k), str)}

    def __call__(self, do: str, field: str) -> str:
        """Return what was typed into `field` of form `do`: "" for another form, or when nothing was refused."""
        return self.fields.get(field, "") if do == self.do else ""

    def chose(self, do: str, field: str, value: str) -> bool:
        """Return True when the refused form `do` had `value` chosen in `field` (a radio button)."""
        return bool(value) and self(do, field) == value


NOTHING = Kept()
