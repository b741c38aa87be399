"""Coordinator console (/coordinator): coordinators of three agencies each set a staff member's weekly availability
through the Calendars tab (one with a validation error shown at the field first), then the demo coordinator plans the
demo's joint type (gemeente debt help + UWV + SVB, in a room) with those three named, books it (hold, the visitor's
details, confirm) and sees the reference; the appointment exists in the API with the three participants and a room;
the week view shows it; it is rescheduled and cancelled through the page. axe-core on each tab, keyboard only at
1366x768. Staff and the two other agencies' coordinators are made with the admin token."""
import re
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

import helpers as h

pytestmark = pytest.mark.server

REF = re.compile(r'^[2-9A-HJKMNP-Z]{6}$')
DEMO_COORDINATOR = ('coordinator', 'demo-coordinator')


def by_code(path, code):
    items = h.expect(h.http('GET', path, token=h.ADMIN), 200).json['items']
    found = [x for x in items if x.get('code') == code]
    assert found, f'{code} not in {path}'
    return found[0]


@pytest.fixture(scope='module')
def world(kiosk):
    """Three new staff (gemeente debt help, UWV WW, SVB AOW) and coordinators for UWV and SVB (the demo has one for
    the gemeente); a coordinator keeps the calendars of their own agency's staff."""
    location = kiosk['location']['id']
    jtype = by_code('/api/v1/appointment-types', 'samen-geldzorgen')
    tag = h.rand(4)
    staff, coordinators = [], {}
    for agency, service in [('gemeente', 'schulden'), ('uwv', 'ww-uitkering'), ('svb', 'aow')]:
        a = by_code('/api/v1/agencies', agency)
        svc = by_code('/api/v1/services', service)
        member = h.expect(h.http('POST', '/api/v1/staff', {
            'agencyId': a['id'], 'username': f'plan-{agency}-{tag}', 'password': 'Plan-test-' + h.rand(16),
            'displayName': f'Planbaar {agency.upper()} {tag}', 'role': 'staff', 'serviceIds': [svc['id']]}, token=h.ADMIN), 201).json
        staff.append({'id': member['id'], 'name': member['displayName'], 'agency': agency})
        if agency == 'gemeente':
            coordinators[agency] = DEMO_COORDINATOR
        else:
            password = 'Coord-test-' + h.rand(16)
            h.expect(h.http('POST', '/api/v1/staff', {
                'agencyId': a['id'], 'username': f'coord-{agency}-{tag}', 'password': password,
                'displayName': f'Coördinator {agency.upper()}', 'role': 'coordinator', 'serviceIds': []}, token=h.ADMIN), 201)
            coordinators[agency] = (f'coord-{agency}-{tag}', password)
    return {'location': location, 'type': jtype, 'staff': staff, 'coordinators': coordinators}


@pytest.fixture(scope='module')
def d(server):
    driver = h.chrome(1366, 768)
    yield driver
    driver.quit()


def visible(d, element_id):
    return d.execute_script(f"const e = document.getElementById('{element_id}'); return !!e && !e.closest('[hidden]') && e.offsetParent !== null")


def login(d, username, password, fragment):
    d.get('about:blank')  # a fresh page, not just a new #fragment of the same one
    d.get(f'{h.BASE}/coordinator#{fragment}')
    h.wait(d, "document.getElementById('l-user') && !document.getElementById('v-login').hidden "
              "|| document.getElementById('logout') && !document.getElementById('logout').hidden", 10)
    if visible(d, 'logout'):
        d.find_element(By.ID, 'logout').click()
        h.wait(d, "!document.getElementById('v-login').hidden", 10)
    assert h.axe(d) == [], 'login view'
    d.find_element(By.ID, 'l-user').clear()
    d.find_element(By.ID, 'l-user').send_keys(username)
    d.find_element(By.ID, 'l-pass').send_keys(password + Keys.ENTER)
    try:
        h.wait(d, "document.getElementById('v-login').hidden && performance.getEntriesByName('coordinator-ready').length > 0", 15)
    except AssertionError:
        raise AssertionError(f"not logged in as {username}: {flash(d)} {d.find_element(By.ID, 'l-err').text}")


def flash(d):
    return d.find_element(By.ID, 'flash').text


