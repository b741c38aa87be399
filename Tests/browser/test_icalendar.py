"""iCalendar files as calendar programs read them: every variant of the invitation (citizen, each staff member,
after cancellation) and the subscription feeds (staff member, room) is parsed with the `icalendar` library from PyPI
and checked: CRLF line ends, lines folded at 75 octets (never inside a UTF-8 character), UID and SEQUENCE, DTSTAMP in
UTC, a VTIMEZONE with STANDARD and DAYLIGHT, METHOD per variant, attendees only the recipient, CANCEL after
cancellation, the feed's refresh properties, and an appointment across the autumn change (2026-10-25) whose
DTSTART/DTEND convert to the right UTC instants, both through the zone name and through the file's own VTIMEZONE.

It runs against a `loket serve` of its own on a fresh database (LOKET_BINARY, on the server of LOKET_DATABASE_URL),
with LOKET_PUBLIC_URL set, so UIDs carry that host. Appointments are inserted with psql: the booking API is not
needed to test the files.
"""
import datetime
import hashlib
import os
import re
import secrets
import subprocess
import urllib.request

import pytest
from icalendar import Calendar

import helpers as h

BINARY = os.environ.get('LOKET_BINARY', '')
ADMIN_TOKEN = 'ical-test-admin-token'
PUBLIC_HOST = 'loket.example.test'
UTC = datetime.timezone.utc
# Long names with characters of 2, 3 and 4 octets, so folding happens inside multi-byte text.
LOCATION_NAME = 'Stadswinkel Ëénhoorn — Gemeentelijk Servicecentrum voor Iedereen 🙂 (Küstverbindingsweg)'
STREET = 'Coolsingel 40; ingang B, 1e étage'
AGENCY_A = 'Uitvoeringsinstituut Werknemersverzekeringen'
AGENCY_B = 'Sociale Verzekeringsbank'
CITIZEN = 'Jan Jansen-Ölçüm'


@pytest.fixture(scope='module')
def ical_server(tmp_path_factory):
    if not BINARY or not h.DB_URL:
        pytest.skip('needs LOKET_BINARY and LOKET_DATABASE_URL (deploy/test sets both)')
    name, url = h.private_database('ical')
    port = h.free_port()
    env = dict(os.environ, LOKET_DATABASE_URL=url, LOKET_PORT=str(port), LOKET_ADMIN_TOKEN=ADMIN_TOKEN,
               LOKET_KIOSK_DIR=h.KIOSK_DIR, LOKET_BOOKING_RATE_PER_MINUTE='0', LOKET_HOLDS_PER_ADDRESS='0', LOKET_LOGIN_RATE_PER_MINUTE='0', LOKET_PUBLIC_URL=f'https://{PUBLIC_HOST}')
    log = open(tmp_path_factory.mktemp('ical') / 'loket.log', 'wb')
    p, base = h.start_loket(BINARY, env, log, 'the iCalendar test server')
    try:
        yield {'base': base, 'db': url}
    finally:
        h.stop_loket(p)
        log.close()
        h.drop_database(name)
        subprocess.run(['psql', '-qAt', h.DB_URL, '-c', f'DROP DATABASE IF EXISTS {name} WITH (FORCE)'], check=False)


def call(ical_server, method, path, body=None, token=None):
    old = h.BASE
    h.BASE = ical_server['base']
    try:
        return h.http(method, path, body, token=token)
    finally:
        h.BASE = old


