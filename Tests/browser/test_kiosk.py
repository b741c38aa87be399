"""The kiosk page: taking a number by tapping, in Dutch and Arabic; the printed ticket; idle reset; offline."""
import os
import re
import shutil
import subprocess
import tempfile
import time
import base64

import pytest

import helpers as h

pytestmark = pytest.mark.server


def kiosk_url(extra=''):
    """The kiosk page as the hall's registered kiosk opens it (with its device token, when there is one)."""
    params = [p for p in (extra, f'device={h.DEVICE}' if h.DEVICE else '') if p]
    return f'{h.BASE}/kiosk/{h.LOCATION}' + ('?' + '&'.join(params) if params else '')


def open_kiosk(d, extra=''):
    d.get(kiosk_url(extra))
    h.wait(d, "document.querySelectorAll('#tiles .tile').length > 0 || !document.getElementById('s-confirm').hidden", 10,
           message='kiosk start screen did not appear')


def pick_service(kiosk):
    """A normal service under a real life question, preferably one sharing its tile with another service."""
    svcs = [s for s in kiosk['services'] if s['lifeQuestion'] != 'other' and not s['urgent']]
    assert svcs, 'the test location has no service to take a number for'
    shared = [s for s in svcs if sum(x['lifeQuestion'] == s['lifeQuestion'] for x in kiosk['services']) > 1]
    return (shared or svcs)[0]


def tap_service(d, svc):
    """Taps the life-question tile and, when the kiosk asks, the service; returns the number on screen."""
    d.find_element('css selector', f'#tiles [data-group="{svc["lifeQuestion"]}"]').click()
    h.wait(d, "document.body.dataset.screen === 'list' || document.body.dataset.screen === 'ticket'", 5)
    if d.execute_script("return document.body.dataset.screen") == 'list':
        d.find_element('css selector', f'#services [data-svc="{svc["id"]}"]').click()
    h.wait(d, "document.body.dataset.screen === 'ticket' && document.getElementById('tk-num').textContent", 5,
           message='no number on screen after tapping')
    return d.execute_script("return document.getElementById('tk-num').textContent")


def ticket_id_on_screen(d):
    src = d.execute_script("return document.getElementById('tk-qr').getAttribute('src')")
    m = re.fullmatch(r'/api/v1/tickets/([^/]+)/qr\.svg', src or '')
    assert m, f'unexpected QR src {src!r}'
    return m.group(1)


def check_ticket(ticket_id, number, language, service_id):
    api = h.expect(h.http('GET', f'/api/v1/tickets/{ticket_id}'), 200).json
    assert api['number'] == number
    assert api['language'] == language
    assert api['status'] == 'waiting'
    row = h.db_ticket(ticket_id)
    assert row, f'ticket {ticket_id} is not in the database'
    assert h.row_has_number(row, number), f'database row {row} does not hold number {number}'
    if 'service_id' in row:
        assert str(row['service_id']) == service_id
    return api


def number_screen_is_complete(d, screenshot):
    """The number screen has its QR code loaded, is saved for review, and has no accessibility violations."""
    h.wait(d, "document.getElementById('tk-qr').complete && document.getElementById('tk-qr').naturalWidth > 0", 5)
    h.screenshot(d, screenshot)
    violations = h.axe(d)
    assert not violations, violations


def test_take_number_in_dutch(driver, kiosk):
    d = driver
    h.viewport(d, 800, 480)
    open_kiosk(d)
    nl = h.texts('nl')
    assert d.execute_script("return [document.documentElement.lang, document.documentElement.dir]") == ['nl', 'ltr']
    assert d.find_element('id', 'h-home').text == nl['kiosk.title']
    assert nl['help'] in d.find_element('css selector', 'footer').text
    h.screenshot(d, 'kiosk-nl-800x480-start')
    svc = pick_service(kiosk)
    number = tap_service(d, svc)
    assert re.fullmatch(r'[A-Z]+-?\d+', number), number
    tid = ticket_id_on_screen(d)
    api = check_ticket(tid, number, 'nl', svc['id'])
    shown = d.find_element('id', 's-ticket').text
    if api.get('estimatedWaitMinutes') is None:
        assert nl['waitUnknown'] in shown, 'no honest "cannot estimate" text when the server has no estimate'
    number_screen_is_complete(d, 'kiosk-nl-800x480-number')