def no_violations(d, what):
    v = h.axe(d)
    assert v == [], f'{what}: {v}'


def test_coordinators_set_availability_then_plan_book_move_and_cancel_a_joint_appointment(d, world):
    # 1. Each agency's coordinator sets their staff member's availability: Wednesdays 09:00-17:00 at this location.
    for i, member in enumerate(world['staff']):
        user, password = world['coordinators'][member['agency']]
        login(d, user, password, 'agendas')
        h.wait(d, "!document.getElementById('v-cal').hidden && document.getElementById('a-staff').options.length > 0", 10)
        Select(d.find_element(By.ID, 'a-staff')).select_by_value(member['id'])
        h.wait(d, f"document.getElementById('f-avail').dataset.loaded === '{member['id']}'", 10, message=f"calendar of {member['agency']} loaded: {flash(d)}")
        rows_before = d.execute_script("return document.getElementById('avail-rows').rows.length")
        assert rows_before == 0, f"a new staff member has no availability yet ({member['agency']})"
        d.find_element(By.ID, 'avail-add').click()
        row = d.find_elements(By.CSS_SELECTOR, '#avail-rows tr')[-1]
        Select(row.find_element(By.CSS_SELECTOR, '[data-k="weekday"]')).select_by_visible_text('woensdag')
        if i == 0:
            # A mistake first: the end before the start is named at the field and in the flash, nothing is saved.
            d.execute_script("arguments[0].value = '08:00'", row.find_element(By.CSS_SELECTOR, '[data-k="end"]'))
            d.find_element(By.CSS_SELECTOR, '#f-avail button[type="submit"]').click()
            h.wait(d, "document.querySelector('#avail-rows [aria-invalid=\"true\"]') !== null", 10, message='field marked invalid')
            bad = d.find_element(By.CSS_SELECTOR, '#avail-rows [aria-invalid="true"]')
            described = bad.get_attribute('aria-describedby')
            assert described and d.find_element(By.ID, described.split()[-1]).text, 'the message is tied to the field'
            assert 'Niet opgeslagen' in flash(d) and 'bad' in d.find_element(By.ID, 'flash').get_attribute('class')
            no_violations(d, 'calendars tab with a field error')
            saved = h.expect(h.http('GET', f"/api/v1/staff/{member['id']}/availability", token=h.ADMIN), 200).json
            assert saved['intervals'] == []
            d.execute_script("arguments[0].value = '17:00'", row.find_element(By.CSS_SELECTOR, '[data-k="end"]'))
        d.find_element(By.CSS_SELECTOR, '#f-avail button[type="submit"]').click()
        h.wait(d, "document.getElementById('flash').textContent.startsWith('Beschikbaarheid van')", 10,
               message=f'saved for {member["name"]}: ' + flash(d))
        saved = h.expect(h.http('GET', f"/api/v1/staff/{member['id']}/availability", token=h.ADMIN), 200).json['intervals']
        assert [(x['locationId'], x['weekday'], x['start'], x['end']) for x in saved] == [(world['location'], 3, '09:00', '17:00')], saved
        if i == 0:
            assert d.find_elements(By.CSS_SELECTOR, '#avail-rows [aria-invalid="true"]') == [], 'the error is cleared'
            no_violations(d, 'calendars tab')

    # 2. The demo coordinator plans the joint type with the three named, by keyboard, at 1366x768.
    login(d, *DEMO_COORDINATOR, 'plannen')
    h.wait(d, "!document.getElementById('v-plan').hidden", 10)
    assert Select(d.find_element(By.ID, 'p-type')).first_selected_option.get_attribute('value') == world['type']['id']
    for i, member in enumerate(world['staff']):
        Select(d.find_element(By.ID, f'p-staff-{i}')).select_by_value(member['id'])
    # An interpreter in Arabic, by phone.
    d.find_element(By.ID, 'n-interpreter').send_keys(Keys.SPACE)
    h.wait(d, "!document.getElementById('p-interp').hidden", 5)
    d.find_element(By.ID, 'p-interp-lang').send_keys('ar')
    no_violations(d, 'plan tab')
    # Keyboard only: Tab from the persons field to the search button and press Enter.
    d.find_element(By.ID, 'p-persons').click()
    for _ in range(40):
        if d.switch_to.active_element.text == 'Zoek vrije tijden':
            break
        d.switch_to.active_element.send_keys(Keys.TAB)
    assert d.switch_to.active_element.text == 'Zoek vrije tijden', 'the search button is reachable by Tab'
    outline = d.execute_script("return getComputedStyle(document.activeElement).outlineStyle")
    assert outline != 'none', 'focus is visible'
    d.switch_to.active_element.send_keys(Keys.ENTER)
    h.wait(d, "document.querySelectorAll('#t-proposals [data-pick]').length > 0", 30, message='proposals shown')
    rows = d.find_elements(By.CSS_SELECTOR, '#t-proposals tbody tr')
    for r in rows:
        for member in world['staff']:
            assert member['name'] in r.text, f'every proposal names {member["name"]}: {r.text}'
        assert 'Spreekkamer' in r.text, r.text
    assert 'wo ' in rows[0].text, f'Wednesdays only: {rows[0].text}'
    no_violations(d, 'plan tab with proposals')
    assert d.execute_script("return document.documentElement.scrollWidth") <= 1366, 'no sideways scrolling at 1366x768'

    # Choose the first by keyboard, fill the visitor's details, hold, confirm.
    pick = d.find_element(By.CSS_SELECTOR, '#t-proposals [data-pick="0"]')
    pick.send_keys(Keys.ENTER)
    h.wait(d, "document.activeElement.id === 'h-book'", 5, message='focus moves to the booking form')
    d.find_element(By.ID, 'b-name').send_keys('Test Burger')
    d.find_element(By.ID, 'b-email').send_keys('burger@example.nl')
    d.find_element(By.ID, 'b-email').send_keys(Keys.ENTER)
    h.wait(d, "!document.getElementById('p-held').hidden", 15, message='held')
    assert 'Vastgehouden tot' in d.find_element(By.ID, 'p-held-text').text
    assert d.switch_to.active_element.get_attribute('id') == 'b-confirm'
    d.switch_to.active_element.send_keys(Keys.ENTER)
    h.wait(d, "!document.getElementById('p-done').hidden && document.getElementById('d-ref').textContent.length === 6", 15, message='booked')
    reference = d.find_element(By.ID, 'd-ref').text
    assert REF.match(reference), reference
    assert reference in flash(d)
    no_violations(d, 'plan tab after booking')

    # 3. In the API: booked, three participants (the named), a room.
    appt = find_appointment(world['location'], reference)
    assert appt['status'] == 'booked'
    assert sorted(p['staffId'] for p in appt['participants']) == sorted(m['id'] for m in world['staff'])
    assert appt['roomId'] and appt['roomName'], appt
    assert appt['citizen']['name'] == 'Test Burger' and appt['citizen']['needs'] == ['interpreter']
    assert [(a['kind'], a['language'], a['mode']) for a in appt.get('attendees', [])] == [('interpreter', 'ar', 'phone')], appt

    # An absence of the gemeente member the day after, entered on the page in local time.
    d.execute_script("location.hash = '#agendas'")
    h.wait(d, "!document.getElementById('v-cal').hidden && document.getElementById('a-staff').options.length > 0", 10)
    gemeente = world['staff'][0]
    Select(d.find_element(By.ID, 'a-staff')).select_by_value(gemeente['id'])
    h.wait(d, f"document.getElementById('f-avail').dataset.loaded === '{gemeente['id']}'", 10)
    next_day = d.execute_script("const t = new Date(arguments[0] + 'T12:00:00Z'); t.setUTCDate(t.getUTCDate() + 1); return t.toISOString().slice(0, 10)",
                                appt['start'][:10])
    d.execute_script("document.getElementById('ab-start').value = arguments[0]; document.getElementById('ab-end').value = arguments[1]",
                     next_day + 'T09:00', next_day + 'T12:00')
    Select(d.find_element(By.ID, 'ab-reason')).select_by_value('training')
    d.find_element(By.CSS_SELECTOR, '#f-absence button[type="submit"]').click()
    h.wait(d, "document.getElementById('flash').textContent.startsWith('Afwezigheid van')", 10, message='absence added')
    absences = h.expect(h.http('GET', f"/api/v1/staff/{gemeente['id']}/absences", token=h.ADMIN), 200).json['items']
    assert len(absences) == 1 and absences[0]['reason'] == 'training'
    offset = appt['start'][19:]  # the location's offset that week, e.g. +01:00
    assert h.http('GET', f"/api/v1/locations/{world['location']}/staff-week?from={next_day}&staffIds={gemeente['id']}",
                  token=h.ADMIN).json['staff'][0]['absences'][0]['start'] == f'{next_day}T09:00:00{offset}', 'local wall clock kept'

    # 4. The week view shows it for the three, side by side.
    h.wait(d, "document.getElementById('w-staff-list').querySelectorAll('input').length > 0", 10)
    d.execute_script("document.getElementById('w-date').value = arguments[0]", appt['start'][:10])
    # Nobody chosen: said at the first box and in the flash.
    for box in d.find_elements(By.CSS_SELECTOR, '#w-staff-list input:checked'):
        box.click()
    d.find_element(By.CSS_SELECTOR, '#f-week button[type="submit"]').click()
    h.wait(d, "document.querySelector('#w-staff-list input[aria-invalid=\"true\"]') !== null", 5, message='nobody chosen')
    assert 'kies ten minste één medewerker' in flash(d)
    no_violations(d, 'week view with a field error')
    for member in world['staff']:
        d.find_element(By.CSS_SELECTOR, f'#w-staff-list input[value="{member["id"]}"]').click()
    d.find_element(By.CSS_SELECTOR, '#f-week button[type="submit"]').click()
    h.wait(d, "!document.getElementById('t-week').hidden && document.querySelectorAll('#t-week tbody tr').length === 3", 10)
    week_rows = {r.find_element(By.CSS_SELECTOR, 'th[scope="row"]').text.split('\n')[0]: r
                 for r in d.find_elements(By.CSS_SELECTOR, '#t-week tbody tr')}
    for member in world['staff']:
        r = week_rows[member['name']]
        assert reference in r.text and 'Beschikbaar 09:00–17:00' in r.text, r.text
    assert 'Afwezig 09:00–12:00' in week_rows[gemeente['name']].text
    assert 'training' not in d.find_element(By.ID, 't-week').text, 'the week view never shows why someone is away'
    assert len(d.find_elements(By.CSS_SELECTOR, '#t-week thead th[scope="col"]')) == 8
    no_violations(d, 'calendars tab with the week view')

    # 5. Reschedule to another proposed time, then cancel with the confirm step.
    # A fresh page finds the appointment by its reference.
    d.get(f'{h.BASE}/coordinator#plannen')
    h.wait(d, "!document.getElementById('v-plan').hidden && performance.getEntriesByName('coordinator-ready').length > 0", 15)
    d.find_element(By.ID, 'f-ref').send_keys(reference.lower() + Keys.ENTER)
    h.wait(d, "!document.getElementById('p-done').hidden", 15, message='found by reference')
    assert d.find_element(By.ID, 'd-ref').text == reference
    d.find_element(By.ID, 'd-move').click()
    h.wait(d, "document.querySelectorAll('#t-proposals [data-pick]').length > 1 && !document.getElementById('p-moving').hidden", 30)
    target = d.find_element(By.CSS_SELECTOR, '#t-proposals [data-pick="1"]')
    target.click()
    h.wait(d, "document.getElementById('flash').textContent.includes('verzet')", 15, message='moved')
    moved = find_appointment(world['location'], reference)
    assert moved['start'] != appt['start'] and moved['sequence'] == appt['sequence'] + 1, (appt['start'], moved['start'])
    assert sorted(p['staffId'] for p in moved['participants']) == sorted(m['id'] for m in world['staff']), 'the same people by default'
    for member in world['staff']:
        assert member['name'] in d.find_element(By.ID, 'd-who').text
    d.find_element(By.ID, 'd-cancel').click()
    assert visible(d, 'd-cancel-box') and d.switch_to.active_element.get_attribute('id') == 'd-cancel-yes'
    no_violations(d, 'cancel confirmation')
    assert find_appointment(world['location'], reference)['status'] == 'booked', 'nothing happens before the confirm step'
    d.switch_to.active_element.send_keys(Keys.ENTER)
    h.wait(d, "document.getElementById('flash').textContent.includes('geannuleerd')", 15, message='cancelled')
    assert find_appointment(world['location'], reference, statuses='cancelled')['status'] == 'cancelled'
    h.screenshot(d, 'coordinator-cancelled')


