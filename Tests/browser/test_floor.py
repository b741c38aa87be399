"""The floor view /coordinator/floor: a coordinator opens it; a ticket taken and called through the API shows up
without a reload (the waiting count of its service, then the desk's row with the number), an urgent ticket is
highlighted in words, not only in colour; axe-core finds nothing, in Dutch, at 1366×768."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

import helpers as h

pytestmark = pytest.mark.server


@pytest.fixture(scope='module')
def d(server):
    d = h.chrome(1366, 768)
    yield d
    d.quit()


def clean(d, what):
    v = h.axe(d)
    assert v == [], f'axe violations on {what}: {v}'


def waiting(d, service_id):
    return d.execute_script(
        f"const c = document.querySelector('#services tr[data-service=\"{service_id}\"] .waiting'); return c ? Number(c.textContent) : null")


def test_floor_view_follows_a_ticket_live(d, staff):
    staff.drain()
    d.get(h.BASE + '/coordinator/floor')
    h.wait(d, "!!document.getElementById('l-user')")
    d.find_element(By.ID, 'l-user').send_keys('coordinator')
    d.find_element(By.ID, 'l-pass').send_keys('demo-coordinator')
    d.find_element(By.CSS_SELECTOR, '#f-login button[type=submit]').click()
    h.wait(d, "!document.getElementById('v-floor').hidden && document.querySelectorAll('#services tbody tr').length > 0", timeout=15)
    Select(d.find_element(By.ID, 'f-loc')).select_by_value(staff.location_id)
    h.wait(d, f"!!document.querySelector('#desks tr[data-desk=\"{staff.desk_id}\"]')", timeout=15)
    h.wait(d, "document.getElementById('live').textContent.startsWith('Live')", timeout=15)
    clean(d, 'the floor view')
    before = waiting(d, staff.service['id'])
    assert before is not None, 'the test service is listed'
    d.execute_script('window.__sameLoad = true')  # gone if the page reloads

    # Taken: the service's waiting count goes up by itself.
    t = h.take_ticket(staff.location_id, staff.service['id'])
    h.wait(d, f"(() => {{ const c = document.querySelector('#services tr[data-service=\"{staff.service['id']}\"] .waiting');"
              f" return c && Number(c.textContent) === {before + 1}; }})()", timeout=10, message='waiting count did not rise')

    # Called at the test desk: the desk's row shows the number and who called it; the count goes down again.
    r = h.expect(staff.call_next(), 200).json
    assert r['number'] == t['number']
    row = f"document.querySelector('#desks tr[data-desk=\"{staff.desk_id}\"]')"
    h.wait(d, f"{row}.textContent.includes('{t['number']}') && {row}.textContent.includes('geroepen')", timeout=10,
           message='the desk row did not show the called number')
    assert staff.display_name in d.execute_script(f'return {row}.textContent')
    h.wait(d, f"(() => {{ const c = document.querySelector('#services tr[data-service=\"{staff.service['id']}\"] .waiting');"
              f" return c && Number(c.textContent) === {before}; }})()", timeout=10)
    assert d.execute_script('return window.__sameLoad === true'), 'updated without reloading the page'
    clean(d, 'the floor view with a called ticket')

    # An urgent ticket (staff may mark one): listed under "Urgent" in words, its service row marked too.
    staff.release()
    u = h.expect(staff.post(f'/api/v1/locations/{staff.location_id}/tickets',
                            {'serviceId': staff.service['id'], 'priority': 'urgent'}), 201).json
    h.wait(d, f"!!document.querySelector('#urgent li[data-number=\"{u['number']}\"]') && !document.getElementById('urgent-box').hidden",
           timeout=10, message='the urgent ticket was not highlighted')
    assert 'Urgent' in d.find_element(By.CSS_SELECTOR, f'#urgent li[data-number="{u["number"]}"]').text
    assert 'Urgent' in d.find_element(By.CSS_SELECTOR, f'#services tr[data-service="{staff.service["id"]}"]').text
    clean(d, 'the floor view with an urgent ticket')
    assert d.execute_script('return window.__sameLoad === true')
    staff.drain()
