"""Kiosk check-in ("I have an appointment"): typed on the large keys, read by a USB scanner (fast keystrokes and
Enter), and a wrong reference, in Dutch and Arabic; axe-core on every state; the appointment and its ticket checked in
the database. Appointments are written with psql (booking has its own tests); the API does the rest."""
import json
import random
import shutil
import subprocess
import time

import pytest

import helpers as h

pytestmark = pytest.mark.server

ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ'


def psql(sql, **params):
    assert h.DB_URL and shutil.which('psql'), 'LOKET_DATABASE_URL and psql are needed'
    args = ['psql', h.DB_URL, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1']
    for k, v in params.items():
        args += ['-v', f'{k}={v}']
    out = subprocess.run(args, input=sql, capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.fixture(scope='module')
def setup(staff):
    """An appointment type for the test staff member's service and a room; appointments are made per test."""
    t = h.expect(h.http('POST', '/api/v1/appointment-types', {
        'code': 'ci-' + h.rand(6), 'name': 'Check-in test', 'durationMinutes': 15,
        'requirements': [{'serviceId': staff.service['id']}], 'minNoticeMinutes': 0}, token=h.ADMIN), 201).json
    room = h.expect(h.http('POST', f'/api/v1/locations/{staff.location_id}/rooms',
                           {'name': 'Kamer ' + h.rand(3).upper(), 'capacity': 4}, token=h.ADMIN), 201).json
    return {'type': t['id'], 'room': room}


_slot = [0]


def appointment(staff, setup, minutes=5, days=0, status='booked', room=True):
    """A booked appointment of the test staff member starting `minutes` from now (+ `days`), with the room."""
    _slot[0] += 1
    ref = ''.join(random.choice(ALPHABET) for _ in range(6))
    # Each appointment of this staff member gets its own quarter hour: reservations must not overlap.
    offset = minutes + 20 * _slot[0] if minutes >= 0 else minutes
    sql = """
      WITH a AS (
        INSERT INTO appointment (location_id, appointment_type_id, reference, reference_year, status, starts_at, ends_at,
                                 citizen_language, created_at, updated_at)
        VALUES (:'loc', :'type', :'ref', extract(year FROM now())::int, :'status',
                date_trunc('minute', now()) + (:'min' || ' minutes')::interval + (:'days' || ' days')::interval,
                date_trunc('minute', now()) + (:'min' || ' minutes')::interval + (:'days' || ' days')::interval + interval '15 minutes',
                'nl', now(), now())
        RETURNING *
      ), s AS (
        INSERT INTO appointment_reservation (appointment_id, appointment_status, position, staff_id, service_id, agency_id, during)
        SELECT a.id, a.status, 0, st.id, :'svc', st.agency_id, tstzrange(a.starts_at, a.ends_at)
        FROM a, staff st WHERE st.username = :'user'
      ), r AS (
        INSERT INTO appointment_reservation (appointment_id, appointment_status, room_id, during)
        SELECT a.id, a.status, :'room', tstzrange(a.starts_at, a.ends_at) FROM a WHERE :'withroom' = 'yes'
      )
      SELECT a.id FROM a
    """
    aid = psql(sql, loc=staff.location_id, type=setup['type'], ref=ref, status=status, min=offset, days=days,
               svc=staff.service['id'], user=staff.username, room=setup['room']['id'], withroom='yes' if room else 'no')
    return aid, ref


def appointment_row(aid):
    return json.loads(psql("SELECT json_build_object('status', a.status, 'ticket', (SELECT to_jsonb(t) FROM ticket t WHERE t.appointment_id = a.id))"
                           " FROM appointment a WHERE a.id = :'id'", id=aid))


def ticket_count():
    return int(psql("SELECT count(*) FROM ticket"))


def kiosk_url(extra=''):
    params = [p for p in (extra, f'device={h.DEVICE}' if h.DEVICE else '') if p]
    return f'{h.BASE}/kiosk/{h.LOCATION}' + ('?' + '&'.join(params) if params else '')


def open_checkin(d, lang):
    d.get(kiosk_url('' if lang == 'nl' else f'lang={lang}'))
    h.wait(d, "document.querySelectorAll('#tiles .tile').length > 0", 10, message='kiosk start screen did not appear')
    tx = h.texts(lang)
    assert d.find_element('id', 'ci-open').text == tx['kiosk.appointment']
    d.find_element('id', 'ci-open').click()
    h.wait(d, "document.body.dataset.screen === 'checkin' && document.getElementById('h-checkin').textContent", 10,
           message='check-in screen did not appear')
    assert d.find_element('id', 'h-checkin').text == tx['checkin.title']
    assert d.execute_script("return document.activeElement.id") == 'ci-ref', 'the field has the focus (for a scanner)'
    return tx


def wait_ticket(d):
    h.wait(d, "document.body.dataset.screen === 'ticket' && document.getElementById('tk-num').textContent", 10,
           message='no number on screen after check-in')
    h.wait(d, "document.getElementById('tk-qr').complete && document.getElementById('tk-qr').naturalWidth > 0", 5)
    return d.execute_script("return document.getElementById('tk-num').textContent")


def no_violations(d, name):
    h.screenshot(d, name)
    violations = h.axe(d)
    assert not violations, violations


@pytest.mark.parametrize('lang', ['nl', 'ar'])
def test_check_in_by_typing_the_reference_on_the_keys(driver, kiosk, staff, setup, lang):
    d = driver
    h.viewport(d, 800, 480)
    aid, ref = appointment(staff, setup)
    tx = open_checkin(d, lang)
    assert d.execute_script("return document.documentElement.dir") == ('rtl' if lang == 'ar' else 'ltr')
    keys = d.execute_script("return [...document.querySelectorAll('#s-checkin [data-key]')].map(b => b.textContent).join('')")
    assert keys == ALPHABET, 'large keys without 0/O, 1/I/L'
    height = d.execute_script("return window.innerHeight")
    for b in d.find_elements('css selector', '#s-checkin .key, #ci-form [type="submit"]'):
        r = b.rect
        assert r['width'] >= 44 and r['height'] >= 44, f'touch target {r}'
        assert r['y'] + r['height'] <= height - 30, f'{b.text or "key"} is out of sight at 800x480: {r}'
    no_violations(d, f'checkin-{lang}-800x480-keys')
    for c in ref[:5] + 'Z':
        d.find_element('css selector', f'#s-checkin [data-key="{c}"]').click()
    d.find_element('id', 'ci-del').click()  # a typo, taken back
    d.find_element('css selector', f'#s-checkin [data-key="{ref[5]}"]').click()
    assert d.find_element('id', 'ci-ref').get_attribute('value') == ref
    d.find_element('css selector', '#ci-form [type="submit"]').click()
    number = wait_ticket(d)
    row = appointment_row(aid)
    assert row['status'] == 'checkedIn'
    assert row['ticket'] and h.row_has_number(row['ticket'], number)
    assert row['ticket']['priority'] == 'appointment' and row['ticket']['language'] == lang
    room = setup['room']['name']
    assert room in d.find_element('id', 'tk-room').text
    assert d.find_element('id', 'tk-room').text.replace('\u2068', '').replace('\u2069', '') == tx['checkin.room'].replace('{room}', room)
    no_violations(d, f'checkin-{lang}-800x480-number')


@pytest.mark.parametrize('lang', ['nl', 'ar'])
def test_check_in_with_a_scanner(driver, kiosk, staff, setup, lang):
    """A USB scanner is a keyboard: the QR code's URL arrives as fast keystrokes and Enter."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    d = driver
    h.viewport(d, 1080, 1920)
    aid, ref = appointment(staff, setup, room=False)
    open_checkin(d, lang)
    # A tap on a key first moves the focus to that key: the scanner's keystrokes must still land in the field.
    d.find_element('css selector', '#s-checkin [data-key="A"]').click()
    d.find_element('id', 'ci-del').click()
    ActionChains(d).send_keys(f'https://loket.example.nl/afspraak/{ref.lower()}' + Keys.ENTER).perform()
    number = wait_ticket(d)
    row = appointment_row(aid)
    assert row['status'] == 'checkedIn' and h.row_has_number(row['ticket'], number)
    assert d.find_element('id', 'tk-room').text.strip() == h.texts(lang)['checkin.done']
    no_violations(d, f'checkin-{lang}-1080x1920-scanner-number')
    # A second scan of the same confirmation: the same number, no second ticket.
    count = ticket_count()
    d.find_element('css selector', '#s-ticket [data-go="home"]').click()
    h.wait(d, "document.body.dataset.screen === 'home'", 5)
    d.find_element('id', 'ci-open').click()
    h.wait(d, "document.body.dataset.screen === 'checkin'", 5)
    ActionChains(d).send_keys(ref + Keys.ENTER).perform()
    assert wait_ticket(d) == number
    assert ticket_count() == count


@pytest.mark.parametrize('lang', ['nl', 'ar'])
def test_wrong_reference_says_so_in_the_visitors_language(driver, kiosk, staff, setup, lang):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    d = driver
    h.viewport(d, 800, 480)
    tomorrow_id, tomorrow = appointment(staff, setup, days=1)
    cancelled_id, cancelled = appointment(staff, setup, status='cancelled')
    count = ticket_count()
    tx = open_checkin(d, lang)
    for typed, key in [('ZZZZZZ', 'checkin.unknown'), (tomorrow, 'checkin.not-today'), (cancelled, 'checkin.cancelled'),
                       ('O0I1L', 'checkin.invalid')]:
        f = d.find_element('id', 'ci-ref')
        f.clear()
        ActionChains(d).send_keys(typed + Keys.ENTER).perform()
        h.wait(d, "document.getElementById('ci-err').textContent", 5, message=f'no message for {typed}')
        assert d.find_element('id', 'ci-err').text == tx[key], typed
        assert d.execute_script("return document.body.dataset.screen") == 'checkin'
        if key == 'checkin.unknown':
            no_violations(d, f'checkin-{lang}-800x480-wrong')
        d.find_element('id', 'ci-del').click()  # clears the message
    assert ticket_count() == count, 'nothing created'
    assert appointment_row(tomorrow_id)['status'] == 'booked'
    assert appointment_row(cancelled_id)['status'] == 'cancelled'


def test_desk_page_shows_the_arrival_and_calls_to_the_room(driver, kiosk, staff, setup):
    """The participant's desk page hears "visitor arrived, room …" over the staff stream, lists the ticket with its
    appointment and room, and one call sends the visitor to the room (the display's call names the room)."""
    d = driver
    h.viewport(d, 1280, 800)
    staff.drain()
    h.open_desk(d, staff)
    time.sleep(1)  # the staff stream connects
    aid, ref = appointment(staff, setup, minutes=-1)  # due now
    r = h.expect(h.http('POST', f'/api/v1/locations/{staff.location_id}/check-ins', {'reference': ref},
                        headers={'Loket-Device': h.DEVICE} if h.DEVICE else None), 201).json
    room, number = setup['room']['name'], r['number']
    nl = h.texts('nl')
    expected = nl['staff.arrivedRoom'].replace('{number}', number).replace('{room}', room)
    h.wait(d, f"document.getElementById('arrivals').textContent.includes({expected!r})", 10, message='no arrival notice')
    h.wait(d, f"document.getElementById('q-body').textContent.includes({number!r})", 10, message='ticket not in the queue list')
    assert nl['staff.appointment'] in d.find_element('id', 'q-body').text
    h.screenshot(d, 'staff-nl-1280x800-arrival')
    violations = h.axe(d)
    assert not violations, violations
    d.find_element('id', 'b-next').click()
    h.wait(d, f"document.getElementById('cur-num').textContent === {number!r}", 10, message='desk did not call the visitor')
    assert room in d.find_element('id', 'cur-info').text
    h.wait(d, "!document.getElementById('arrivals').textContent", 10, message='the notice stays after the call')
    calls = h.expect(h.http('GET', f'/api/v1/locations/{staff.location_id}/calls'), 200).json['calls']
    assert calls[0]['number'] == number and calls[0]['deskName'] == room
    staff.release()
    assert appointment_row(aid)['status'] in ('noShow', 'done')
