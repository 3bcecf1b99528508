"""Slow request headers and idle sockets, against a real uvicorn serving the web app as `reminders
web` does (web/connections.py), with a 1 s header deadline so the tests stay fast."""

from __future__ import annotations

import select
import socket
import threading
import time

import httpx

from tests import web_helpers
from tests.web_helpers import form_of, link, serving

web = web_helpers.web  # the fixture

HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
MARGIN = 8.0  # a connection cut off by a 1 s deadline is closed well before this


def trickle(sock: socket.socket, drip: bytes, started: threading.Event | None = None) -> tuple[bool, bytes]:
    """Send `drip` one byte every 0.5 s; return (whether the server closed the connection within
    MARGIN seconds, what it sent meanwhile)."""
    got, end = b"", time.monotonic() + MARGIN
    for byte in drip:
        if time.monotonic() > end:
            break
        try:
            sock.sendall(bytes([byte]))
            if started is not None:
                started.set()
            while select.select([sock], [], [], 0.5)[0]:
                data = sock.recv(4096)
                if not data:
                    return True, got
                got += data
        except OSError:  # reset or broken pipe: closed
            return True, got
    return False, got


def test_a_client_trickling_its_headers_is_cut_off_while_others_are_served(web):
    client, app, _ = web
    with serving(client.app, header_seconds=1.0) as port:
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(HEALTHZ + b"X-Slow: ")
        started, result = threading.Event(), {}
        slow = threading.Thread(target=lambda: result.update(out=trickle(sock, b"a" * 100, started)))
        slow.start()
        assert started.wait(5)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200, "served meanwhile"
        slow.join(MARGIN + 5)
        sock.close()
    closed, got = result["out"]
    assert closed, "a request whose headers never finish is closed after the header deadline"
    assert got.startswith(b"HTTP/1.1 408 "), got


def test_a_kept_alive_connection_trickling_its_next_request_is_cut_off(web):
    client, app, _ = web
    with (
        serving(client.app, header_seconds=1.0) as port,
        socket.create_connection(("127.0.0.1", port)) as sock,
    ):
        sock.sendall(HEALTHZ + b"\r\n")
        first = b""
        while b'"reachable"}' not in first:
            first += sock.recv(4096)
        assert first.startswith(b"HTTP/1.1 200 ") and b"connection: close" not in first.lower()
        closed, _ = trickle(sock, HEALTHZ + b"X-Slow: " + b"a" * 100)
    assert closed, "the next request's headers get the same deadline, from the end of the response"


def test_a_body_slower_than_the_header_deadline_is_still_read(web):
    client, app, _ = web
    with (
        serving(client.app, header_seconds=1.0) as port,
        httpx.Client(base_url=f"http://127.0.0.1:{port}") as browser,
    ):
        fields = form_of(browser.get(link(app)).text, "progress")
        body = str(httpx.QueryParams({**fields, "note": "half done"})).encode()

        def slowly():
            for i in range(0, len(body), len(body) // 3 + 1):
                yield body[i : i + len(body) // 3 + 1]
                time.sleep(0.6)  # the whole body takes longer than the header deadline

        headers = {"content-type": "application/x-www-form-urlencoded", "content-length": str(len(body))}
        page = browser.post(link(app), content=slowly(), headers=headers, timeout=10)
    assert page.status_code == 200 and "Progress recorded." in page.text


def test_connections_over_the_cap_are_refused_and_a_freed_slot_serves_again(web):
    client, app, _ = web
    with serving(client.app, header_seconds=30.0, max_connections=3) as port:
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
        try:
            refused = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            assert refused.status_code == 503 and refused.headers["connection"] == "close"
            idle.pop().close()
            answers = []
            for _ in range(50):  # until the server has seen the close
                answers.append(httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code)
                if answers[-1] == 200:
                    break
                time.sleep(0.1)
            assert answers[-1] == 200, answers
        finally:
            for sock in idle:
                sock.close()


def test_reminders_web_serves_with_the_deadline_whatever_uvicorn_would_pick(cli, env, monkeypatch):
    from scheduler.cli import web as web_command
    from scheduler.web.connections import HEADER_SECONDS, HeaderDeadlineProtocol

    served = []
    monkeypatch.setattr(
        web_command, "_announcing_server", lambda config, base: served.append(config) or _Idle()
    )
    monkeypatch.setenv("BASE_URL", "https://reminders.example.org")
    monkeypatch.setenv("SECRET_KEY", "slow-headers-test-secret-0123456789")
    assert cli("web").exit_code == 0
    (config,) = served
    config.load()  # uvicorn's own choice of protocol class (`auto` would be httptools when installed)
    assert issubclass(config.http_protocol_class, HeaderDeadlineProtocol)
    assert config.http_protocol_class.header_seconds == HEADER_SECONDS


class _Idle:
    def run(self):
        return None
