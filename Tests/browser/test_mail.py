"""Mail to citizens through the outbox, against a real SMTP server (aiosmtpd on loopback) and real `loket serve`
processes on a database of their own (LOKET_BINARY, on the server of LOKET_DATABASE_URL), with LOKET_SMTP_URL set:

* a booking's confirmation arrives exactly once even with two `loket serve` processes sending, in the citizen's
  language, with the reference, the local time, the place and the manage link, and a .ics the `icalendar` library
  parses (METHOD:PUBLISH, the appointment's UID, the start in Europe/Amsterdam);
* an SMTP server that refuses (451) is tried again with backoff, and the message is delivered once it accepts;
* SIGKILL of `loket serve` while the SMTP server holds the message loses nothing: after a restart the message is
  sent again once the lease has run out — twice in total when the server had already taken the data (the documented
  at-least-once window, same Message-ID), once when it had not — and never a third time.

Short timings for the test: LOKET_MAIL_POLL_SECONDS=1, LOKET_MAIL_RETRY_SECONDS=1, LOKET_MAIL_LEASE_SECONDS=10.
"""
import asyncio
import datetime
import email
import email.policy
import os
import re
import signal
import subprocess
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar

import helpers as h

BINARY = os.environ.get('LOKET_BINARY', '')
ADMIN_TOKEN = 'mail-test-admin-token'
PUBLIC = 'https://loket.mail.example'
AMS = ZoneInfo('Europe/Amsterdam')
LEASE = 10


class Handler:
    """An SMTP server whose answers the test chooses: accept, refuse (451), or hold the message a while."""

    def __init__(self):
        self.mode = 'accept'
        self.received = []  # (rcpt_tos, message bytes), in arrival order
        self.refused = 0
        self.holding = threading.Event()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.mode == 'hold_before_data':
            self.holding.set()
            await asyncio.sleep(30)
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        if self.mode == 'refuse':
            with self.lock:
                self.refused += 1
            return '451 4.3.0 Try again later'
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), envelope.content))
        if self.mode == 'hold_after_data':
            # The data is here (a mail server would have it on disk) but Loket does not hear "250" yet.
            self.holding.set()
            await asyncio.sleep(30)
        return '250 2.0.0 OK'

    def to(self, address):
        with self.lock:
            return [email.message_from_bytes(raw, policy=email.policy.default) for rcpt, raw in self.received if address in rcpt]


@pytest.fixture(scope='module')
def smtp():
    handler = Handler()
    port = h.free_port()
    controller = Controller(handler, hostname='127.0.0.1', port=port)
    controller.start()
    try:
        yield {'handler': handler, 'url': f'smtp://127.0.0.1:{port}'}
    finally:
        controller.stop()


@pytest.fixture(scope='module')
def mail_db():
    if not BINARY or not h.DB_URL:
        pytest.skip('needs LOKET_BINARY and LOKET_DATABASE_URL (deploy/test sets both)')
    name, url = h.private_database('mail')
    try:
        yield url
    finally:
        h.drop_database(name)


class Servers:
    """`loket serve` processes on the test database, started and stopped by the tests."""

    def __init__(self, db, smtp_url, folder):
        self.db, self.smtp_url, self.folder = db, smtp_url, folder
        self.running = []

    def start(self, smtp=True):
        port = h.free_port()
        env = dict(os.environ, LOKET_DATABASE_URL=self.db, LOKET_PORT=str(port), LOKET_ADMIN_TOKEN=ADMIN_TOKEN,
                   LOKET_KIOSK_DIR=h.KIOSK_DIR, LOKET_BOOKING_RATE_PER_MINUTE='0', LOKET_HOLDS_PER_ADDRESS='0', LOKET_LOGIN_RATE_PER_MINUTE='0', LOKET_PUBLIC_URL=PUBLIC,
                   LOKET_MAIL_POLL_SECONDS='1', LOKET_MAIL_RETRY_SECONDS='1', LOKET_MAIL_LEASE_SECONDS=str(LEASE))
        env.pop('LOKET_SMTP_URL', None)
        if smtp:
            env['LOKET_SMTP_URL'] = self.smtp_url
        log = open(self.folder / f'loket-{port}.log', 'ab')
        p, base = h.start_loket(BINARY, env, log)
        server = {'process': p, 'base': base, 'log': log}
        self.running.append(server)
        return server

    def stop(self, server, sig=signal.SIGTERM):
        server['process'].send_signal(sig)
        server['process'].wait(timeout=20)
        server['log'].close()
        self.running.remove(server)

    def stop_all(self):
        for s in list(self.running):
            self.stop(s)


