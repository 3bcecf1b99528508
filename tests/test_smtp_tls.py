"""SMTP with STARTTLS and AUTH against a real aiosmtpd server with a certificate made for the test;
certificate verification stays on; the password never reaches the output."""

from __future__ import annotations

import json
import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.conftest import SmtpSink, free_port

PASSWORD = "s3cret-Pa55word"


@pytest.fixture
def tls_server(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"reminders" and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535

    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_require_tls=True)  # fmt: skip
    controller.start()
    yield sink, controller.port, cert
    controller.stop()


def smtp_env(port, **extra):
    return {"EMAIL_BACKEND": "smtp", "SMTP_HOST": "localhost", "SMTP_PORT": str(port), "SMTP_SECURITY": "starttls",
            "SMTP_USERNAME": "reminders", "SMTP_PASSWORD": PASSWORD, "SMTP_TIMEOUT": "5", **extra}  # fmt: skip


def test_starttls_with_verified_certificate_and_login(cli_subprocess, tls_server):
    sink, port, cert = tls_server
    result = cli_subprocess("send-test", "qa@example.org", extra_env=smtp_env(port, SSL_CERT_FILE=str(cert)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("test message sent to qa@example.org via smtp")
    assert [r for r, _ in sink.parsed()] == [["qa@example.org"]]


def test_untrusted_certificate_is_refused(cli_subprocess, tls_server):
    _sink, port, _cert = tls_server
    result = cli_subprocess("send-test", "qa@example.org", extra_env=smtp_env(port))
    assert result.returncode == 1
    assert ("test message not delivered (smtp): the certificate of localhost is not trusted: self-signed "
            "certificate; install the CA or fix SMTP_HOST") in result.stderr  # fmt: skip


def test_wrong_password_is_reported_without_the_password(cli_subprocess, tls_server):
    _sink, port, cert = tls_server
    env = smtp_env(port, SSL_CERT_FILE=str(cert), SMTP_PASSWORD="wrong-" + PASSWORD)
    result = cli_subprocess("send-test", "qa@example.org", extra_env=env)
    assert result.returncode == 1
    assert "SMTP login as 'reminders' refused: 535" in result.stderr
    sync = cli_subprocess("sync", "--now", "2009-11-24T08:00", extra_env=env)
    assert sync.returncode == 0
    run = cli_subprocess("run", "--once", "--now", "2009-11-24T09:00", extra_env=env)
    assert run.returncode == 1 and "12 to retry" in run.stdout
    # A misconfiguration stops delivery at once and burns no attempts: the notices wait for the fix.
    assert "; delivery stopped: SMTP login as 'reminders' refused: 535; check SMTP_USERNAME" in run.stdout
    rows = json.loads(cli_subprocess("notices", "--format", "json", extra_env=env).stdout)
    assert {(r["state"], r["attempts"]) for r in rows if r["stage"] == "assigned"} == {("retry", 0)}
    for text in (result.stdout, result.stderr, run.stdout, run.stderr, cli_subprocess("--help").stdout):
        assert PASSWORD not in text


def test_send_test_bad_address_is_exit_2(cli_subprocess):
    result = cli_subprocess("send-test", "not-an-address")
    assert result.returncode == 2
    assert "Error: EMAIL 'not-an-address': An email address must have an @-sign." in result.stderr


def test_health_when_database_unreachable(cli_subprocess):
    result = cli_subprocess(
        "health", extra_env={"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/none"}
    )
    assert result.returncode == 1
    assert result.stderr.startswith("unhealthy: database unreachable")


def test_every_bad_environment_setting_is_reported_at_once_exit_2(cli_subprocess):
    bad = {"SMTP_PORT": "smtp", "SMTP_SECURITY": "tls", "EMAIL_BACKEND": "sendmail", "SMTP_TIMEOUT": "abc",
           "LOG_FORMAT": "xml", "MAIL_FROM": "reminders@example.org\r\nBcc: x@example.org"}  # fmt: skip
    result = cli_subprocess("status", extra_env=bad)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "Error: 6 bad settings in the environment:",
        "  - EMAIL_BACKEND='sendmail': not an allowed value; use smtp or file",
        "  - SMTP_PORT='smtp': not a whole number; a port number from 1 to 65535, e.g. SMTP_PORT=587",
        "  - SMTP_SECURITY='tls': not an allowed value; use starttls, ssl or none",
        "  - SMTP_TIMEOUT='abc': not a number; seconds, a number above 0 and at most 600, e.g. SMTP_TIMEOUT=30",
        "  - MAIL_FROM='reminders@example.org\\r\\nBcc: x@example.org': contains a control character (a line "
        "break?); one address, e.g. MAIL_FROM='Reminders <reminders@council.example.org>'",
        "  - LOG_FORMAT='xml': not an allowed value; use text or json",
        "(see .env.example)",
    ]


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"SMTP_TIMEOUT": "0"}, "SMTP_TIMEOUT='0': out of range"),
        ({"MAIL_FROM": "not an address"}, "MAIL_FROM='not an address': is not exactly one email address"),
        ({"MAIL_FROM": "a@example.org, b@example.org"}, "is not exactly one email address"),
        ({"EMAIL_BACKEND": "smtp", "SMTP_HOST": ""}, "EMAIL_BACKEND=smtp needs SMTP_HOST"),
        ({"BASE_URL": "https://reminders.example.org"}, "BASE_URL is set, so SECRET_KEY is required"),
        ({"BASE_URL": "reminders.example.org", "SECRET_KEY": "x" * 20}, "BASE_URL='reminders.example.org': is not"),
    ],
)
def test_bad_setting_names_the_variable_and_the_fix(cli, monkeypatch, env, line):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = cli("status")
    assert result.exit_code == 2
    assert line in result.output


def test_admin_template_folder_overrides_and_undefined_is_an_error(cli_subprocess, tmp_path):
    custom = tmp_path / "my-templates"
    custom.mkdir()
    (custom / "escalation.subject.txt").write_text("ACTION NEEDED {{ n.ref }} ({{ n.days_overdue }} days)")
    assert cli_subprocess("sync", "--now", "2009-11-24T08:00").returncode == 0
    env = {"TEMPLATES_DIR": str(custom)}
    ok = cli_subprocess("preview", "SG1", "--stage", "escalation:1", "--now", "2010-03-03", extra_env=env)
    assert ok.returncode == 0, ok.stderr
    assert "Subject: ACTION NEEDED SG1 (7 days)" in ok.stdout
    assert "ESCALATED TO YOU: ofsted-2009/SG1" in ok.stdout  # the other templates still come from the shipped folder
    (custom / "escalation.subject.txt").write_text("{{ n.no_such_field }}")
    bad = cli_subprocess("preview", "SG1", "--stage", "escalation:1", "--now", "2010-03-03", extra_env=env)
    assert bad.returncode == 1
    assert (
        "Error: template escalation.subject.txt: 'scheduler.engine.views.NoticeView object' has no attribute 'no_such_field'"
        in bad.stderr
    )
