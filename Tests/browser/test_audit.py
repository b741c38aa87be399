"""The admin's audit page (/admin/audit): log in, search by person, page on, log a colleague out everywhere; axe-clean
in Dutch at 1366x768, by keyboard."""
import pytest
from selenium.webdriver.common.keys import Keys

import helpers as h

pytestmark = pytest.mark.server


@pytest.fixture(scope='module')
def driver(server):
    d = h.chrome(1366, 768)
    yield d
    d.quit()


def login(d, username, password):
    d.get(f'{h.BASE}/admin/audit')
    h.wait(d, "document.getElementById('l-user')", 10, message='login form did not appear')
    d.find_element('id', 'l-user').send_keys(username)
    d.find_element('id', 'l-pass').send_keys(password + Keys.ENTER)


def test_admin_searches_the_audit_log_by_keyboard(driver):
    d = driver
    # Something personal to find: a staff record read through the API (audited as staff.read).
    staff = h.expect(h.http('GET', '/api/v1/staff', token=h.ADMIN), 200).json['items']
    anna = next(s for s in staff if s['username'] == 'gemeente')
    h.expect(h.http('GET', f'/api/v1/staff/{anna["id"]}', token=h.ADMIN), 200)
    login(d, 'admin', 'demo-admin-2026')
    h.wait(d, "!document.getElementById('v-audit').hidden && document.getElementById('k-days').value", 10,
           message='the audit view did not open')
    assert not h.axe(d), h.axe(d)
    person = d.find_element('id', 's-person')
    person.click()
    person.send_keys(anna['id'] + Keys.ENTER)
    h.wait(d, "document.querySelectorAll('#b-results tr').length > 0", 10, message='no results')
    text = d.find_element('id', 't-results').text
    assert 'staff.read' in text
    violations = h.axe(d)
    assert not violations, violations
    h.screenshot(d, 'audit-nl-1366x768-results')
    # A wrong date is shown next to its field.
    d.execute_script("document.getElementById('s-from').type = 'text'")
    d.find_element('id', 's-from').send_keys('gisteren' + Keys.ENTER)
    h.wait(d, "document.getElementById('s-from').getAttribute('aria-invalid') === 'true'", 10)
    assert d.find_element('id', 's-from-err').text
    # The search itself was audited.
    found = h.expect(h.http('GET', '/api/v1/audit?objectType=audit&limit=5', token=h.ADMIN), 200).json['items']
    assert any(e['action'] == 'audit.search' and e['detail'].get('person') == anna['id'] for e in found)


def test_staff_cannot_use_the_audit_page(driver):
    d = driver
    d.delete_all_cookies()
    d.execute_script('sessionStorage.clear()')
    login(d, 'uwv', 'demo-uwv-2026')
    h.wait(d, "document.getElementById('flash').textContent.includes('admin')", 10)
    assert d.execute_script("return document.getElementById('v-audit').hidden")
    assert h.http('GET', '/api/v1/audit', token=None).status == 401