def test_take_number_in_arabic_right_to_left(driver, kiosk):
    d = driver
    h.viewport(d, 1080, 1920)
    open_kiosk(d, 'lang=ar')
    ar = h.texts('ar')
    assert d.execute_script("return [document.documentElement.lang, document.documentElement.dir]") == ['ar', 'rtl']
    assert d.find_element('id', 'h-home').text == ar['kiosk.title']
    h.screenshot(d, 'kiosk-ar-1080x1920-start')
    svc = pick_service(kiosk)
    number = tap_service(d, svc)
    assert d.execute_script("return document.documentElement.dir") == 'rtl'
    check_ticket(ticket_id_on_screen(d), number, 'ar', svc['id'])
    number_screen_is_complete(d, 'kiosk-ar-1080x1920-number')


def test_language_buttons_switch_language_and_direction(driver, kiosk):
    d = driver
    h.viewport(d, 800, 480)
    open_kiosk(d)
    names = d.execute_script("return [...document.querySelectorAll('#langs .lang')].map(b => [b.dataset.lang, b.textContent, b.lang])")
    assert {n[0] for n in names} >= set(h.LANGS)
    for code, name, lang_attr in names:
        assert name == h.texts(code)['_name'] and lang_attr == code
    d.find_element('css selector', '#langs [data-lang="ar"]').click()
    h.wait(d, "document.documentElement.dir === 'rtl'", 5)
    h.screenshot(d, 'kiosk-ar-800x480-start')
    d.find_element('css selector', '#langs [data-lang="uk"]').click()
    h.wait(d, "document.documentElement.lang === 'uk' && document.documentElement.dir === 'ltr'", 5)
    assert d.find_element('id', 'h-home').text == h.texts('uk')['kiosk.title']
    assert d.find_element('css selector', '#langs [aria-pressed="true"]').get_attribute('data-lang') == 'uk'


def test_portrait_screenshots(driver, kiosk):
    d = driver
    h.viewport(d, 1080, 1920)
    open_kiosk(d)
    h.screenshot(d, 'kiosk-nl-1080x1920-start')
    tap_service(d, pick_service(kiosk))
    h.wait(d, "document.getElementById('tk-qr').complete", 5)
    h.screenshot(d, 'kiosk-nl-1080x1920-number')
    h.viewport(d, 800, 480)
    open_kiosk(d, 'lang=ar')
    tap_service(d, pick_service(kiosk))
    h.wait(d, "document.getElementById('tk-qr').complete", 5)
    h.screenshot(d, 'kiosk-ar-800x480-number')


def test_touch_targets_are_large_enough(driver):
    d = driver
    for w, hgt in [(800, 480), (1080, 1920)]:
        h.viewport(d, w, hgt)
        open_kiosk(d)
        small = d.execute_script("""
            return [...document.querySelectorAll('button')].filter(b => b.offsetParent)
              .map(b => [b.textContent.trim(), b.getBoundingClientRect()])
              .filter(([, r]) => r.width < 48 || r.height < 48).map(([t, r]) => t + ' ' + r.width + 'x' + r.height)""")
        assert not small, small
        # Nothing may be cut off at the small landscape size either: the page itself does not scroll.
        assert d.execute_script("return document.documentElement.scrollHeight <= innerHeight + 1")


@pytest.mark.parametrize('lang', h.LANGS)
def test_axe_kiosk_every_language(driver, kiosk, lang):
    d = driver
    h.viewport(d, 800, 480)
    open_kiosk(d, f'lang={lang}')
    assert d.execute_script("return document.documentElement.lang") == lang
    violations = h.axe(d)
    assert not violations, violations
    groups = d.execute_script("return [...document.querySelectorAll('#tiles .tile')].map(b => b.dataset.group)")
    multi = [g for g in groups if sum(s['lifeQuestion'] == g for s in kiosk['services']) > 1 and g != 'other']
    if multi:
        d.find_element('css selector', f'#tiles [data-group="{multi[0]}"]').click()
        h.wait(d, "document.body.dataset.screen === 'list'", 5)
        violations = h.axe(d)
        assert not violations, violations


