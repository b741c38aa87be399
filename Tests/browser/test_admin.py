"""The administration page /admin: an admin logs in, adds a service (after a validation message next to its field) and
a staff member with a password, who then logs in at the desk page and chooses a desk; registering a kiosk shows its
device token once, and revoking it works; axe-core finds nothing on any tab, in Dutch, at 1366×768."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

import helpers as h

pytestmark = pytest.mark.server

ADMIN_LOGIN = ('admin', 'demo-admin-2026')
TABS = {'organisaties': 'Organisaties', 'locaties': 'Locaties', 'balies': 'Balies', 'diensten': 'Diensten',
        'medewerkers': 'Medewerkers', 'kiosken': 'Kiosken', 'schermen': 'Schermen'}


@pytest.fixture(scope='module')
def d(server):
    d = h.chrome(1366, 768)
    yield d
    d.quit()


def clean(d, what):
    v = h.axe(d)
    assert v == [], f'axe violations on {what}: {v}'


def login(d, username, password):
    d.find_element(By.ID, 'l-user').send_keys(username)
    d.find_element(By.ID, 'l-pass').send_keys(password)
    d.find_element(By.CSS_SELECTOR, '#f-login button[type=submit]').click()


def tab(d, hash_):
    d.find_element(By.CSS_SELECTOR, f'#tabs a[href="#{hash_}"]').click()
    h.wait(d, f"document.querySelector('#tabs a[href=\"#{hash_}\"]').getAttribute('aria-current') === 'page'"
              f" && (document.getElementById('h-sec') || {{}}).textContent === '{TABS[hash_]}'")
    # The list is in place once the section's heading and table (or its empty note) are drawn.
    h.wait(d, "!!(document.getElementById('list') || document.getElementById('empty'))")


def fill(d, field_id, text):
    e = d.find_element(By.ID, field_id)
    e.clear()
    e.send_keys(text)


def save(d):
    d.find_element(By.ID, 'f-save').click()


def flash(d):
    return d.find_element(By.ID, 'flash').text


def location_id():
    return h.kiosk_data('nl')['location']['id']


def test_admin_adds_service_and_staff_who_then_works_at_a_desk(d):
    loc = location_id()
    agency = next(a for a in h.expect(h.http('GET', '/api/v1/agencies', token=h.ADMIN), 200).json['items'] if a['code'] == 'gemeente')
    d.get(h.BASE + '/admin')
    h.wait(d, "!!document.getElementById('l-user')")
    clean(d, 'the login form')
    login(d, *ADMIN_LOGIN)
    h.wait(d, "!document.getElementById('v-admin').hidden && !!document.getElementById('list')", timeout=15)

    for t in TABS:
        tab(d, t)
        clean(d, f'tab {t}')

    # A service: a lowercase letter is refused next to its field, then the corrected form is saved.
    tab(d, 'diensten')
    code = 'test-' + h.rand(6)
    Select(d.find_element(By.ID, 'f-agencyId')).select_by_value(agency['id'])
    fill(d, 'f-code', code)
    fill(d, 'f-name', 'Testdienst ' + code)
    fill(d, 'f-translations-en', 'Test service')
    fill(d, 'f-translations-ar', 'خدمة اختبار')
    fill(d, 'f-ticketPrefix', 'q')
    d.find_element(By.CSS_SELECTOR, f'input[name="locationIds"][value="{loc}"]').click()
    save(d)
    h.wait(d, "document.getElementById('f-ticketPrefix-err').textContent.length > 0")
    assert d.find_element(By.ID, 'f-ticketPrefix').get_attribute('aria-invalid') == 'true'
    assert 'hoofdletter' in d.find_element(By.ID, 'f-ticketPrefix-err').text
    assert 'f-ticketPrefix-err' in d.find_element(By.ID, 'f-ticketPrefix').get_attribute('aria-describedby')
    assert 'Niet opgeslagen' in flash(d)
    clean(d, 'a form with a validation message')
    fill(d, 'f-ticketPrefix', 'Q')
    save(d)
    h.wait(d, "document.getElementById('flash').textContent.includes('is toegevoegd')")
    services = h.expect(h.http('GET', '/api/v1/services', token=h.ADMIN), 200).json['items']
    service = next(s for s in services if s['code'] == code)
    assert service['ticketPrefix'] == 'Q' and service['translations'] == {'en': 'Test service', 'ar': 'خدمة اختبار'}
    assert service['locationIds'] == [loc] and service['agencyId'] == agency['id']
    assert d.find_element(By.CSS_SELECTOR, f'#list tr[data-id="{service["id"]}"]')

    # A staff member of that agency serving the new service, with a password the admin types.
    tab(d, 'medewerkers')
    username = 'baliemw-' + h.rand(6)
    password = 'Balie-wachtwoord-' + h.rand(8)
    Select(d.find_element(By.ID, 'f-agencyId')).select_by_value(agency['id'])
    h.wait(d, f"!!document.querySelector('input[name=serviceIds][value=\"{service['id']}\"]')")
    fill(d, 'f-username', username)
    fill(d, 'f-displayName', 'Baliemedewerker Test')
    Select(d.find_element(By.ID, 'f-role')).select_by_value('staff')
    d.find_element(By.CSS_SELECTOR, f'input[name="serviceIds"][value="{service["id"]}"]').click()
    fill(d, 'f-password', password)
    save(d)
    h.wait(d, "!!document.getElementById('secret')", message=f'no password shown: {flash(d)!r}')
    assert password in d.find_element(By.ID, 'secret').text, 'the password is shown once, to pass on'
    clean(d, 'the staff tab with a new password shown')
    d.find_element(By.ID, 'secret-done').click()
    h.wait(d, "!document.getElementById('secret')")
    assert password not in d.page_source
    member = next(m for m in h.expect(h.http('GET', '/api/v1/staff', token=h.ADMIN), 200).json['items'] if m['username'] == username)
    assert member['serviceIds'] == [service['id']] and member['role'] == 'staff'

    # Reset: the page makes a new password, shows it once after saving, and only that one works from then on.
    d.find_element(By.CSS_SELECTOR, f'button[data-act="edit"][data-id="{member["id"]}"]').click()
    h.wait(d, "!!document.getElementById('f-generate')")
    clean(d, 'the staff edit form')
    d.find_element(By.ID, 'f-generate').click()
    generated = d.find_element(By.ID, 'f-password').get_attribute('value')
    assert len(generated) == 16
    save(d)
    h.wait(d, "!!document.getElementById('secret')")
    assert generated in d.find_element(By.ID, 'secret').text
    assert h.http('POST', '/api/v1/sessions', {'username': username, 'password': password}).status == 401
    password = generated

    # The admin logs out; the new staff member logs in at the desk page and chooses a desk.
    d.find_element(By.ID, 'logout').click()
    h.wait(d, "!document.getElementById('v-login').hidden")
    d.get(h.BASE + '/staff')
    h.wait(d, "!!document.getElementById('l-user') && !document.getElementById('v-login').hidden")
    login(d, username, password)
    h.wait(d, "!document.getElementById('v-setup').hidden && document.getElementById('s-desk').options.length > 0", timeout=15)
    Select(d.find_element(By.ID, 's-loc')).select_by_value(loc)
    h.wait(d, "document.getElementById('s-desk').options.length > 0")
    desk = d.find_element(By.ID, 's-desk').get_attribute('value')
    d.find_element(By.CSS_SELECTOR, '#f-setup button[type=submit]').click()
    h.wait(d, "!document.getElementById('v-desk').hidden")
    assert 'Baliemedewerker Test' in d.find_element(By.ID, 'who').text
    assert desk
    d.find_element(By.ID, 'logout').click()
    h.wait(d, "!document.getElementById('v-login').hidden")

    # Deactivated on the admin page: the account can no longer log in.
    d.get(h.BASE + '/admin#medewerkers')
    h.wait(d, "!!document.getElementById('l-user') && !document.getElementById('v-login').hidden")
    login(d, *ADMIN_LOGIN)
    h.wait(d, f"!!document.querySelector('button[data-act=\"deactivate\"][data-id=\"{member['id']}\"]')", timeout=15)
    d.find_element(By.CSS_SELECTOR, f'button[data-act="deactivate"][data-id="{member["id"]}"]').click()
    h.wait(d, f"!!document.querySelector('button[data-act=\"activate\"][data-id=\"{member['id']}\"]')")
    assert 'Gedeactiveerd' in d.find_element(By.CSS_SELECTOR, f'#list tr[data-id="{member["id"]}"]').text
    assert h.http('POST', '/api/v1/sessions', {'username': username, 'password': password}).status == 401
    # Leave the demo location as the other browser tests know it (the kiosk shows every active service there).
    h.expect(h.http('DELETE', f'/api/v1/services/{service["id"]}', token=h.ADMIN), 200)


def test_registering_a_kiosk_shows_its_token_once_and_revoking_it_works(d):
    d.get(h.BASE + '/admin#kiosken')
    h.wait(d, "!!document.getElementById('l-user')")
    if not d.find_element(By.ID, 'v-login').get_attribute('hidden'):
        login(d, *ADMIN_LOGIN)
    h.wait(d, "!document.getElementById('v-admin').hidden && !!document.getElementById('h-sec')", timeout=15)
    h.wait(d, "document.getElementById('h-sec').textContent === 'Kiosken'")
    loc = location_id()
    Select(d.find_element(By.ID, 'loc')).select_by_value(loc)
    h.wait(d, "!!document.getElementById('f-name')")
    name = 'Hal ' + h.rand(5)
    fill(d, 'f-name', name)
    save(d)
    h.wait(d, "!!document.getElementById('secret')")
    token = d.find_element(By.ID, 'secret-1').text
    path = d.find_element(By.ID, 'secret-0').text
    assert len(token) >= 32 and path.endswith('?device=' + token), (token, path)
    assert 'niet opnieuw tonen' in d.find_element(By.ID, 'secret').text
    assert d.find_element(By.CSS_SELECTOR, '#secret button[data-copy="secret-0"]')
    clean(d, 'the kiosk tab with a new token shown')
    # The token counts as a kiosk of this location.
    kiosk = next(k for k in h.expect(h.http('GET', f'/api/v1/locations/{loc}/kiosks', token=h.ADMIN), 200).json['items'] if k['name'] == name)

    # Shown once: after going elsewhere and back, the list has the kiosk but nowhere its token.
    tab(d, 'schermen')
    tab(d, 'kiosken')
    h.wait(d, f"!!document.querySelector('#list tr[data-id=\"{kiosk['id']}\"]')")
    assert token not in d.page_source
    assert not d.find_elements(By.ID, 'secret')

    # Revoking asks first, then the row says so in words.
    d.find_element(By.CSS_SELECTOR, f'button[data-act="ask"][data-id="{kiosk["id"]}"]').click()
    h.wait(d, f"!!document.querySelector('button[data-act=\"revoke\"][data-id=\"{kiosk['id']}\"]')")
    clean(d, 'the kiosk revocation question')
    d.find_element(By.CSS_SELECTOR, f'button[data-act="revoke"][data-id="{kiosk["id"]}"]').click()
    h.wait(d, f"(document.querySelector('#list tr[data-id=\"{kiosk['id']}\"]') || {{}}).textContent.includes('Ingetrokken')")
    items = h.expect(h.http('GET', f'/api/v1/locations/{loc}/kiosks?includeInactive=true', token=h.ADMIN), 200).json['items']
    assert next(k for k in items if k['id'] == kiosk['id'])['active'] is False


def test_a_desk_is_added_renamed_and_switched_off_and_on(d):
    d.get(h.BASE + '/admin#balies')
    h.wait(d, "!!document.getElementById('l-user')")
    if not d.find_element(By.ID, 'v-login').get_attribute('hidden'):
        login(d, *ADMIN_LOGIN)
    h.wait(d, "!!document.getElementById('h-sec') && document.getElementById('h-sec').textContent === 'Balies'", timeout=15)
    loc = location_id()
    Select(d.find_element(By.ID, 'loc')).select_by_value(loc)
    h.wait(d, "!!document.getElementById('f-name')")
    name = 'Balie A' + h.rand(4)
    fill(d, 'f-name', name)
    save(d)
    h.wait(d, "document.getElementById('flash').textContent.includes('is toegevoegd')")
    desk = next(x for x in h.expect(h.http('GET', f'/api/v1/locations/{loc}/desks', token=h.ADMIN), 200).json['items'] if x['name'] == name)

    # Two desks with one name would send visitors astray: the refusal is shown, nothing is lost.
    fill(d, 'f-name', name)
    save(d)
    h.wait(d, "document.getElementById('f-err').textContent.includes('Niet opgeslagen')")
    assert d.find_element(By.ID, 'f-name').get_attribute('value') == name
    assert 'al in gebruik' in d.find_element(By.ID, 'f-name-err').text
    assert d.find_element(By.ID, 'f-name').get_attribute('aria-invalid') == 'true'

    d.find_element(By.CSS_SELECTOR, f'button[data-act="edit"][data-id="{desk["id"]}"]').click()
    h.wait(d, "document.getElementById('h-form').textContent.includes('wijzigen')")
    fill(d, 'f-name', name + 'x')
    save(d)
    h.wait(d, "document.getElementById('flash').textContent.includes('is gewijzigd')")
    assert h.expect(h.http('GET', f'/api/v1/desks/{desk["id"]}', token=h.ADMIN), 200).json['name'] == name + 'x'

    d.find_element(By.CSS_SELECTOR, f'button[data-act="deactivate"][data-id="{desk["id"]}"]').click()
    h.wait(d, f"!!document.querySelector('button[data-act=\"activate\"][data-id=\"{desk['id']}\"]')")
    assert d.switch_to.active_element.get_attribute('data-act') == 'activate', 'focus stays on the row'
    assert h.expect(h.http('GET', f'/api/v1/desks/{desk["id"]}', token=h.ADMIN), 200).json['active'] is False
    clean(d, 'the desks tab with a deactivated desk')
    d.find_element(By.CSS_SELECTOR, f'button[data-act="activate"][data-id="{desk["id"]}"]').click()
    h.wait(d, f"!!document.querySelector('button[data-act=\"deactivate\"][data-id=\"{desk['id']}\"]')")
    assert h.expect(h.http('GET', f'/api/v1/desks/{desk["id"]}', token=h.ADMIN), 200).json['active'] is True
    h.expect(h.http('DELETE', f'/api/v1/desks/{desk["id"]}', token=h.ADMIN), 200)  # the display tests know the demo desks


def test_a_coordinator_gets_a_scope_of_one_location_and_own_agency(d):
    """The staff form sets a coordinator's scope (AccessScope enforces it): one ticked location and "own agency only"
    reach the account; editing with nothing ticked makes the coordinator loket-wide again."""
    d.get(h.BASE + '/admin#medewerkers')
    if d.find_elements(By.ID, 'l-user') and d.find_element(By.ID, 'l-user').is_displayed():
        login(d, *ADMIN_LOGIN)
    h.wait(d, "!!document.getElementById('f-agencyId')")
    tab(d, 'medewerkers')
    loc = location_id()
    agency = h.expect(h.http('GET', '/api/v1/agencies', token=h.ADMIN), 200).json['items'][0]
    username = 'coord-' + h.rand(6)
    Select(d.find_element(By.ID, 'f-agencyId')).select_by_value(agency['id'])
    fill(d, 'f-username', username)
    fill(d, 'f-displayName', 'Coördinator Centrum')
    Select(d.find_element(By.ID, 'f-role')).select_by_value('coordinator')
    d.find_element(By.CSS_SELECTOR, f'input[name="scopeLocationIds"][value="{loc}"]').click()
    d.find_element(By.ID, 'f-scopeOwnAgencyOnly').click()
    d.find_element(By.ID, 'f-generate').click()
    save(d)
    h.wait(d, "!!document.getElementById('secret')", message=f'not saved: {flash(d)!r}')
    clean(d, 'the staff tab after adding a coordinator with a scope')
    d.find_element(By.ID, 'secret-done').click()
    member = next(m for m in h.expect(h.http('GET', '/api/v1/staff', token=h.ADMIN), 200).json['items'] if m['username'] == username)
    assert member['role'] == 'coordinator'
    assert member['scope'] == {'allLocations': False, 'ownAgencyOnly': True, 'locationIds': [loc]}, member['scope']
    row = d.find_element(By.CSS_SELECTOR, f'#list tr[data-id="{member["id"]}"]').text
    assert 'eigen organisatie' in row

    # Nothing ticked: all locations again (own agency stays as ticked).
    d.find_element(By.CSS_SELECTOR, f'button[data-act="edit"][data-id="{member["id"]}"]').click()
    h.wait(d, f"!!document.querySelector('input[name=scopeLocationIds][value=\"{loc}\"]:checked')")
    d.find_element(By.CSS_SELECTOR, f'input[name="scopeLocationIds"][value="{loc}"]').click()
    save(d)
    h.wait(d, "(document.getElementById('flash').textContent || '').includes('gewijzigd')", message=f'not saved: {flash(d)!r}')
    member = h.expect(h.http('GET', f'/api/v1/staff/{member["id"]}', token=h.ADMIN), 200).json
    assert member['scope'] == {'allLocations': True, 'ownAgencyOnly': True, 'locationIds': []}, member['scope']
