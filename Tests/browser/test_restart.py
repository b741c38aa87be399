"""The call display survives a restart of the server it is connected to.

Starts a second `loket serve` of its own (LOKET_BINARY, on the same database as the main test server), opens the
display on it, stops that server with SIGTERM and starts it again on the same port. The display must say the
connection is lost, reconnect by itself, and then show a call made through the *other* server: events reach every
process through PostgreSQL.
"""
import os
import signal
import subprocess
import time
import urllib.request

import pytest

import helpers as h

pytestmark = pytest.mark.server

BINARY = os.environ.get('LOKET_BINARY', '')


def start(port, log):
    env = dict(os.environ, LOKET_PORT=str(port), LOKET_DATABASE_URL=h.DB_URL, LOKET_ADMIN_TOKEN=h.ADMIN,
               LOKET_KIOSK_DIR=h.KIOSK_DIR, LOKET_BOOKING_RATE_PER_MINUTE='0', LOKET_HOLDS_PER_ADDRESS='0', LOKET_TICKET_RATE_PER_MINUTE='0')
    p = subprocess.Popen([BINARY, 'serve'], env=env, stdout=log, stderr=log)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f'http://127.0.0.1:{port}/readyz', timeout=1) as r:
                if r.status == 200:
                    return p
        except OSError:
            time.sleep(0.1)
    p.kill()
    raise AssertionError('second loket serve did not become ready')


def stop(p):
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=20) == 0, 'loket serve did not stop cleanly'


@pytest.mark.skipif(not BINARY or not h.DB_URL, reason='needs LOKET_BINARY and LOKET_DATABASE_URL (deploy/test sets both)')
def test_display_recovers_after_its_server_restarts(staff, tmp_path):
    port = h.free_port()
    with open(tmp_path / 'loket.log', 'wb') as log:
        p = start(port, log)
        d = h.chrome(1920, 1080)
        try:
            d.get(f'http://127.0.0.1:{port}/display/{h.LOCATION}')
            h.wait(d, "document.getElementById('loc').textContent && document.getElementById('offline').hidden", 10,
                   message='display did not load')
            stop(p)
            h.wait(d, "!document.getElementById('offline').hidden", 20, message='no "connection lost" notice')
            p = start(port, log)
            h.wait(d, "document.getElementById('offline').hidden", 30, message='display did not reconnect')
            staff.drain()
            h.take_ticket(staff.location_id, staff.service['id'])
            t = h.expect(staff.call_next(), 200).json
            h.wait(d, f"document.getElementById('now-num').textContent === '{t['number']}'", 10,
                   message='a call through the other server did not reach the restarted display')
            h.expect(staff.act(t['id'], 'no-show'), 200)
        finally:
            d.quit()
            if p.poll() is None:
                stop(p)