def test_printed_ticket_is_80mm_with_number_and_working_qr(driver, kiosk):
    for tool in ('pdftotext', 'pdftoppm', 'pdfinfo', 'zbarimg'):
        assert shutil.which(tool), f'{tool} missing: apt-get install poppler-utils zbar-tools'
    d = driver
    h.viewport(d, 800, 480)
    open_kiosk(d, 'print=auto')
    # Chromium's --kiosk-printing prints without a dialog; here window.print is counted instead.
    d.execute_script("window.__prints = 0; window.print = () => { window.__prints += 1; };")
    number = tap_service(d, pick_service(kiosk))
    tid = ticket_id_on_screen(d)
    h.wait(d, "document.getElementById('tk-qr').complete && document.getElementById('tk-qr').naturalWidth > 0", 5,
           message='QR image did not load')
    h.wait(d, "window.__prints === 1", 5, message='print=auto did not print the ticket')
    assert d.find_element('id', 'tk-take').text == h.texts('nl')['kiosk.takeTicket']
    d.find_element('id', 'tk-print').click()
    h.wait(d, "window.__prints === 2", 5, message='the print button did not print')
    # The page's own @page size: 80 mm wide, and the whole ticket on one page.
    own = d.execute_cdp_cmd('Page.printToPDF', {'preferCSSPageSize': True, 'printBackground': True})
    with tempfile.NamedTemporaryFile(suffix='.pdf') as f:
        f.write(base64.b64decode(own['data']))
        f.flush()
        info = subprocess.run(['pdfinfo', f.name], capture_output=True, text=True, check=True).stdout
    assert re.search(r'^Pages:\s+1$', info, re.M), info
    assert abs(float(re.search(r'Page size:\s+([\d.]+) x', info).group(1)) - 80 / 25.4 * 72) < 1.5, info
    pdf = d.execute_cdp_cmd('Page.printToPDF', {
        'paperWidth': 80 / 25.4, 'paperHeight': 200 / 25.4, 'marginTop': 0, 'marginBottom': 0, 'marginLeft': 0,
        'marginRight': 0, 'printBackground': True, 'preferCSSPageSize': False})
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'ticket.pdf')
        with open(path, 'wb') as f:
            f.write(base64.b64decode(pdf['data']))
        os.makedirs(h.SHOTS, exist_ok=True)
        shutil.copy(path, os.path.join(h.SHOTS, 'kiosk-ticket-80mm.pdf'))
        info = subprocess.run(['pdfinfo', path], capture_output=True, text=True, check=True).stdout
        assert re.search(r'^Pages:\s+1$', info, re.M), 'the ticket must fit one page\n' + info
        width = float(re.search(r'Page size:\s+([\d.]+) x', info).group(1))
        assert abs(width - 80 / 25.4 * 72) < 1.5, f'page is {width} pt wide, not 80 mm'
        text = subprocess.run(['pdftotext', path, '-'], capture_output=True, text=True, check=True).stdout
        assert number in text, f'number {number} not printed:\n{text}'
        assert kiosk['location']['name'] in text
        assert h.texts('nl')['kiosk.follow'] in text
        assert h.texts('nl')['kiosk.print'] not in text, 'buttons must not be printed'
        subprocess.run(['pdftoppm', '-r', '203', '-png', path, os.path.join(tmp, 'page')], check=True)
        png = sorted(p for p in os.listdir(tmp) if p.endswith('.png'))[0]
        shutil.copy(os.path.join(tmp, png), os.path.join(h.SHOTS, 'kiosk-ticket-80mm.png'))
        out = subprocess.run(['zbarimg', '-q', '--raw', os.path.join(tmp, png)], capture_output=True, text=True)
        urls = out.stdout.split()
        assert urls, 'no QR code found on the printed ticket'
        assert re.fullmatch(rf'https?://[^/]+/t/{re.escape(tid)}', urls[0]), urls


def test_service_link_shows_one_button_confirm(driver, kiosk):
    d = driver
    h.viewport(d, 800, 480)
    svc = pick_service(kiosk)
    open_kiosk(d, f'service={svc["id"]}')
    assert d.execute_script("return document.body.dataset.screen") == 'confirm'
    assert d.find_element('id', 'h-confirm').text == svc['name']
    violations = h.axe(d)
    assert not violations, violations
    d.find_element('id', 'c-take').click()
    h.wait(d, "document.body.dataset.screen === 'ticket' && document.getElementById('tk-num').textContent", 5)
    tid = ticket_id_on_screen(d)
    number = d.find_element('id', 'tk-num').text
    api = h.expect(h.http('GET', f'/api/v1/tickets/{tid}'), 200).json
    assert api['number'] == number and api['serviceName']


