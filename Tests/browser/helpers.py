"""Shared helpers for the browser tests and bench_pages.py: HTTP API calls, Chromium, axe-core, psql.

Environment (set by the harness that starts `loket serve`):
  LOKET_BASE_URL       e.g. http://127.0.0.1:8123
  LOKET_ADMIN_TOKEN    admin bearer token (creates a staff account and a desk for the tests)
  LOKET_DATABASE_URL   libpq URL of the server's database (ticket numbers are checked there with psql)
  LOKET_LOCATION       location code, default "centrum"
  LOKET_DEVICE_TOKEN   optional registered kiosk device token (exempts the tests' tickets from rate limits)
  LOKET_SCREENSHOTS    folder for screenshots, default "screenshots"
"""
import json
import math
import os
import random
import re
import shutil
import string
import subprocess
import time
import urllib.error
import urllib.request

BASE = os.environ.get('LOKET_BASE_URL', '').rstrip('/')
ADMIN = os.environ.get('LOKET_ADMIN_TOKEN', '')
DB_URL = os.environ.get('LOKET_DATABASE_URL', '')
LOCATION = os.environ.get('LOKET_LOCATION', 'centrum')
DEVICE = os.environ.get('LOKET_DEVICE_TOKEN', '')
SHOTS = os.environ.get('LOKET_SCREENSHOTS', 'screenshots')
HERE = os.path.dirname(os.path.abspath(__file__))
KIOSK_DIR = os.path.normpath(os.path.join(HERE, '..', '..', 'kiosk'))
LANGS = ['nl', 'en', 'ar', 'tr', 'pl', 'uk']


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now (for a loket serve a test starts itself)."""
    import socket
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def private_database(prefix):
    """A new empty database on the test cluster, for a test with a `loket serve` of its own: (name, URL)."""
    import urllib.parse
    name = prefix + '_' + ''.join(random.choice(string.ascii_lowercase) for _ in range(8))
    subprocess.run(['psql', '-qAt', DB_URL, '-c', f'CREATE DATABASE {name}'], check=True)
    return name, urllib.parse.urlsplit(DB_URL)._replace(path='/' + name).geturl()


def drop_database(name):
    subprocess.run(['psql', '-qAt', DB_URL, '-c', f'DROP DATABASE IF EXISTS {name} WITH (FORCE)'], check=False)


def start_loket(binary, env, log, what='loket serve', timeout=30):
    """Starts `binary serve` with `env` (its output to the open file `log`) and waits until /readyz answers 200:
    (process, base URL). The caller stops it by its PID (`stop_loket`)."""
    port = int(env['LOKET_PORT'])
    p = subprocess.Popen([binary, 'serve'], env=env, stdout=log, stderr=log)
    base = f'http://127.0.0.1:{port}'
    deadline = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen(base + '/readyz', timeout=1) as r:
                if r.status == 200:
                    return p, base
        except OSError:
            pass
        assert time.time() < deadline and p.poll() is None, f'{what} did not become ready'
        time.sleep(0.1)


def stop_loket(p, timeout=20):
    import signal
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=timeout)


# ---- HTTP ----------------------------------------------------------------------------------------------------
class Response:
    def __init__(self, status, body, headers):
        self.status = status
        self.headers = headers
        self.body = body or b''
        self.text = body.decode('utf-8', 'replace') if body else ''
        try:
            self.json = json.loads(self.text) if self.text else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return f'<{self.status} {self.text[:300]}>'


def http(method, path, body=None, token=None, headers=None, timeout=10):
    h = {'Accept': 'application/json'}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h['Content-Type'] = 'application/json'
    if token:
        h['Authorization'] = f'Bearer {token}'
    h.update(headers or {})
    req = urllib.request.Request(BASE + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return Response(r.status, r.read(), dict(r.headers))
    except urllib.error.HTTPError as e:
        return Response(e.code, e.read(), dict(e.headers))


def expect(resp, *statuses):
    assert resp.status in statuses, f'expected {statuses}, got {resp!r}'
    return resp


def rand(n=8):
    return ''.join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


def ensure_device(location_id):
    """A registered kiosk device token for the location (exempts the tests' tickets from the per-address limit).

    Uses LOKET_DEVICE_TOKEN when set, otherwise registers a kiosk with the admin token. Returns '' when neither works.
    """
    global DEVICE
    if not DEVICE and ADMIN:
        r = http('POST', f'/api/v1/locations/{location_id}/kiosks', {'name': 'Browser tests ' + rand(4)}, token=ADMIN)
        if r.status in (200, 201) and r.json and r.json.get('deviceToken'):
            DEVICE = r.json['deviceToken']
    return DEVICE


def take_ticket(location_id, service_id, language='nl', max_wait=90):
    """POST a ticket the way a kiosk does; waits out a 429 (Retry-After) a few times."""
    headers = {'Loket-Device': DEVICE} if DEVICE else {}
    deadline = time.time() + max_wait
    while True:
        r = http('POST', f'/api/v1/locations/{location_id}/tickets', {'serviceId': service_id, 'language': language}, headers=headers)
        if r.status != 429 or time.time() > deadline:
            return expect(r, 201).json
        time.sleep(min(float(r.headers.get('Retry-After') or 5), 30))


class Staff:
    """A staff member of one agency with a bearer session, at a desk of their own made for the tests."""

    def __init__(self, kiosk):
        assert ADMIN, 'LOKET_ADMIN_TOKEN is needed to make a staff account for the tests'
        self.location_id = kiosk['location']['id']
        services = expect(http('GET', '/api/v1/services', token=ADMIN), 200).json['items']
        here = [s for s in services if self.location_id in (s.get('locationIds') or [])]
        public = {s['id']: s for s in kiosk['services']}
        # The agency with the most services at this location that the kiosk shows under a life question.
        by_agency = {}
        for s in here:
            if s['id'] in public and public[s['id']]['lifeQuestion'] != 'other':
                by_agency.setdefault(s['agencyId'], []).append(s)
        assert by_agency, 'no service at this location to test with'
        self.agency_id, mine = max(by_agency.items(), key=lambda kv: len(kv[1]))
        self.services = [public[s['id']] for s in mine]
        self.service_ids = [s['id'] for s in mine]
        # Prefer a normal service: urgent ones jump the queue and make the tests' order harder to read.
        self.service = next((s for s in self.services if not s['urgent']), self.services[0])
        self.username = 'kiosktest-' + rand()
        self.password = 'Kiosk-test-' + rand(16)
        self.display_name = 'Test Kiosk ' + rand(4)
        expect(http('POST', '/api/v1/staff', {
            'agencyId': self.agency_id, 'username': self.username, 'password': self.password,
            'displayName': self.display_name, 'role': 'staff', 'serviceIds': self.service_ids}, token=ADMIN), 201, 200)
        desk = expect(http('POST', f'/api/v1/locations/{self.location_id}/desks', {'name': 'Balie T' + rand(4)}, token=ADMIN), 201, 200).json
        self.desk_id, self.desk_name = desk['id'], desk['name']
        s = expect(http('POST', '/api/v1/sessions', {'username': self.username, 'password': self.password, 'cookie': False}), 201).json
        self.token, self.csrf = s['token'], s.get('csrfToken', '')

    def post(self, path, body=None):
        return http('POST', path, body, token=self.token, headers={'X-CSRF-Token': self.csrf} if self.csrf else None)

    def call_next(self):
        return self.post(f'/api/v1/desks/{self.desk_id}/call-next')

    def act(self, ticket_id, action, body=None):
        return self.post(f'/api/v1/tickets/{ticket_id}/{action}', body)

    def release(self):
        """Let go of whatever this desk holds."""
        r = http('GET', f'/api/v1/desks/{self.desk_id}/current', token=self.token)
        if r.status == 200 and r.json:
            t = r.json
            if t.get('status') == 'called':
                self.act(t['id'], 'no-show')
            else:
                self.act(t['id'], 'finish')

    def drain(self, limit=300):
        """Empty the queue of this staff member's services, so the next call-next gets the tests' own ticket."""
        self.release()
        for _ in range(limit):
            r = self.call_next()
            if r.status == 204:
                return
            expect(r, 200)
            expect(self.act(r.json['id'], 'no-show'), 200)
        raise AssertionError('queue did not drain')


# ---- database ------------------------------------------------------------------------------------------------
def db_ticket(ticket_id):
    """The ticket's row as a dict, read with psql (no Python driver needed)."""
    assert DB_URL, 'LOKET_DATABASE_URL is not set'
    assert shutil.which('psql'), 'psql is not installed (apt-get install postgresql-client)'
    sql = os.environ.get('LOKET_TICKET_SQL', "SELECT to_jsonb(t)::text FROM ticket t WHERE t.id::text = :'id'")
    out = subprocess.run(['psql', DB_URL, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-v', f'id={ticket_id}'],
                         input=sql, capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    line = out.stdout.strip()
    return json.loads(line) if line else None


def row_has_number(row, number):
    """True when the stored row spells `number` (e.g. "U007"), whole or as prefix plus sequence."""
    values = list(row.values())
    if number in values:
        return True
    m = re.fullmatch(r'([A-Z]+)-?0*(\d+)', number)
    return bool(m) and m.group(1) in values and int(m.group(2)) in values


# ---- Chromium ------------------------------------------------------------------------------------------------
def chrome(width=800, height=480, perf_log=False):
    os.environ.setdefault('SE_OFFLINE', 'true')
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    o = webdriver.ChromeOptions()
    for a in ['--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--autoplay-policy=no-user-gesture-required',
              f'--window-size={width},{height}', '--hide-scrollbars', '--disable-gpu', '--lang=nl-NL',
              '--disable-background-timer-throttling', '--disable-renderer-backgrounding']:
        o.add_argument(a)
    if os.path.exists('/usr/bin/chromium'):
        o.binary_location = '/usr/bin/chromium'
    if perf_log:
        o.set_capability('goog:loggingPrefs', {'performance': 'ALL'})
    d = webdriver.Chrome(options=o, service=Service(shutil.which('chromedriver') or '/usr/bin/chromedriver'))
    d.set_script_timeout(30)
    viewport(d, width, height)
    return d


def viewport(d, width, height, mobile=False):
    d.execute_cdp_cmd('Emulation.setDeviceMetricsOverride',
                      {'width': width, 'height': height, 'deviceScaleFactor': 1, 'mobile': mobile})


def wait(d, js, timeout=10, interval=0.05, message=None):
    """Waits until the JavaScript expression is truthy; returns its value."""
    end = time.time() + timeout
    while True:
        v = d.execute_script('return (' + js + ')')
        if v:
            return v
        if time.time() > end:
            raise AssertionError(message or f'timed out waiting for: {js}')
        time.sleep(interval)


def screenshot(d, name):
    os.makedirs(SHOTS, exist_ok=True)
    path = os.path.join(SHOTS, name + '.png')
    d.save_screenshot(path)
    return path


def axe_source():
    import axe_playwright_python
    return open(os.path.join(os.path.dirname(axe_playwright_python.__file__), 'axe.min.js'), encoding='utf-8').read()


_AXE = None


def axe(d, context=None):
    """Runs axe-core (all rules, best practices too) and returns the violations, shortened for messages."""
    global _AXE
    if _AXE is None:
        _AXE = axe_source()
    if not d.execute_script('return !!window.axe'):
        d.execute_script(_AXE)
    res = d.execute_async_script("""
        const done = arguments[arguments.length - 1];
        axe.run(arguments[0] || document, {resultTypes: ['violations']})
          .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
             nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').slice(0, 200))}))))
          .catch(e => done([{id: 'axe-error', help: String(e), nodes: []}]));
    """, context)
    return res


def kiosk_data(lang='nl'):
    return expect(http('GET', f'/api/v1/kiosk/{LOCATION}?lang={lang}'), 200).json


def texts(lang):
    return json.load(open(os.path.join(KIOSK_DIR, 'i18n', f'{lang}.json'), encoding='utf-8'))


def percentile(values, p):
    v = sorted(values)
    if not v:
        return float('nan')
    return v[min(len(v) - 1, max(0, math.ceil(p / 100 * len(v)) - 1))]  # nearest rank


# ---- the desk page (/staff) -------------------------------------------------------------------------------------

def choose_desk(d, staff):
    """On the desk page after login: picks the staff member's location and desk when the page asks, then waits for
    the desk view."""
    wait(d, "!document.getElementById('v-setup').hidden || !document.getElementById('v-desk').hidden", 10, message='login failed')
    if d.execute_script("return !document.getElementById('v-setup').hidden"):
        if d.execute_script("return document.getElementById('s-loc').value") != staff.location_id:
            d.execute_script("const s = document.getElementById('s-loc'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));",
                             staff.location_id)
        wait(d, f"[...document.getElementById('s-desk').options].some(o => o.value === {staff.desk_id!r})", 10)
        d.execute_script("document.getElementById('s-desk').value = arguments[0]", staff.desk_id)
        d.find_element('css selector', '#f-setup button[type=submit]').click()
    wait(d, "!document.getElementById('v-desk').hidden", 10)


def open_desk(d, staff):
    """Opens the desk page as `staff` (a `Staff`): logs in when asked, chooses the desk, waits for the desk view."""
    d.get(f'{BASE}/staff')
    wait(d, "!document.getElementById('v-login').hidden || !document.getElementById('v-desk').hidden", 10, message='no desk page')
    if d.execute_script("return !document.getElementById('v-login').hidden"):
        d.find_element('id', 'l-user').send_keys(staff.username)
        d.find_element('id', 'l-pass').send_keys(staff.password)
        d.find_element('css selector', '#f-login button[type=submit]').click()
    choose_desk(d, staff)
