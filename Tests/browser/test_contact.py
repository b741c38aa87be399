"""One contact person in the browser: the kiosk's contact-code mode (a valid code gives a ticket that shows and prints
the code, never the contact person's name; a wrong code a plain message and nothing created) in Dutch and Arabic, and
the desk page: "I will be the contact person" shows the code large and prints a slip, "Follow-up with me" books an
appointment with the staff member as contact person, and a handover names a colleague from the picker. axe-core on
every state; the results checked in the database (psql) and over the API."""
import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

import helpers as h

pytestmark = pytest.mark.server


def psql(sql, **params):
    assert h.DB_URL and shutil.which('psql'), 'LOKET_DATABASE_URL and psql are needed'
    args = ['psql', h.DB_URL, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1']
    for k, v in params.items():
        args += ['-v', f'{k}={v}']
    out = subprocess.run(args, input=sql, capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def ticket_count():
    return int(psql("SELECT count(*) FROM ticket"))


def plain(s):
    """Text without the bidi isolates the kiosk puts around values in right-to-left languages."""
    return s.replace('\u2068', '').replace('\u2069', '')


def compact(s):
    """Text from a PDF without spaces and bidi marks: pdftotext splits a left-to-right code inside right-to-left text."""
    return re.sub(r'[\s\u200e\u200f\u202a-\u202e\u2066-\u2069]', '', s)


def no_violations(d, name):
    h.screenshot(d, name)
    violations = h.axe(d)
    assert not violations, violations


def pdf_text(d, width_mm=80):
    """What an 80 mm printer would get: Chromium's print to PDF (print CSS), as text."""
    pdf = d.execute_cdp_cmd('Page.printToPDF', {'paperWidth': width_mm / 25.4, 'paperHeight': 150 / 25.4, 'printBackground': True,
                                                'marginTop': 0, 'marginBottom': 0, 'marginLeft': 0, 'marginRight': 0})
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'p.pdf')
        with open(path, 'wb') as f:
            f.write(base64.b64decode(pdf['data']))
        out = subprocess.run(['pdftotext', '-layout', path, '-'], capture_output=True, text=True, timeout=20)
        assert out.returncode == 0, out.stderr
        return out.stdout


@pytest.fixture(scope='module')
def code(staff):
    """The test staff member serves a walk-in and becomes their contact person: the code (over the API)."""
    staff.drain()
    h.take_ticket(staff.location_id, staff.service['id'])
    visit = h.expect(staff.call_next(), 200).json
    c = h.expect(staff.post(f'/api/v1/tickets/{visit["id"]}/contact-person', {'note': 'Browser test'}), 201).json['code']
    h.expect(staff.act(visit['id'], 'finish'), 200)
    return c


def kiosk_url(extra=''):
    params = [p for p in (extra, f'device={h.DEVICE}' if h.DEVICE else '') if p]
    return f'{h.BASE}/kiosk/{h.LOCATION}' + ('?' + '&'.join(params) if params else '')


def open_contact(d, lang):
    d.get(kiosk_url('print=off' if lang == 'nl' else f'lang={lang}&print=off'))
    h.wait(d, "document.querySelectorAll('#tiles .tile').length > 0", 10, message='kiosk start screen did not appear')
    d.find_element('id', 'ci-open').click()
    h.wait(d, "document.body.dataset.screen === 'checkin' && document.getElementById('ci-mode').textContent", 10,
           message='check-in screen did not appear')
    tx = h.texts(lang)
    d.find_element('id', 'ci-mode').click()
    h.wait(d, f"document.getElementById('h-checkin').textContent === {tx['contact.title']!r}", 5, message='no contact-code mode')
    return tx


@pytest.mark.parametrize('lang', ['nl', 'ar'])
def test_kiosk_ticket_with_a_contact_code_shows_and_prints_the_code(driver, kiosk, staff, code, lang):
    d = driver
    h.viewport(d, 800, 480)
    tx = open_contact(d, lang)
    assert d.execute_script("return document.documentElement.dir") == ('rtl' if lang == 'ar' else 'ltr')
    no_violations(d, f'contact-{lang}-800x480-keys')
    for c in code:
        d.find_element('css selector', f'#s-checkin [data-key="{c}"]').click()
    d.find_element('css selector', '#ci-form [type="submit"]').click()
    h.wait(d, "document.body.dataset.screen === 'ticket' && document.getElementById('tk-code').textContent", 10,
           message='no ticket with the code')
    number = d.find_element('id', 'tk-num').text
    shown = plain(d.find_element('id', 'tk-code').text)
    assert shown == tx['contact.ticketCode'].replace('{code}', code)
    page = d.find_element('tag name', 'body').text
    assert staff.display_name not in page, 'never the contact person\'s name on a public screen'
    row = json.loads(psql("SELECT to_jsonb(t) FROM ticket t WHERE t.contact_person_id = (SELECT id FROM contact_person WHERE code = :'c' "
                          "AND ended_at IS NULL) ORDER BY arrived_at DESC LIMIT 1", c=code))
    assert h.row_has_number(row, number) and row['language'] == lang
    no_violations(d, f'contact-{lang}-800x480-ticket')
    printed = pdf_text(d)
    assert code in compact(printed) and number in compact(printed), printed
    assert compact(staff.display_name) not in compact(printed)
    # The next visitor takes a plain number: no code of the previous one stays on the ticket.
    d.find_element('css selector', '#s-ticket [data-go="home"]').click()
    h.wait(d, "document.body.dataset.screen !== 'ticket'", 5)
    h.wait(d, "document.querySelectorAll('#tiles .tile').length > 0", 5)
    staff.drain()


@pytest.mark.parametrize('lang', ['nl', 'ar'])
def test_kiosk_wrong_contact_code_says_so_and_creates_nothing(driver, kiosk, code, lang):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    d = driver
    h.viewport(d, 800, 480)
    count = ticket_count()
    tx = open_contact(d, lang)
    wrong = 'ZZZZZZ' if code != 'ZZZZZZ' else 'YYYYYY'
    for typed, key in [(wrong, 'contact.unknown'), ('O0I1L', 'contact.invalid')]:
        d.find_element('id', 'ci-ref').clear()
        ActionChains(d).send_keys(typed + Keys.ENTER).perform()
        h.wait(d, "document.getElementById('ci-err').textContent", 5, message=f'no message for {typed}')
        assert d.find_element('id', 'ci-err').text == tx[key], typed
        assert d.execute_script("return document.body.dataset.screen") == 'checkin'
        if key == 'contact.unknown':
            no_violations(d, f'contact-{lang}-800x480-wrong')
        d.find_element('id', 'ci-del').click()
    assert ticket_count() == count, 'nothing created'


# ---- desk page ---------------------------------------------------------------------------------------------------

def call_at_desk(d, staff, language='nl'):
    """A walk-in for the staff member's service, called with the desk page's button; returns the ticket."""
    staff.drain()
    t = h.take_ticket(staff.location_id, staff.service['id'], language=language)
    h.wait(d, f"document.getElementById('q-body').textContent.includes({t['number']!r})", 10, message='ticket not in the queue list')
    d.find_element('id', 'b-next').click()
    h.wait(d, f"document.getElementById('cur-num').textContent === {t['number']!r}", 10, message='desk did not call the visitor')
    return t


def select(d, select_id, value):
    d.execute_script("const s = document.getElementById(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('change'));",
                     select_id, value)


@pytest.fixture(scope='module')
def desk_driver(server):
    d = h.chrome(1366, 768)
    yield d
    d.quit()


def test_desk_contact_code_shown_large_and_printed_on_a_slip_in_the_visitors_language(desk_driver, kiosk, staff):
    d = desk_driver
    h.open_desk(d, staff)
    t = call_at_desk(d, staff, language='tr')
    d.find_element('id', 'b-contact').click()
    h.wait(d, "!document.getElementById('code-box').hidden && document.getElementById('cur-code').textContent", 10, message='no code shown')
    code = psql("SELECT code FROM contact_person WHERE ticket_id = :'t' AND ended_at IS NULL", t=t['id'])
    assert len(code) == 6 and code in d.find_element('id', 'cur-code').text
    size = d.execute_script("return parseFloat(getComputedStyle(document.querySelector('#cur-code .big-code')).fontSize)")
    assert d.find_element('css selector', '#cur-code .big-code').text == code
    assert size >= 30, f'the code is large: {size}px'
    no_violations(d, 'staff-nl-1366x768-contact-code')
    # The slip: what "Print" sends to the printer (window.print is stubbed; the print CSS is what the PDF shows).
    d.execute_script("window.print = () => { window.__printed = (window.__printed || 0) + 1; }")
    d.find_element('id', 'b-print').click()
    h.wait(d, "window.__printed === 1", 10, message='print was not asked')
    tr = h.texts('tr')
    assert d.find_element('id', 'slip').get_attribute('lang') == 'tr'
    printed = pdf_text(d)
    assert code in compact(printed) and tr['contact.slipTitle'] in printed, printed
    assert tr['contact.slipExplain'].split()[0] in printed, printed
    assert t['number'] not in printed and 'Volgende roepen' not in printed, 'only the slip is printed'
    staff.release()


@pytest.fixture(scope='module')
def follow_up_type(staff):
    """A type the test staff member takes alone, and their weekly availability at the demo location (09:00–17:00)."""
    ty = h.expect(h.http('POST', '/api/v1/appointment-types', {
        'code': 'fu-' + h.rand(6), 'name': 'Vervolg ' + h.rand(4), 'durationMinutes': 30,
        'requirements': [{'serviceId': staff.service['id']}], 'minNoticeMinutes': 0}, token=h.ADMIN), 201).json
    psql("INSERT INTO staff_availability (staff_id, location_id, weekday, starts, ends) "
         "SELECT s.id, :'loc', w::smallint, '09:00', '17:00' FROM staff s, generate_series(1, 5) AS w WHERE s.username = :'u'",
         loc=staff.location_id, u=staff.username)
    return ty


def test_desk_follow_up_with_me_books_with_the_staff_member_as_contact_person(desk_driver, kiosk, staff, follow_up_type):
    d = desk_driver
    h.open_desk(d, staff)
    call_at_desk(d, staff)
    d.find_element('id', 'b-fu').click()
    h.wait(d, "!document.getElementById('f-fu').hidden", 10, message='no follow-up form')
    select(d, 'fu-type', follow_up_type['id'])
    h.wait(d, "document.getElementById('fu-time').options.length > 0", 10, message='no free times offered')
    no_violations(d, 'staff-nl-1366x768-follow-up')
    # Without the name the type asks for: the message sits at the field, nothing is booked.
    d.find_element('id', 'fu-book').click()
    h.wait(d, "document.getElementById('fu-name').getAttribute('aria-invalid') === 'true'", 5, message='missing name not flagged')
    assert d.execute_script("return document.activeElement.id") == 'fu-name'
    no_violations(d, 'staff-nl-1366x768-follow-up-invalid')
    d.find_element('id', 'fu-name').send_keys('Jan Jansen')
    d.find_element('id', 'fu-email').send_keys('jan@example.nl')
    start = d.execute_script("return document.getElementById('fu-time').value")
    d.find_element('id', 'fu-book').click()
    h.wait(d, "document.getElementById('fu-done').textContent", 15, message='no booking shown')
    done = d.find_element('id', 'fu-done').text
    row = json.loads(psql(
        "SELECT json_build_object('ref', a.reference, 'staff', c.staff_id, 'me', (SELECT id FROM staff WHERE username = :'u'), "
        "'start', a.starts_at = :'start'::timestamptz) "
        "FROM appointment a JOIN contact_person c ON c.id = a.contact_person_id "
        "WHERE a.appointment_type_id = :'ty' ORDER BY a.created_at DESC LIMIT 1",
        u=staff.username, ty=follow_up_type['id'], start=start))
    assert row['staff'] == row['me'], 'the appointment is with the staff member as contact person'
    assert row['start'] and row['ref'] in done, done
    no_violations(d, 'staff-nl-1366x768-follow-up-booked')
    staff.release()


def test_desk_handover_to_a_named_colleague_from_the_picker(desk_driver, kiosk, staff):
    d = desk_driver
    # A colleague of the same services, on duty today: logged in and served someone at their desk.
    colleague = h.Staff(kiosk)
    staff.drain()
    h.take_ticket(colleague.location_id, staff.service['id'])
    served = h.expect(colleague.call_next(), 200).json
    h.expect(colleague.act(served['id'], 'finish'), 200)
    h.open_desk(d, staff)
    t = call_at_desk(d, staff)
    d.find_element('id', 'b-hand').click()
    select(d, 'h-svc', staff.service['id'])
    h.wait(d, f"[...document.getElementById('h-who').options].some(o => o.value === {colleague_id(colleague)!r})", 10,
           message='colleague not in the picker')
    label = d.execute_script("return [...document.getElementById('h-who').options].find(o => o.value === arguments[0]).textContent",
                             colleague_id(colleague))
    assert colleague.display_name in label and h.texts('nl')['staff.onDuty'] in label, label
    select(d, 'h-who', colleague_id(colleague))
    d.find_element('id', 'h-note').send_keys('Vraag over de brief van maart')
    no_violations(d, 'staff-nl-1366x768-handover-picker')
    d.find_element('css selector', '#f-hand button[type=submit]').click()
    h.wait(d, "document.getElementById('cur-num').textContent === ''", 10, message='ticket stayed at the desk')
    hop = json.loads(psql("SELECT json_build_object('to', h.to_staff_id, 'note', h.note, 'offered', t.offered_to) "
                          "FROM ticket_handover h JOIN ticket t ON t.id = h.ticket_id WHERE h.ticket_id = :'t' ORDER BY h.id DESC LIMIT 1",
                          t=t['id']))
    assert hop['to'] == colleague_id(colleague) and hop['note'] == 'Vraag over de brief van maart'
    assert hop['offered'] == [colleague_id(colleague)], 'offered first to the colleague (on duty)'
    queue = h.expect(h.http('GET', f'/api/v1/locations/{staff.location_id}/queue', token=colleague.token), 200).json['items']
    mine = next(i for i in queue if i['id'] == t['id'])
    assert mine['forPerson'] == 'me' and mine['offeredToMe'] is True
    # The colleague reads the note (audited), as the picker's receiving agency.
    notes = h.expect(h.http('GET', f'/api/v1/tickets/{t["id"]}/notes', token=colleague.token), 200).json['items']
    assert [n['note'] for n in notes] == ['Vraag over de brief van maart']
    h.expect(colleague.call_next(), 200)
    colleague.release()


_ids = {}


def colleague_id(s):
    if s.username not in _ids:
        _ids[s.username] = psql("SELECT id FROM staff WHERE username = :'u'", u=s.username)
    return _ids[s.username]