def test_dont_know_tile(driver, kiosk):
    d = driver
    h.viewport(d, 800, 480)
    open_kiosk(d)
    d.find_element('css selector', '#tiles [data-group="other"]').click()
    other = [s for s in kiosk['services'] if s['lifeQuestion'] == 'other']
    if other:
        h.wait(d, "document.body.dataset.screen === 'ticket' && document.getElementById('tk-num').textContent", 5)
        api = h.expect(h.http('GET', f'/api/v1/tickets/{ticket_id_on_screen(d)}'), 200).json
        assert api['number'] == d.find_element('id', 'tk-num').text
    else:
        h.wait(d, "document.body.dataset.screen === 'msg'", 5)
        assert d.find_element('id', 'h-msg').text == h.texts('nl')['kiosk.askStaff']


def test_keyboard_operable_with_visible_focus(driver, kiosk):
    from selenium.webdriver.common.keys import Keys
    d = driver
    h.viewport(d, 800, 480)
    open_kiosk(d)
    body = d.find_element('tag name', 'body')
    for _ in range(40):
        body.send_keys(Keys.TAB)
        if d.execute_script("return document.activeElement.classList.contains('tile')"):
            break
    else:
        raise AssertionError('tiles cannot be reached with Tab')
    style = d.execute_script("const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]")
    assert style[0] != 'none' and style[1] != '0px', f'no visible focus: {style}'
    group = d.execute_script("return document.activeElement.dataset.group")
    if group == 'other' or sum(s['lifeQuestion'] == group for s in kiosk['services']) != 1:
        d.switch_to.active_element.send_keys(Keys.ENTER)
        h.wait(d, "document.body.dataset.screen !== 'home'", 5, message='Enter on a tile does nothing')
        if d.execute_script("return document.body.dataset.screen") == 'list':
            h.wait(d, "document.activeElement.id === 'h-list'", 3, message='focus not moved to the new screen')
            d.switch_to.active_element.send_keys(Keys.SHIFT, Keys.TAB)  # back button is before the heading
            d.switch_to.active_element.send_keys(Keys.ENTER)
            h.wait(d, "document.body.dataset.screen === 'home'", 5, message='back button not keyboard operable')


def test_idle_warning_more_time_and_reset(driver, kiosk):
    """With ?idle=12 (seconds) the warning shows after 2 s of no interaction, counts down and resets."""
    d = driver
    h.viewport(d, 800, 480)
    open_kiosk(d, 'idle=12')
    time.sleep(3)
    assert d.execute_script("return document.getElementById('idle').hidden"), 'no reset on the untouched start screen'
    d.find_element('css selector', '#langs [data-lang="en"]').click()
    h.wait(d, "document.documentElement.lang === 'en'", 5)
    h.wait(d, "!document.getElementById('idle').hidden", 5, message='no idle warning')
    first = int(d.find_element('id', 'idle-n').text)
    assert 5 <= first <= 10
    more = d.find_element('id', 'more')
    assert more.text == h.texts('en')['kiosk.moreTime']
    assert more.size['height'] >= 48 and more.size['width'] >= 48
    time.sleep(1.6)
    assert int(d.find_element('id', 'idle-n').text) < first, 'countdown does not count'
    assert d.execute_script("return document.activeElement.id") == 'more'
    assert d.execute_script("return document.querySelector('.top').inert && document.querySelector('#s-home').inert"), \
        'the screen behind the warning is still operable'
    violations = h.axe(d)
    assert not violations, violations
    h.screenshot(d, 'kiosk-en-800x480-idle-warning')
    more.click()
    assert d.execute_script("return document.getElementById('idle').hidden")
    assert d.execute_script("return document.documentElement.lang") == 'en', '"more time" must keep the visitor\'s state'
    h.wait(d, "!document.getElementById('idle').hidden", 5, message='warning did not come back after more time')
    h.wait(d, "document.documentElement.lang === 'nl' && document.body.dataset.screen === 'home'", 13,
           message='kiosk did not go back to the start by itself')
    assert d.execute_script("return document.getElementById('idle').hidden")


