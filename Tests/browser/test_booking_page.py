"""The citizen's booking page /afspraak/{locationCode} and manage page /mijn-afspraak/{token} in headless Chromium.

Against the demo data (location "centrum", public type "Paspoort of ID-kaart aanvragen"): a citizen books in Dutch,
sees the reference, downloads the .ics (parsed with `icalendar`), moves and cancels the appointment with the manage
link (checked in the API); the same in Arabic (RTL) up to the confirmation; a slot taken between showing and
confirming gives the alternatives at once and keeps what was typed; the whole flow by keyboard alone; axe-core on
every step in nl and ar; no horizontal overflow on a 390x844 phone and at 200 % zoom of 1366x768.
"""
import glob
import json
import os
import re
import tempfile
import time

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import helpers as h

TYPE_CODE = 'paspoort-afspraak'
PAGES = ['booking', 'manage']


def booking_texts(lang):
    return json.load(open(os.path.join(h.KIOSK_DIR, 'i18n', 'booking', f'{lang}.json'), encoding='utf-8'))


def test_booking_pages_use_only_texts_that_exist_in_all_six_languages():
    """No server needed. The booking pages' own texts (data-bt and tr() keys) exist, non-empty and with the same
    {placeholders}, in every language; Arabic is right-to-left."""
    used = set()
    for page in PAGES:
        used |= set(re.findall(r'data-bt="([^"]+)"', open(os.path.join(h.KIOSK_DIR, page + '.html'), encoding='utf-8').read()))
    used |= set(re.findall(r"\btr\('([\w.]+)'", open(os.path.join(h.KIOSK_DIR, 'booking.js'), encoding='utf-8').read()))
    used = {k for k in used if not k.endswith('.')}  # tr('field.' + name): the prefix of a key, not one
    assert len(used) > 40
    nl = booking_texts('nl')
    for lang in h.LANGS:
        d = booking_texts(lang)
        assert d['_dir'] == ('rtl' if lang == 'ar' else 'ltr')
        missing = sorted(k for k in used if not str(d.get(k, '')).strip())
        assert not missing, f'{lang}: {missing}'
        assert set(d) == set(nl), f'{lang}: keys differ from nl: {set(d) ^ set(nl)}'
        for k, v in d.items():
            assert set(re.findall(r'\{(\w+)\}', v)) == set(re.findall(r'\{(\w+)\}', nl[k])), f'{lang}: {k}'


@pytest.mark.parametrize('page', PAGES)
def test_booking_page_is_csp_safe_and_self_contained(page):
    html = open(os.path.join(h.KIOSK_DIR, page + '.html'), encoding='utf-8').read()
    assert '<html lang="nl" dir="ltr">' in html
    assert '<link rel="icon" href="data:,">' in html
    assert not re.search(r'<script(?![^>]*\bsrc=)[^>]*>', html) and '<style' not in html
    assert not re.search(r'\sstyle=', html) and not re.search(r'\son[a-z]+=', html)
    for r in re.findall(r'(?:src|href)="([^"#][^"]*)"', html):
        assert r.startswith('/assets/') or r.startswith('data:'), r


@pytest.fixture(scope='module')
def place(server):
    locs = h.expect(h.http('GET', '/api/v1/booking/locations'), 200).json['items']
    loc = next(l for l in locs if l['code'] == h.LOCATION)
    types = h.expect(h.http('GET', f'/api/v1/booking/appointment-types?locationId={loc["id"]}'), 200).json['items']
    return {'location': loc, 'type': next(t for t in types if t['code'] == TYPE_CODE)}


def open_booking(d, lang='nl'):
    d.get(f'{h.BASE}/afspraak/{h.LOCATION}' + ('' if lang == 'nl' else f'?lang={lang}'))
    h.wait(d, "document.body.dataset.ready === '1'", 15)
    h.wait(d, "document.querySelectorAll('#types button').length > 0", 10)


def click(d, css):
    el = d.find_element(By.CSS_SELECTOR, css)
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
    el.click()
    return el


def no_violations(d, step):
    v = h.axe(d)
    assert v == [], f'axe-core on {step}: {v}'


def no_overflow(d, step):
    w = d.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert w[0] <= w[1], f'{step}: horizontal overflow {w[0]} > {w[1]}'


def choose_type(d, place):
    click(d, f'#types [data-type="{place["type"]["id"]}"]')
    h.wait(d, "document.querySelector('#days button:not([disabled])')", 15, message='no bookable day shown')