def find_appointment(location, reference, statuses='held,booked'):
    from datetime import datetime, timedelta, timezone
    now = datetime.now(timezone.utc)
    q = (f"from={(now - timedelta(days=1)).strftime('%Y-%m-%dT%H:%M:%SZ')}&to={(now + timedelta(days=60)).strftime('%Y-%m-%dT%H:%M:%SZ')}"
         f"&locationId={location}&status={statuses}&limit=1000")
    items = h.expect(h.http('GET', f'/api/v1/appointments?{q}', token=h.ADMIN), 200).json['items']
    hits = [a for a in items if a['reference'] == reference]
    assert hits, f'{reference} not found'
    return hits[0]


def test_opening_hours_closures_holidays_and_rooms_through_the_calendars_tab(d, world):
    """Opening hours are saved as shown (a mistake first, named at its row's field), a closure far ahead is added and
    removed again, the holidays table says which days close, a room is added, changed and taken out of use. The demo
    location's calendar ends as it began, so other tests on this server are not affected."""
    location = world['location']
    before = h.expect(h.http('GET', f'/api/v1/locations/{location}/opening-hours'), 200).json
    login(d, *DEMO_COORDINATOR, 'agendas')
    h.wait(d, "!document.getElementById('v-cal').hidden && document.querySelectorAll('#hours-rows tr').length > 0", 10)
    assert len(d.find_elements(By.CSS_SELECTOR, '#hours-rows tr')) == len(before['weekly'])

    # A closing time before the opening time on the second row.
    row = d.find_elements(By.CSS_SELECTOR, '#hours-rows tr')[1]
    d.execute_script("arguments[0].value = '08:00'", row.find_element(By.CSS_SELECTOR, '[data-k="closes"]'))
    d.find_element(By.CSS_SELECTOR, '#f-hours button[type="submit"]').click()
    h.wait(d, "document.querySelector('#hours-rows [aria-invalid=\"true\"]') !== null", 10, message='opening hours error shown')
    bad = d.find_element(By.CSS_SELECTOR, '#hours-rows [aria-invalid="true"]')
    assert bad.get_attribute('data-field').startswith('weekly[1]'), bad.get_attribute('data-field')
    assert 'Niet opgeslagen' in flash(d)
    no_violations(d, 'opening hours with an error')
    d.execute_script("arguments[0].value = arguments[1]", row.find_element(By.CSS_SELECTOR, '[data-k="closes"]'), before['weekly'][1]['closes'])

    # A closure 200 days ahead, saved with the (unchanged) weekly hours.
    closure_day = d.execute_script("const t = new Date(); t.setUTCDate(t.getUTCDate() + 200); return t.toISOString().slice(0, 10)")
    d.find_element(By.ID, 'closure-add').click()
    crow = d.find_elements(By.CSS_SELECTOR, '#closure-rows tr')[-1]
    d.execute_script("arguments[0].value = arguments[1]", crow.find_element(By.CSS_SELECTOR, '[data-k="date"]'), closure_day)
    crow.find_element(By.CSS_SELECTOR, '[data-k="reason"]').send_keys('Verbouwing')
    d.find_element(By.CSS_SELECTOR, '#f-hours button[type="submit"]').click()
    h.wait(d, "document.getElementById('flash').textContent === 'Openingstijden opgeslagen.'", 10, message='opening hours saved')
    after = h.expect(h.http('GET', f'/api/v1/locations/{location}/opening-hours'), 200).json
    assert after['weekly'] == before['weekly']
    assert {'date': closure_day, 'reason': 'Verbouwing'} in after['closures']
    # …and removed again.
    gone = [r for r in d.find_elements(By.CSS_SELECTOR, '#closure-rows tr')
            if r.find_element(By.CSS_SELECTOR, '[data-k="date"]').get_attribute('value') == closure_day][0]
    gone.find_element(By.CSS_SELECTOR, '[data-remove]').click()
    d.find_element(By.CSS_SELECTOR, '#f-hours button[type="submit"]').click()
    h.wait(d, "document.getElementById('flash').textContent === 'Openingstijden opgeslagen.'", 10)
    assert h.expect(h.http('GET', f'/api/v1/locations/{location}/opening-hours'), 200).json['closures'] == before['closures']

    # Holidays: King's Day 2027 (a Tuesday) closes; Good Friday is this location's choice (open in the demo).
    year = d.find_element(By.ID, 'hol-year')
    year.clear()
    year.send_keys('2027')
    d.find_element(By.ID, 'hol-show').click()
    h.wait(d, "document.getElementById('c-hol').textContent === 'Feestdagen 2027'", 10)
    table = d.find_element(By.ID, 't-hol').text
    assert re.search(r'27 apr 2027 Koningsdag gesloten', table), table
    assert re.search(r'Goede Vrijdag keuze open', table), table

    # A room: added, its capacity changed, taken out of use (so it is never proposed to other tests).
    name = 'Testkamer ' + h.rand(4).upper()
    d.find_element(By.ID, 'r-name').send_keys(name)
    cap = d.find_element(By.ID, 'r-cap')
    cap.clear()
    cap.send_keys('3' + Keys.ENTER)
    h.wait(d, "document.getElementById('flash').textContent === 'Ruimte toegevoegd.'", 10)
    rooms = h.expect(h.http('GET', f'/api/v1/locations/{location}/rooms', token=h.ADMIN), 200).json['items']
    room = [r for r in rooms if r['name'] == name][0]
    assert room['capacity'] == 3
    rrow = d.find_element(By.CSS_SELECTOR, f'#room-rows tr[data-room="{room["id"]}"]')
    capacity = rrow.find_element(By.CSS_SELECTOR, '[data-field="capacity"]')
    capacity.clear()
    capacity.send_keys('0')
    rrow.find_element(By.CSS_SELECTOR, '[data-save-room]').click()
    h.wait(d, f"document.querySelector('#room-rows tr[data-room=\"{room['id']}\"] [aria-invalid=\"true\"]') !== null", 10,
           message='capacity 0 refused at the field')
    no_violations(d, 'rooms with an error')
    rrow = d.find_element(By.CSS_SELECTOR, f'#room-rows tr[data-room="{room["id"]}"]')
    capacity = rrow.find_element(By.CSS_SELECTOR, '[data-field="capacity"]')
    capacity.clear()
    capacity.send_keys('5')
    rrow.find_element(By.CSS_SELECTOR, '[data-field="active"]').click()
    rrow.find_element(By.CSS_SELECTOR, '[data-save-room]').click()
    h.wait(d, "document.getElementById('flash').textContent === 'Ruimte opgeslagen.'", 10)
    rooms = h.expect(h.http('GET', f'/api/v1/locations/{location}/rooms?includeInactive=true', token=h.ADMIN), 200).json['items']
    room = [r for r in rooms if r['name'] == name][0]
    assert (room['capacity'], room['active']) == (5, False)
    no_violations(d, 'calendars tab')