def test_number_screen_goes_back_by_itself(driver, kiosk):
    d = driver
    h.viewport(d, 800, 480)
    open_kiosk(d, 'idle=12')
    tap_service(d, pick_service(kiosk))
    h.wait(d, "!document.getElementById('idle').hidden", 5)
    h.wait(d, "document.body.dataset.screen === 'home'", 13, message='number screen stayed')


def test_offline_message_and_recovery(driver, kiosk):
    d = driver
    h.viewport(d, 800, 480)
    open_kiosk(d)
    nl = h.texts('nl')
    d.execute_cdp_cmd('Network.enable', {})
    try:
        # 1. The server cannot be reached when a visitor taps: plain message, then automatic recovery.
        d.execute_cdp_cmd('Network.setBlockedURLs', {'urls': ['*/tickets']})
        svc = pick_service(kiosk)
        d.find_element('css selector', f'#tiles [data-group="{svc["lifeQuestion"]}"]').click()
        if d.execute_script("return document.body.dataset.screen") == 'list':
            d.find_element('css selector', f'#services [data-svc="{svc["id"]}"]').click()
        h.wait(d, "document.body.dataset.screen === 'msg'", 5, message='no message when the server is unreachable')
        assert d.find_element('id', 'h-msg').text == nl['kiosk.offline']
        assert nl['help'] in d.find_element('css selector', 'footer').text
        violations = h.axe(d)
        assert not violations, violations
        h.screenshot(d, 'kiosk-nl-800x480-offline')
        d.execute_cdp_cmd('Network.setBlockedURLs', {'urls': []})
        h.wait(d, "document.body.dataset.screen === 'home'", 8, message='kiosk did not recover by itself')
        # 2. The network goes away entirely, then comes back.
        d.execute_cdp_cmd('Network.emulateNetworkConditions', {'offline': True, 'latency': 0, 'downloadThroughput': -1, 'uploadThroughput': -1})
        h.wait(d, "document.body.dataset.screen === 'msg'", 5, message='no message when offline')
        assert d.find_element('id', 'h-msg').text == nl['kiosk.offline']
        time.sleep(2.5)  # a retry or two fail meanwhile
        assert d.execute_script("return document.body.dataset.screen") == 'msg'
        d.execute_cdp_cmd('Network.emulateNetworkConditions', {'offline': False, 'latency': 0, 'downloadThroughput': -1, 'uploadThroughput': -1})
        h.wait(d, "document.body.dataset.screen === 'home' && document.querySelectorAll('#tiles .tile').length > 0", 10,
               message='kiosk did not come back when the network did')
    finally:
        d.execute_cdp_cmd('Network.setBlockedURLs', {'urls': []})
        d.execute_cdp_cmd('Network.emulateNetworkConditions', {'offline': False, 'latency': 0, 'downloadThroughput': -1, 'uploadThroughput': -1})
        d.execute_cdp_cmd('Network.disable', {})


def test_server_down_at_first_load_shows_message_not_blank(driver):
    """Kiosk page loaded, data call fails (server gone): a plain message, in Dutch and English."""
    d = driver
    h.viewport(d, 800, 480)
    d.execute_cdp_cmd('Network.enable', {})
    try:
        d.execute_cdp_cmd('Network.setBlockedURLs', {'urls': ['*/api/v1/kiosk/*']})
        d.get(kiosk_url())
        h.wait(d, "document.body.dataset.screen === 'msg'", 5)
        assert d.find_element('id', 'h-msg').text == h.texts('nl')['kiosk.offline']
        assert d.find_element('id', 'm-sub').text == h.texts('en')['kiosk.offline']
        d.execute_cdp_cmd('Network.setBlockedURLs', {'urls': []})
        h.wait(d, "document.body.dataset.screen === 'home'", 8)
    finally:
        d.execute_cdp_cmd('Network.setBlockedURLs', {'urls': []})
        d.execute_cdp_cmd('Network.disable', {})