def choose_day(d):
    click(d, '#days button:not([disabled])')
    h.wait(d, "document.querySelector('#times button')", 10, message='no time shown')


def choose_time(d, index=0):
    buttons = d.find_elements(By.CSS_SELECTOR, '#times button')
    b = buttons[min(index, len(buttons) - 1)]
    start = b.get_attribute('data-start')
    d.execute_script("arguments[0].scrollIntoView({block: 'center'})", b)
    b.click()
    h.wait(d, "!document.getElementById('st-details').hidden", 5)
    return start


def fill(d, name, email=None, phone=None):
    d.find_element(By.ID, 'f-name').send_keys(name)
    if email:
        d.find_element(By.ID, 'f-email').send_keys(email)
    if phone:
        d.find_element(By.ID, 'f-phone').send_keys(phone)
    if not d.find_element(By.ID, 'consent').is_selected():
        click(d, '#consent')


def confirmed(d):
    h.wait(d, "document.body.dataset.done", 15, message='no confirmation shown')
    return d.find_element(By.ID, 'ref').text.strip()


def appointment_id(d):
    href = d.find_element(By.ID, 'ics').get_attribute('href')
    return href.split('/api/v1/appointments/')[1].split('/')[0]


def booked_named(place, name):
    today = time.strftime('%Y-%m-%dT00:00:00Z', time.gmtime())
    until = time.strftime('%Y-%m-%dT00:00:00Z', time.gmtime(time.time() + 90 * 86400))
    r = h.expect(h.http('GET', f'/api/v1/appointments?from={today}&to={until}&locationId={place["location"]["id"]}&limit=1000',
                        token=h.ADMIN), 200).json
    return [a for a in r['items'] if (a.get('citizen') or {}).get('name') == name and a['status'] != 'cancelled']


def admin_get(appt_id):
    return h.expect(h.http('GET', f'/api/v1/appointments/{appt_id}', token=h.ADMIN), 200).json


@pytest.mark.server
def test_dutch_citizen_books_downloads_ics_moves_and_cancels(place):
    from icalendar import Calendar
    downloads = tempfile.mkdtemp(prefix='loket-ics-')
    d = h.chrome(1366, 768)
    try:
        d.execute_cdp_cmd('Browser.setDownloadBehavior', {'behavior': 'allow', 'downloadPath': downloads})
        open_booking(d)
        assert d.execute_script("return document.documentElement.lang") == 'nl'
        assert d.find_element(By.ID, 'place').text == place['location']['name']
        no_violations(d, 'nl: what')
        choose_type(d, place)
        no_violations(d, 'nl: day')
        # Only bookable days are buttons one can press; the others are disabled and say so.
        off = d.find_elements(By.CSS_SELECTOR, '#days button[disabled]')
        assert off and all(b.get_attribute('aria-disabled') == 'true' for b in off)
        choose_day(d)
        no_violations(d, 'nl: time')
        start = choose_time(d)
        no_violations(d, 'nl: details')
        # Nothing filled in: the errors stand next to the fields and nothing is booked.
        click(d, '#confirm')
        h.wait(d, "document.getElementById('f-name').getAttribute('aria-invalid') === 'true'", 5)
        assert d.find_element(By.ID, 'f-name-e').is_displayed()
        assert d.find_element(By.ID, 'consent').get_attribute('aria-invalid') == 'true'
        assert d.execute_script("return document.activeElement.id") == 'f-name'
        no_violations(d, 'nl: details with errors')
        fill(d, 'Fatima de Vries', email='fatima@example.nl')
        click(d, '#confirm')
        ref = confirmed(d)
        assert len(ref) >= 5 and ref.isalnum(), ref
        assert start[11:16] in d.find_element(By.ID, 'when').text
        no_violations(d, 'nl: confirmation')
        appt = admin_get(appointment_id(d))
        assert appt['reference'] == ref and appt['status'] == 'booked' and appt['start'] == start
        assert appt['citizen']['name'] == 'Fatima de Vries' and appt['citizen']['language'] == 'nl'

        # "Zet in uw agenda": a real download that a calendar program can read.
        click(d, '#ics')
        deadline = time.time() + 15
        while not glob.glob(os.path.join(downloads, '*.ics')) and time.time() < deadline:
            time.sleep(0.2)
        files = glob.glob(os.path.join(downloads, '*.ics'))
        assert files, 'the .ics file was not downloaded'
        cal = Calendar.from_ical(open(files[0], 'rb').read())
        events = [c for c in cal.walk('VEVENT')]
        assert len(events) == 1
        assert ref in str(events[0].get('SUMMARY')) + str(events[0].get('DESCRIPTION'))
        assert events[0].decoded('DTSTART').isoformat()[:16] == start[:16]

        # The manage link: the appointment as the citizen sees it, then another time, then cancelled.
        manage = d.find_element(By.ID, 'manage').get_attribute('href')
        assert '/mijn-afspraak/' in manage
        d.get(manage)
        h.wait(d, "document.body.dataset.ready === '1'", 15)
        assert d.find_element(By.ID, 'm-ref').text == ref
        assert place['type']['name'] in d.find_element(By.ID, 'm-what').text
        assert place['location']['address'] in d.find_element(By.ID, 'm-where').text
        assert start[11:16] in d.find_element(By.ID, 'm-when').text
        no_violations(d, 'nl: manage')
        click(d, '#move')
        h.wait(d, "document.querySelector('#days button:not([disabled])')", 15)
        choose_day(d)
        times = [b.get_attribute('data-start') for b in d.find_elements(By.CSS_SELECTOR, '#times button')]
        new_start = next(t for t in times if t != start)
        click(d, f'#times button[data-start="{new_start}"]')
        no_violations(d, 'nl: manage, another time')
        click(d, '#confirm')
        h.wait(d, f"document.body.dataset.start === '{new_start}'", 10, message='not moved')
        assert admin_get(appt['id'])['start'] == new_start
        click(d, '#cancel')
        h.wait(d, "!document.getElementById('ask').hidden", 5)
        no_violations(d, 'nl: cancel, are you sure')
        assert admin_get(appt['id'])['status'] == 'booked', 'the confirm step comes first'
        click(d, '#yes')
        h.wait(d, "document.body.dataset.cancelled === '1'", 10)
        assert admin_get(appt['id'])['status'] == 'cancelled'
        no_violations(d, 'nl: cancelled')
        # The link is dead now, and the page says so plainly.
        d.get(manage)
        h.wait(d, "document.body.dataset.ready === '1'", 15)
        assert d.find_element(By.ID, 'flash').text and not d.find_element(By.ID, 'show').is_displayed()
    finally:
        d.quit()


