"""What the handlers of `reminders web` share: the App and its clock, sessions, signed links and
form keys, and the config, re-read when its files change (the daemon's stat check, at most every
`CONFIG_CHECK_SECONDS`), so an edit plus `reminders sync` takes effect without a restart."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from contextlib import contextmanager

from itsdangerous import BadSignature, URLSafeTimedSerializer

from scheduler.config.files import file_signature
from scheduler.engine.links import Links, signer_on

log = logging.getLogger("scheduler.web")
CONFIG_CHECK_SECONDS = 2.0
FORM_KEY_SECONDS = 2 * 86400  # a page left open for a day can still be submitted


class ConfigWatch:
    """Re-reads the config folder when its files change; an invalid edit keeps the last valid config."""

    def __init__(self, app, every: float = CONFIG_CHECK_SECONDS):
        self.app, self.every = app, every
        self.signature = file_signature(app.config_dir)
        self.checked = time.monotonic()
        self.lock = threading.Lock()

    def current(self):
        """Return the config, re-read first when the check is due and a file changed."""
        if time.monotonic() - self.checked >= self.every and self.lock.acquire(blocking=False):
            try:
                self._reload()
            finally:
                self.lock.release()
        return self.app.config

    def _reload(self) -> None:
        from scheduler.config.model import ConfigErrors

        self.checked = time.monotonic()
        signature = file_signature(self.app.config_dir)
        if signature == self.signature:
            return
        self.signature = signature
        try:
            config = self.app.load_config(cached=True)
        except ConfigErrors as exc:
            log.error("config edit rejected; the web app keeps the last valid config: %s", exc)
            return
        self.app.config = config
        log.info("config reloaded (%s)", config.fingerprint)


class Web:
    """The App, its clock and config, signed links and form keys, for every handler."""

    def __init__(self, app, config_check_seconds: float = CONFIG_CHECK_SECONDS):
        self.app = app
        self.clock = app.clock
        app.link_clock = self.clock.now  # links made and checked here follow the App's clock
        app._renderer = None  # so the renderer's links do too
        secret = app.settings.secret_key.get_secret_value()
        self.links: Links = app.links
        self.forms = URLSafeTimedSerializer(secret, salt="improvement-plan-reminders/forms",
                                            signer=signer_on(self.clock.now))  # fmt: skip
        self.secure = str(app.settings.base_url or "").startswith("https://")
        self.watch = ConfigWatch(app, config_check_seconds)
        app.config  # loaded here, so never lazily by a handler on the event loop  # noqa: B018

    @property
    def config(self):
        """The current valid config."""
        return self.watch.current()

    def now(self):
        """The App clock's current instant."""
        return self.clock.now()

    @contextmanager
    def session(self):
        """Yield one database session for one request; closed (rolled back if not committed) after."""
        with self.app.session() as session:
            yield session

    def form_key(self, subject: str) -> str:
        """Return a one-time key for a form about `subject`, signed here (a key made up elsewhere fails)."""
        return self.forms.dumps([str(subject), secrets.token_urlsafe(9)])

    def form_key_ok(self, key: str, subject: str) -> bool:
        """Return True when `key` was issued here, recently, for a form about `subject`."""
        try:
            data = self.forms.loads(key, max_age=FORM_KEY_SECONDS)
        except BadSignature:
            return False
        return isinstance(data, list) and len(data) == 2 and data[0] == str(subject)

    def max_link_days(self) -> int:
        """The longest `link_valid_days` of any plan in the config loaded last (each plan's own limit is
        checked after). It runs on the event loop (a link is checked before a body is read), so it
        never re-reads an edited config: that is `config`'s work, in the thread pool."""
        return max((p.policy.link_valid_days for p in self.app.config.plans.values()), default=60)