def test_long_queue_shows_position_as_at_least(driver, kiosk):
    """Beyond the 100 tickets ahead the server counts, the kiosk says "101+" (the API's positionAtLeast), not a
    made-up exact place, and makes no wait estimate."""
    d = driver
    h.viewport(d, 800, 480)
    svc = pick_service(kiosk)
    location = kiosk['location']['id']
    taken = [h.take_ticket(location, svc['id']) for _ in range(100)]
    try:
        assert taken[-1]['positionAtLeast'] is True, taken[-1]
        open_kiosk(d)
        tap_service(d, svc)
        tid = ticket_id_on_screen(d)
        taken.append({'id': tid})
        pos = d.find_element('id', 'tk-pos').text
        assert re.search(r'\b101\+', pos), pos
        assert h.texts('nl')['waitUnknown'] in d.find_element('id', 's-ticket').text
    finally:
        # Out of the queue again, so later tests see the hall as they left it.
        ids = ','.join(t['id'] for t in taken)
        out = subprocess.run(['psql', h.DB_URL, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', f'ids={{{ids}}}'],
                             input="UPDATE ticket SET status = 'noShow', finished_at = now() WHERE id = ANY (:'ids'::uuid[])",
                             capture_output=True, text=True, timeout=20)
        assert out.returncode == 0, out.stderr


def speech_paths(d):
    return d.execute_script("""return performance.getEntriesByType('resource').map(e => new URL(e.name))
        .filter(u => u.pathname.includes('/speech') || u.pathname.endsWith('/listen.js')).map(u => u.pathname + u.search)""")


def test_listen_reads_the_screen_aloud(driver, kiosk):
    """'Listen' is on every screen, plays the server's audio of the screen's texts in the chosen language, and
    nothing of it is loaded before it is pressed (the first-load budget stays as it was)."""
    d = driver
    h.viewport(d, 800, 480)
    open_kiosk(d)
    assert speech_paths(d) == [], 'speech must not load before "listen" is pressed'
    b = d.find_element('id', 'listen')
    assert b.text == h.texts('nl')['kiosk.listen'] and b.accessible_name == b.text
    r = b.rect
    assert r['width'] >= 44 and r['height'] >= 44, r
    b.click()
    h.wait(d, "Number(document.body.dataset.spoken || 0) >= 1", 10, message='"listen" played nothing')
    assert '/api/v1/speech/nl/kiosk.title' in speech_paths(d), speech_paths(d)
    # Pressing it again stops it.
    b.click()
    h.wait(d, "document.body.dataset.speech === 'stopped'", 3)
    # In Arabic, from the keyboard, on the number screen: the number itself is spoken too.
    d.find_element('css selector', '#langs [data-lang="ar"]').click()
    h.wait(d, "document.documentElement.lang === 'ar'", 5)
    svc = pick_service(kiosk)
    d.find_element('css selector', f'#tiles [data-group="{svc["lifeQuestion"]}"]').click()
    h.wait(d, "document.body.dataset.screen === 'list' || document.body.dataset.screen === 'ticket'", 5)
    if d.execute_script("return document.body.dataset.screen") == 'list':
        # The services to choose from are read out by name.
        d.find_element('id', 'listen').click()
        h.wait(d, f"performance.getEntriesByType('resource').some(e => e.name.includes('/services/{svc['id']}/speech?lang=ar'))", 10,
               message=f'the services were not read out: {speech_paths(d)}')
        d.find_element('id', 'listen').click()  # stop
        d.find_element('css selector', f'#services [data-svc="{svc["id"]}"]').click()
    h.wait(d, "document.body.dataset.screen === 'ticket' && document.getElementById('tk-num').textContent", 5)
    number = d.execute_script("return document.getElementById('tk-num').textContent")
    spoken = int(d.execute_script("return Number(document.body.dataset.spoken || 0)"))
    d.execute_script("document.getElementById('listen').focus()")
    d.switch_to.active_element.send_keys('\n')
    h.wait(d, f"Number(document.body.dataset.spoken || 0) > {spoken}", 10, message='nothing spoken on the number screen')
    h.wait(d, f"performance.getEntriesByType('resource').some(e => e.name.includes('/numbers/{number}/speech?lang=ar'))", 5,
           message=f'the number was not spoken: {speech_paths(d)}')
    violations = h.axe(d)
    assert not violations, violations
    d.find_element('css selector', '[data-go="home"].primary').click()