@pytest.mark.server
def test_arabic_booking_is_right_to_left_to_the_confirmation(place):
    d = h.chrome(1366, 768)
    try:
        open_booking(d, 'ar')
        assert d.execute_script("return document.documentElement.dir") == 'rtl'
        assert d.execute_script("return document.documentElement.lang") == 'ar'
        assert d.find_element(By.ID, 'h-main').text == booking_texts('ar')['title']
        assert d.find_element(By.CSS_SELECTOR, '#langs a[aria-current]').get_attribute('lang') == 'ar'
        no_violations(d, 'ar: what')
        choose_type(d, place)
        no_violations(d, 'ar: day')
        choose_day(d)
        no_violations(d, 'ar: time')
        choose_time(d, 1)
        no_violations(d, 'ar: details')
        click(d, '#confirm')
        h.wait(d, "document.getElementById('consent').getAttribute('aria-invalid') === 'true'", 5)
        no_violations(d, 'ar: details with errors')
        name = 'ليلى حسن ' + h.rand(4)
        fill(d, name, phone='0612345678')
        # A double click books once.
        d.execute_script("const b = document.getElementById('confirm'); b.click(); b.click();")
        ref = confirmed(d)
        time.sleep(1)
        assert [a['reference'] for a in booked_named(place, name)] == [ref], 'one appointment for a double click'
        no_violations(d, 'ar: confirmation')
        appt = admin_get(appointment_id(d))
        assert appt['reference'] == ref and appt['citizen']['language'] == 'ar'
        manage = d.find_element(By.ID, 'manage').get_attribute('href')
        assert manage.endswith('?lang=ar')
        d.get(manage)
        h.wait(d, "document.body.dataset.ready === '1'", 15)
        assert d.execute_script("return document.documentElement.dir") == 'rtl'
        assert d.find_element(By.ID, 'm-ref').text == ref
        no_violations(d, 'ar: manage')
        click(d, '#cancel')
        h.wait(d, "!document.getElementById('ask').hidden", 5)
        no_violations(d, 'ar: cancel, are you sure')
    finally:
        d.quit()