def get_raw(ical_server, path, token=None):
    """(status, headers, body bytes) of a GET, without decoding."""
    req = urllib.request.Request(ical_server['base'] + path, headers={'Authorization': f'Bearer {token}'} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def psql(ical_server, sql, **variables):
    """Runs SQL with psql variables (:'name'), returns the output lines."""
    args = ['psql', ical_server['db'], '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1']
    for k, v in variables.items():
        args += ['-v', f'{k}={v}']
    out = subprocess.run(args, input=sql, capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    return [line for line in out.stdout.splitlines() if line]


@pytest.fixture(scope='module')
def world(ical_server):
    def create(path, body):
        r = call(ical_server, 'POST', path, body, token=ADMIN_TOKEN)
        assert r.status == 201, r
        return r.json['id']

    loc = create('/api/v1/locations', {'code': 'ical', 'name': LOCATION_NAME, 'timeZone': 'Europe/Amsterdam'})
    a = create('/api/v1/agencies', {'code': 'uwv', 'name': AGENCY_A})
    b = create('/api/v1/agencies', {'code': 'svb', 'name': AGENCY_B})
    sa = create('/api/v1/services', {'agencyId': a, 'code': 'ww', 'name': 'WW', 'ticketPrefix': 'U', 'durationMinutes': 10,
                                     'urgent': False, 'locationIds': [loc], 'lifeQuestion': 'work'})
    sb = create('/api/v1/services', {'agencyId': b, 'code': 'aow', 'name': 'AOW', 'ticketPrefix': 'S', 'durationMinutes': 10,
                                     'urgent': False, 'locationIds': [loc], 'lifeQuestion': 'money'})
    password = 'Ical-test-' + h.rand(16)
    staff = {}
    for key, agency, service, user in [('a', a, sa, 'anna'), ('b', b, sb, 'bram')]:
        sid = create('/api/v1/staff', {'agencyId': agency, 'username': user, 'password': password, 'displayName': user.title(),
                                       'role': 'staff', 'serviceIds': [service]})
        r = call(ical_server, 'POST', '/api/v1/sessions', {'username': user, 'password': password, 'cookie': False})
        assert r.status == 201, r
        staff[key] = {'id': sid, 'token': r.json['token'], 'agency': agency, 'service': service, 'email': f'{user}@{user}.example'}
        psql(ical_server, "UPDATE staff SET email = :'email' WHERE id = :'id'", email=staff[key]['email'], id=sid)
    psql(ical_server, "UPDATE location SET street_address = :'street', postal_code = '3011 AD', city = 'Rotterdam' WHERE id = :'id'",
         street=STREET, id=loc)
    type_id = psql(ical_server, "INSERT INTO appointment_type (code, name, duration_minutes) VALUES ('schuld', 'Schuldhulpgesprek', 60) RETURNING id")[0]
    room = psql(ical_server, "INSERT INTO room (location_id, name) VALUES (:'loc', 'Spreekkamer één') RETURNING id", loc=loc)[0]

    def appointment(start, end, reference, who=('a',), with_room=True, status='booked', sequence=0):
        token = secrets.token_urlsafe(32)
        aid = psql(ical_server, """
            INSERT INTO appointment (location_id, appointment_type_id, reference, reference_year, status, starts_at, ends_at,
                                     citizen_name, citizen_email, manage_token_hash, sequence, created_at, updated_at)
            VALUES (:'loc', :'type', :'ref', 2026, :'status', :'start', :'end', :'citizen', 'jan@example.nl',
                    decode(:'hash', 'hex'), :'seq', :'start', :'start') RETURNING id""",
                   loc=loc, type=type_id, ref=reference, status=status, start=start.isoformat(), end=end.isoformat(),
                   citizen=CITIZEN, hash=hashlib.sha256(token.encode()).hexdigest(), seq=sequence)[0]
        for position, key in enumerate(who):
            s = staff[key]
            psql(ical_server, """
                INSERT INTO appointment_reservation (appointment_id, appointment_status, position, staff_id, service_id, agency_id, during)
                VALUES (:'id', :'status', :'pos', :'staff', :'service', :'agency', tstzrange(:'start', :'end'))""",
                 id=aid, status=status, pos=position, staff=s['id'], service=s['service'], agency=s['agency'],
                 start=start.isoformat(), end=end.isoformat())
        if with_room:
            psql(ical_server, """
                INSERT INTO appointment_reservation (appointment_id, appointment_status, room_id, during)
                VALUES (:'id', :'status', :'room', tstzrange(:'start', :'end'))""",
                 id=aid, status=status, room=room, start=start.isoformat(), end=end.isoformat())
        return aid, token

    now = datetime.datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    soon = now + datetime.timedelta(days=3)
    joint = appointment(soon, soon + datetime.timedelta(hours=1), 'JNT234', who=('a', 'b'), sequence=2)
    cancelled = appointment(soon + datetime.timedelta(days=1), soon + datetime.timedelta(days=1, hours=1), 'CNX234')
    psql(ical_server, "UPDATE appointment SET status = 'cancelled', sequence = sequence + 1 WHERE id = :'id'", id=cancelled[0])
    later = appointment(now + datetime.timedelta(weeks=9), now + datetime.timedelta(weeks=9, hours=1), 'FAR222')
    # Across the autumn change: 02:30 CEST → 03:00 CET; and one in the repeated hour's second pass (02:30 CET).
    dst = appointment(datetime.datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime.datetime(2026, 10, 25, 2, 0, tzinfo=UTC), 'DST234')
    repeated = appointment(datetime.datetime(2026, 10, 25, 1, 30, tzinfo=UTC), datetime.datetime(2026, 10, 25, 2, 30, tzinfo=UTC),
                           'DST345', who=('b',), with_room=False)
    return {'location': loc, 'staff': staff, 'room': room, 'joint': joint, 'cancelled': cancelled, 'later': later, 'dst': dst,
            'repeated': repeated, 'soon': soon}


# ---- checks every file must pass ------------------------------------------------------------------------------
def check_file(raw, method, headers=None):
    """RFC 5545 framing, parsed by `icalendar`; returns the Calendar."""
    assert raw.endswith(b'\r\n')
    lines = raw.split(b'\r\n')[:-1]
    for line in lines:
        assert b'\n' not in line and b'\r' not in line, 'only CRLF line ends'
        assert len(line) <= 75, f'{len(line)} octets: {line!r}'
        line.decode('utf-8')  # a fold never splits a UTF-8 character
    assert any(line.startswith(b' ') for line in lines), 'the long names are folded'
    if headers is not None:
        assert headers['Content-Type'] == f'text/calendar; charset=utf-8; method={method}'
    cal = Calendar.from_ical(raw)
    assert str(cal['VERSION']) == '2.0'
    assert str(cal['METHOD']) == method
    text = raw.decode('utf-8')
    assert CITIZEN not in text and 'jan@example.nl' not in text and 'Schuldhulp' not in text, 'no citizen or case data'
    for event in cal.walk('VEVENT'):
        assert re.search(r'\r\nDTSTAMP:\d{8}T\d{6}Z\r\n', text), 'DTSTAMP in UTC with Z'
        assert event.decoded('DTSTAMP').utcoffset() == datetime.timedelta(0)
        assert str(event['UID']).endswith('@' + PUBLIC_HOST)
    return cal


def check_timezone(cal):
    zones = cal.walk('VTIMEZONE')
    assert [str(z['TZID']) for z in zones] == ['Europe/Amsterdam'], 'one VTIMEZONE for the one TZID used'
    parts = {c.name: c for c in zones[0].subcomponents}
    assert set(parts) == {'STANDARD', 'DAYLIGHT'}
    std, dst = parts['STANDARD'], parts['DAYLIGHT']
    assert std.decoded('TZOFFSETFROM') == datetime.timedelta(hours=2) and std.decoded('TZOFFSETTO') == datetime.timedelta(hours=1)
    assert dst.decoded('TZOFFSETFROM') == datetime.timedelta(hours=1) and dst.decoded('TZOFFSETTO') == datetime.timedelta(hours=2)
    assert std['RRULE']['BYMONTH'] == [10] and std['RRULE']['BYDAY'] == ['-1SU']
    assert dst['RRULE']['BYMONTH'] == [3] and dst['RRULE']['BYDAY'] == ['-1SU']
    assert std.decoded('DTSTART').time() == datetime.time(3, 0) and dst.decoded('DTSTART').time() == datetime.time(2, 0)


def only_event(cal):
    events = cal.walk('VEVENT')
    assert len(events) == 1
    return events[0]


def attendees(event):
    a = event.get('ATTENDEE')
    if a is None:
        return []
    return [str(x) for x in (a if isinstance(a, list) else [a])]


def invite(ical_server, world, key, recipient, token=None, citizen_token=None):
    path = f'/api/v1/appointments/{world[key][0]}/invite.ics?for={recipient}'
    if citizen_token:
        path += '&token=' + citizen_token
    return get_raw(ical_server, path, token)


# ---- the variants ---------------------------------------------------------------------------------------------
def test_citizen_download_is_publish_without_attendees(ical_server, world):
    status, headers, raw = invite(ical_server, world, 'joint', 'citizen', citizen_token=world['joint'][1])
    assert status == 200, raw
    cal = check_file(raw, 'PUBLISH', headers)
    check_timezone(cal)
    event = only_event(cal)
    assert attendees(event) == []
    assert str(event['UID']) == f"{world['joint'][0]}@{PUBLIC_HOST}"
    assert event.decoded('SEQUENCE') == 2
    assert str(event['STATUS']) == 'CONFIRMED'
    assert str(event['ORGANIZER']) == f'mailto:no-reply@{PUBLIC_HOST}', 'no location e-mail: the public host\'s no-reply'
    assert str(event['LOCATION']) == f'{LOCATION_NAME}, {STREET}, 3011 AD Rotterdam', 'escaped and read back exactly'
    description = str(event['DESCRIPTION'])
    assert description.splitlines() == ['Referentie: JNT234', f'Locatie: {LOCATION_NAME}, {STREET}, 3011 AD Rotterdam',
                                        'Ruimte: Spreekkamer één', f'Met: {AGENCY_A}, {AGENCY_B}']
    assert event.decoded('DTSTART').astimezone(UTC) == world['soon']
    assert event.decoded('DTEND').astimezone(UTC) == world['soon'] + datetime.timedelta(hours=1)
    assert b'anna@' not in raw and b'bram@' not in raw, 'staff addresses are not in the citizen\'s file'


def test_each_staff_file_is_a_request_naming_only_its_recipient(ical_server, world):
    uids = set()
    for key, other in [('a', 'b'), ('b', 'a')]:
        me = world['staff'][key]
        status, headers, raw = invite(ical_server, world, 'joint', me['id'], token=me['token'])
        assert status == 200, raw
        cal = check_file(raw, 'REQUEST', headers)
        check_timezone(cal)
        event = only_event(cal)
        assert attendees(event) == [f"mailto:{me['email']}"]
        assert world['staff'][other]['email'].encode() not in raw
        assert event.decoded('SEQUENCE') == 2
        uids.add(str(event['UID']))
    assert uids == {f"{world['joint'][0]}@{PUBLIC_HOST}"}, 'one UID for every recipient'
    # A's token does not open B's file.
    status, _, _ = invite(ical_server, world, 'joint', world['staff']['b']['id'], token=world['staff']['a']['token'])
    assert status == 403


def test_after_cancellation_every_file_is_a_cancel(ical_server, world):
    a = world['staff']['a']
    status, headers, raw = invite(ical_server, world, 'cancelled', a['id'], token=a['token'])
    assert status == 200, raw
    cal = check_file(raw, 'CANCEL', headers)
    event = only_event(cal)
    assert str(event['STATUS']) == 'CANCELLED'
    assert event.decoded('SEQUENCE') == 1, 'the cancel raised the sequence'
    assert str(event['UID']) == f"{world['cancelled'][0]}@{PUBLIC_HOST}"
    status, headers, raw = invite(ical_server, world, 'cancelled', 'citizen', token=a['token'])
    assert status == 200
    assert str(check_file(raw, 'CANCEL', headers)['METHOD']) == 'CANCEL'
    status, _, _ = invite(ical_server, world, 'cancelled', 'citizen', citizen_token=world['cancelled'][1])
    assert status == 404, 'the manage token dies with the appointment'


def test_an_appointment_across_the_autumn_change_converts_to_the_right_instants(ical_server, world):
    a = world['staff']['a']
    status, headers, raw = invite(ical_server, world, 'dst', a['id'], token=ADMIN_TOKEN)
    assert status == 200, raw
    text = raw.decode()
    assert '\r\nDTSTART;TZID=Europe/Amsterdam:20261025T023000\r\n' in text
    assert '\r\nDTEND;TZID=Europe/Amsterdam:20261025T030000\r\n' in text
    # Through the zone name (what Outlook and Google do) and through the file's own VTIMEZONE (renamed, so the
    # library must build the zone from the STANDARD and DAYLIGHT rules in the file).
    for body in [raw, raw.replace(b'Europe/Amsterdam', b'Loket-Own-Zone')]:
        cal = Calendar.from_ical(body)
        event = only_event(cal)
        start, end = event.decoded('DTSTART'), event.decoded('DTEND')
        assert start.utcoffset() == datetime.timedelta(hours=2) and end.utcoffset() == datetime.timedelta(hours=1)
        assert start.astimezone(UTC) == datetime.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
        assert end.astimezone(UTC) == datetime.datetime(2026, 10, 25, 2, 0, tzinfo=UTC)
        assert end.astimezone(UTC) - start.astimezone(UTC) == datetime.timedelta(hours=1, minutes=30)
    check_timezone(check_file(raw, 'REQUEST', headers))

    # 02:30 in the repeated hour's second pass cannot be named by a local time: written in UTC.
    b = world['staff']['b']
    status, headers, raw = invite(ical_server, world, 'repeated', b['id'], token=b['token'])
    assert status == 200, raw
    cal = check_file(raw, 'REQUEST', headers)
    event = only_event(cal)
    assert '\r\nDTSTART:20261025T013000Z\r\n' in raw.decode()
    assert event.decoded('DTSTART') == datetime.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert event.decoded('DTEND').astimezone(UTC) == datetime.datetime(2026, 10, 25, 2, 30, tzinfo=UTC)
    check_timezone(cal)  # DTEND 03:30 CET still uses the TZID


def feed_path(url):
    return url[url.index('/ical/'):]


def test_feeds_refresh_hourly_list_the_coming_weeks_and_die_when_revoked(ical_server, world):
    a = world['staff']['a']
    r = call(ical_server, 'POST', '/api/v1/calendar-feeds', {'staffId': a['id']}, token=a['token'])
    assert r.status == 201, r
    url = r.json['url']
    assert url.startswith(f'https://{PUBLIC_HOST}/ical/') and url.endswith('.ics')
    status, headers, raw = get_raw(ical_server, feed_path(url))
    assert status == 200, raw
    cal = check_file(raw, 'PUBLISH', headers)
    check_timezone(cal)
    assert '\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n' in raw.decode()
    assert cal.decoded('REFRESH-INTERVAL') == datetime.timedelta(hours=1)
    assert str(cal['X-PUBLISHED-TTL']) == 'PT1H'
    events = cal.walk('VEVENT')
    assert [str(e['UID']) for e in events] == [f"{world['joint'][0]}@{PUBLIC_HOST}"], \
        'booked, within 8 weeks: not the cancelled, not the one 9 weeks ahead, not the past'
    assert events[0].decoded('SEQUENCE') == 2, 'the same SEQUENCE as the invitations'
    assert attendees(events[0]) == []

    admin_room = call(ical_server, 'POST', '/api/v1/calendar-feeds', {'roomId': world['room']}, token=ADMIN_TOKEN)
    assert admin_room.status == 201, admin_room
    status, headers, raw = get_raw(ical_server, feed_path(admin_room.json['url']))
    cal = check_file(raw, 'PUBLISH', headers)
    assert [str(e['UID']) for e in cal.walk('VEVENT')] == [f"{world['joint'][0]}@{PUBLIC_HOST}"]

    assert call(ical_server, 'DELETE', f"/api/v1/calendar-feeds/{r.json['id']}", token=a['token']).status == 204
    assert get_raw(ical_server, feed_path(url))[0] == 404
    assert get_raw(ical_server, '/ical/' + secrets.token_urlsafe(32) + '.ics')[0] == 404