def test_the_console_is_csp_safe_and_self_contained():
    """As test_static.py checks the public pages: nothing the strict CSP blocks, nothing from other hosts; links go
    to the other staff pages of this server only."""
    import os
    html = open(os.path.join(h.KIOSK_DIR, 'coordinator.html'), encoding='utf-8').read()
    js = open(os.path.join(h.KIOSK_DIR, 'coordinator.js'), encoding='utf-8').read()
    assert '<html lang="nl" dir="ltr">' in html and '<link rel="icon" href="data:,">' in html
    assert not re.search(r'<script(?![^>]*\bsrc=)[^>]*>', html), 'inline <script> is blocked by the CSP'
    assert not re.search(r'\sstyle=', html) and '<style' not in html, 'inline styles are blocked by the CSP'
    assert not re.search(r'\son[a-z]+=', html + js), 'inline event handlers are blocked by the CSP'
    for ref in re.findall(r'(?:src|href)="([^"#][^"]*)"', html):
        assert ref.startswith('/assets/') or ref.startswith('data:') or ref in ('/coordinator/floor', '/coordinator/reports', '/admin'), ref
    assert 'style=' not in js and 'eval(' not in js and 'new Function' not in js and 'setInterval(' not in js
    assert not re.search(r'https?://', js + html), 'no third-party hosts'