@pytest.mark.server
def test_slot_taken_meanwhile_shows_alternatives_and_keeps_what_was_typed(place):
    d = h.chrome(1366, 768)
    try:
        open_booking(d)
        choose_type(d, place)
        choose_day(d)
        start = choose_time(d)
        fill(d, 'Jan Jansen', email='jan@example.nl', phone='0201234567')
        # Someone else books that very time through the API until no staff member is left for it.
        body = {'locationId': place['location']['id'], 'appointmentTypeId': place['type']['id'], 'start': start,
                'citizen': {'name': 'Iemand Anders', 'phone': '0612345678'}}
        for _ in range(10):
            r = h.http('POST', '/api/v1/appointments', body)
            if r.status == 409:
                break
            h.expect(r, 201)
        else:
            raise AssertionError('the slot never filled up')
        click(d, '#confirm')
        h.wait(d, "!document.getElementById('taken').hidden", 10, message='no alternatives shown')
        alts = d.find_elements(By.CSS_SELECTOR, '#alts button')
        assert alts, 'the 409 came with alternatives'
        assert all(a.get_attribute('data-start') != start for a in alts)
        assert d.execute_script("return document.activeElement.closest('#alts') !== null"), 'focus on the alternatives'
        # Nothing typed is lost.
        assert d.find_element(By.ID, 'f-name').get_attribute('value') == 'Jan Jansen'
        assert d.find_element(By.ID, 'f-email').get_attribute('value') == 'jan@example.nl'
        assert d.find_element(By.ID, 'f-phone').get_attribute('value') == '0201234567'
        assert d.find_element(By.ID, 'consent').is_selected()
        assert not d.find_elements(By.CSS_SELECTOR, f'#times button[data-start="{start}"]'), 'the taken time is gone from the day'
        no_violations(d, 'nl: slot taken')
        alt = alts[0].get_attribute('data-start')
        alts[0].click()
        click(d, '#confirm')
        ref = confirmed(d)
        appt = admin_get(appointment_id(d))
        assert appt['reference'] == ref and appt['start'] == alt
        assert appt['citizen']['name'] == 'Jan Jansen' and appt['citizen']['email'] == 'jan@example.nl'
    finally:
        d.quit()


@pytest.mark.server
def test_unknown_location_and_dead_link_say_so_plainly(server):
    d = h.chrome(1366, 768)
    try:
        d.get(f'{h.BASE}/afspraak/bestaat-niet')
        h.wait(d, "document.body.dataset.ready === '1'", 15)
        assert d.find_element(By.ID, 'flash').text == booking_texts('nl')['error.place']
        assert not d.find_element(By.ID, 'book').is_displayed()
        d.get(f'{h.BASE}/mijn-afspraak/{"x" * 43}?lang=en')
        h.wait(d, "document.body.dataset.ready === '1'", 15)
        assert d.find_element(By.ID, 'flash').text == booking_texts('en')['manage.gone']
        assert not d.find_element(By.ID, 'show').is_displayed()
        no_violations(d, 'en: dead manage link')
    finally:
        d.quit()


@pytest.mark.server
def test_retry_after_a_lost_answer_books_once(place):
    """The booking reaches the server but its answer is lost (the network drops it): the page says so, the citizen
    presses the button again, and the retry carries the same Idempotency-Key, so the server answers the first
    booking again instead of booking twice."""
    d = h.chrome(1366, 768)
    try:
        open_booking(d)
        choose_type(d, place)
        choose_day(d)
        choose_time(d, 2)
        name = 'Verloren Antwoord ' + h.rand(4)
        fill(d, name, email='retry@example.nl')
        d.execute_script("""
            const real = window.fetch;
            window.__keys = [];
            window.fetch = async (url, opts) => {
              if (opts && opts.method === 'POST' && String(url).endsWith('/api/v1/appointments')) {
                window.__keys.push(opts.headers['Idempotency-Key']);
                const r = await real(url, opts);
                if (window.__keys.length === 1) { await r.text(); throw new TypeError('network connection lost'); }
                return r;
              }
              return real(url, opts);
            };""")
        click(d, '#confirm')
        h.wait(d, "document.getElementById('flash').textContent.length > 0", 10)
        assert d.find_element(By.ID, 'flash').text == booking_texts('nl')['error.network']
        assert len(booked_named(place, name)) == 1, 'the first attempt did book'
        click(d, '#confirm')
        ref = confirmed(d)
        keys_sent = d.execute_script("return window.__keys")
        assert len(keys_sent) == 2 and keys_sent[0] == keys_sent[1] and keys_sent[0]
        assert [a['reference'] for a in booked_named(place, name)] == [ref], 'the retry got the first booking back'
    finally:
        d.quit()