def call(server, method, path, body=None, token=None):
    old = h.BASE
    h.BASE = server['base']
    try:
        return h.http(method, path, body, token=token)
    finally:
        h.BASE = old


def psql(db, sql, **variables):
    args = ['psql', db, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1']
    for k, v in variables.items():
        args += ['-v', f'{k}={v}']
    out = subprocess.run(args, input=sql, capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    return [line for line in out.stdout.splitlines() if line]


@pytest.fixture(scope='module')
def world(mail_db, smtp, tmp_path_factory):
    servers = Servers(mail_db, smtp['url'], tmp_path_factory.mktemp('mail'))
    s = servers.start(smtp=False)

    def create(path, body):
        r = call(s, 'POST', path, body, token=ADMIN_TOKEN)
        assert r.status == 201, r
        return r.json['id']

    loc = create('/api/v1/locations', {'code': 'mail', 'name': 'Stadswinkel Noord', 'timeZone': 'Europe/Amsterdam'})
    agency = create('/api/v1/agencies', {'code': 'uwv', 'name': 'UWV'})
    service = create('/api/v1/services', {'agencyId': agency, 'code': 'ww', 'name': 'WW', 'ticketPrefix': 'U', 'durationMinutes': 10,
                                          'urgent': False, 'locationIds': [loc], 'lifeQuestion': 'work'})
    r = call(s, 'PUT', f'/api/v1/locations/{loc}/opening-hours',
             {'weekly': [{'weekday': d, 'opens': '08:00', 'closes': '18:00'} for d in range(1, 8)], 'closures': [],
              'closedOnPublicHolidays': False}, token=ADMIN_TOKEN)
    assert r.status == 200, r
    type_id = create('/api/v1/appointment-types', {'code': 'kort', 'name': 'Kort gesprek', 'durationMinutes': 15,
                                                   'requirements': [{'serviceId': service}], 'minNoticeMinutes': 0,
                                                   'publicBooking': True})
    staff = psql(mail_db, """INSERT INTO staff (agency_id, username, password_hash, display_name, role)
                             VALUES (:'agency', 'anna', '$argon2id$test', 'Anna', 'staff') RETURNING id""", agency=agency)[0]
    psql(mail_db, "INSERT INTO staff_service (staff_id, service_id, agency_id) VALUES (:'s', :'svc', :'a')", s=staff, svc=service, a=agency)
    for d in range(1, 8):
        psql(mail_db, """INSERT INTO staff_availability (staff_id, location_id, weekday, starts, ends)
                         VALUES (:'s', :'loc', :'d'::smallint, '08:00', '18:00')""", s=staff, loc=loc, d=d)
    psql(mail_db, "UPDATE location SET street_address = 'Kerkstraat 1', postal_code = '1234 AB', city = 'Utrecht' WHERE id = :'id'", id=loc)
    servers.stop(s)
    slots = iter(range(0, 40))
    day = (datetime.datetime.now(AMS) + datetime.timedelta(days=3)).date()

    def next_start():
        i = next(slots)
        return datetime.datetime(day.year, day.month, day.day, 8 + i // 4, (i % 4) * 15, tzinfo=AMS)

    try:
        yield {'servers': servers, 'location': loc, 'type': type_id, 'next_start': next_start}
    finally:
        servers.stop_all()


def book(server, world, address, language='nl', name='Jan de Vries'):
    start = world['next_start']()
    r = call(server, 'POST', '/api/v1/appointments', {
        'locationId': world['location'], 'appointmentTypeId': world['type'], 'start': start.isoformat(),
        'citizen': {'name': name, 'email': address, 'language': language}})
    assert r.status == 201, r
    return r.json, start


def outbox(server, appointment_id):
    r = call(server, 'GET', '/api/v1/outbox?limit=500', token=ADMIN_TOKEN)
    assert r.status == 200, r
    return [m for m in r.json['items'] if m['appointmentId'] == appointment_id]


def wait_for(check, timeout, message):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(message)


def parts(msg):
    text = msg.get_body(preferencelist=('plain',)).get_content()
    calendars = [p for p in msg.iter_attachments() if p.get_content_type() == 'text/calendar']
    return text, calendars


def test_confirmation_arrives_once_in_the_citizens_language_with_a_calendar_file(world, smtp):
    servers = world['servers']
    a, b = servers.start(), servers.start()  # two processes sending from one outbox
    try:
        ready = call(a, 'GET', '/readyz')
        assert ready.json.get('mail') == 'configured', ready
        address = f'pl-{h.rand()}@example.org'
        appt, start = book(a, world, address, language='pl', name='Zofia Nowak')
        wait_for(lambda: smtp['handler'].to(address), 20, 'the confirmation did not arrive')
        time.sleep(3 * 1 + 2)  # several rounds of both processes
        got = smtp['handler'].to(address)
        assert len(got) == 1, f'{len(got)} copies'
        msg = got[0]
        assert msg['Subject'] == f"Wizyta została umówiona ({appt['reference']})"
        assert msg['To'].addresses[0].addr_spec == address
        assert msg['Message-ID'].endswith('@loket.mail.example>')
        text, calendars = parts(msg)
        assert text.startswith('Dzień dobry Zofia Nowak,')
        assert f"Numer wizyty: {appt['reference']}" in text
        assert f"godz. {start.strftime('%H:%M')}" in text, text
        assert 'Gdzie: Stadswinkel Noord, Kerkstraat 1, 1234 AB Utrecht' in text
        assert f"{PUBLIC}/mijn-afspraak/{appt['manageToken']}" in text
        assert len(calendars) == 1
        assert calendars[0].get_param('method') == 'PUBLISH'
        cal = Calendar.from_ical(calendars[0].get_content())
        assert str(cal['METHOD']) == 'PUBLISH'
        event = cal.walk('VEVENT')[0]
        assert str(event['UID']) == f"{appt['id']}@loket.mail.example"
        assert event['DTSTART'].dt == start
        assert event['DTSTART'].dt.utcoffset() == start.utcoffset()
        rows = outbox(a, appt['id'])
        confirmation = [m for m in rows if m['kind'] == 'booked'][0]
        assert confirmation['status'] == 'sent' and confirmation['attempts'] == 1, rows
        assert 'body' not in confirmation and 'recipient' not in confirmation
    finally:
        servers.stop(a)
        servers.stop(b)


def test_a_refusing_server_is_retried_until_it_accepts(world, smtp):
    servers = world['servers']
    handler = smtp['handler']
    handler.mode = 'refuse'
    s = servers.start()
    try:
        address = f'en-{h.rand()}@example.org'
        appt, _ = book(s, world, address, language='en')
        wait_for(lambda: any(m['kind'] == 'booked' and m['attempts'] >= 2 and '451' in (m['lastError'] or '')
                             for m in outbox(s, appt['id'])), 20, 'not retried after a 451')
        assert handler.to(address) == []
        handler.mode = 'accept'
        wait_for(lambda: handler.to(address), 30, 'not delivered once the server accepts')
        time.sleep(3)
        got = handler.to(address)
        assert len(got) == 1
        assert got[0]['Subject'] == f"Your appointment is booked ({appt['reference']})"
        wait_for(lambda: [m for m in outbox(s, appt['id']) if m['kind'] == 'booked' and m['status'] == 'sent'], 5, 'not marked sent')
    finally:
        handler.mode = 'accept'
        servers.stop(s)


@pytest.mark.parametrize('moment, copies', [('hold_after_data', 2), ('hold_before_data', 1)])
def test_killing_loket_mid_send_loses_nothing(world, smtp, moment, copies):
    servers = world['servers']
    handler = smtp['handler']
    handler.holding.clear()
    handler.mode = moment
    s = servers.start()
    address = f'kill-{h.rand()}@example.org'
    try:
        appt, _ = book(s, world, address, language='uk')
        assert handler.holding.wait(20), 'the SMTP server never saw the message'
        killed_at = time.time()
        servers.stop(s, signal.SIGKILL)
    finally:
        handler.mode = 'accept'
    s = servers.start()
    try:
        got = wait_for(lambda: len(handler.to(address)) >= copies and handler.to(address), LEASE + 30,
                       'the message was lost after the kill')
        assert time.time() - killed_at >= LEASE - 2, 'sent again before the lease ran out'
        time.sleep(LEASE + 3)  # past another lease: no further copy
        got = handler.to(address)
        assert len(got) == copies, f'{len(got)} copies'
        assert len({m['Message-ID'] for m in got}) == 1, 'a copy carries the same Message-ID'
        assert got[-1]['Subject'] == f"Ваш запис підтверджено ({appt['reference']})"
        rows = [m for m in outbox(s, appt['id']) if m['kind'] == 'booked']
        assert rows[0]['status'] == 'sent' and rows[0]['attempts'] == 2, rows
    finally:
        servers.stop(s)