def tab_to(d, predicate, limit=80, shift=False):
    """Presses Tab until the focused element satisfies the JavaScript predicate on `e` (document.activeElement)."""
    for _ in range(limit):
        if d.execute_script("const e = document.activeElement; return !!(e && (" + predicate + "))"):
            return
        chain = ActionChains(d)
        if shift:
            chain.key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT)
        else:
            chain.send_keys(Keys.TAB)
        chain.perform()
        time.sleep(0.03)
    raise AssertionError(f'Tab never reached: {predicate}')


def keys(d, *k):
    ActionChains(d).send_keys(*k).perform()


@pytest.mark.server
def test_keyboard_only_booking(place):
    d = h.chrome(1366, 768)
    try:
        open_booking(d)
        # From the top of the page, by Tab and Enter (and Space for the checkbox) alone.
        d.execute_script("document.activeElement && document.activeElement.blur()")
        tab_to(d, f"e.dataset.type === '{place['type']['id']}'")
        # Focus is visible: the focus ring is drawn.
        assert d.execute_script("return getComputedStyle(document.activeElement).outlineStyle") != 'none'
        keys(d, Keys.ENTER)
        h.wait(d, "document.querySelector('#days button:not([disabled])')", 15)
        tab_to(d, "e.matches('#days button') && !e.disabled")
        # Arrow keys move between bookable days; Enter picks one.
        first = d.execute_script("return document.activeElement.dataset.day")
        keys(d, Keys.ARROW_RIGHT)
        second = d.execute_script("return document.activeElement.dataset.day")
        assert second is None or second >= first
        keys(d, Keys.ENTER)
        h.wait(d, "document.querySelector('#times button')", 10)
        tab_to(d, "e.matches('#times button')")
        start = d.execute_script("return document.activeElement.dataset.start")
        keys(d, Keys.ENTER)
        h.wait(d, "!document.getElementById('st-details').hidden", 5)
        tab_to(d, "e.id === 'f-name'")
        keys(d, 'Keyboard Gebruiker')
        tab_to(d, "e.id === 'f-email'")
        keys(d, 'toetsen@example.nl')
        tab_to(d, "e.id === 'consent'")
        keys(d, Keys.SPACE)
        assert d.find_element(By.ID, 'consent').is_selected()
        tab_to(d, "e.id === 'confirm'")
        keys(d, Keys.ENTER)
        ref = confirmed(d)
        assert d.execute_script("return document.activeElement.id") == 'h-done'
        appt = admin_get(appointment_id(d))
        assert appt['reference'] == ref and appt['start'] == start
        # The .ics and the manage link are reachable by Tab too.
        tab_to(d, "e.id === 'ics'")
        tab_to(d, "e.id === 'manage'")
    finally:
        d.quit()


@pytest.mark.server
@pytest.mark.parametrize('size', ['phone', 'zoom200'])
def test_no_horizontal_overflow_on_a_phone_and_at_200_percent(place, size):
    d = h.chrome(1366, 768)
    try:
        if size == 'phone':
            d.execute_cdp_cmd('Emulation.setDeviceMetricsOverride', {'width': 390, 'height': 844, 'deviceScaleFactor': 3, 'mobile': True})
        else:
            # 1366x768 at 200 %: a CSS viewport of 683x384 drawn at twice the size.
            d.execute_cdp_cmd('Emulation.setDeviceMetricsOverride', {'width': 683, 'height': 384, 'deviceScaleFactor': 2, 'mobile': False})
        for lang in ['nl', 'ar']:
            open_booking(d, lang)
            no_overflow(d, f'{size} {lang}: what')
            choose_type(d, place)
            no_overflow(d, f'{size} {lang}: day')
            choose_day(d)
            no_overflow(d, f'{size} {lang}: time')
            choose_time(d)
            no_overflow(d, f'{size} {lang}: details')
            click(d, '#confirm')
            h.wait(d, "document.getElementById('consent').getAttribute('aria-invalid') === 'true'", 5)
            no_overflow(d, f'{size} {lang}: errors')
        fill(d, 'Klein Scherm', phone='0612345678')
        click(d, '#confirm')
        confirmed(d)
        no_overflow(d, f'{size}: confirmation')
        d.get(d.find_element(By.ID, 'manage').get_attribute('href'))
        h.wait(d, "document.body.dataset.ready === '1'", 15)
        no_overflow(d, f'{size}: manage')
        click(d, '#move')
        h.wait(d, "document.querySelector('#days button:not([disabled])')", 15)
        no_overflow(d, f'{size}: manage, move')
        h.screenshot(d, f'booking-{size}')
    finally:
        d.quit()
