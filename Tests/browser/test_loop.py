"""Full loop: number at the kiosk -> called from the desk page -> on the display and on the visitor's phone."""
import re

import pytest

import helpers as h
from test_kiosk import kiosk_url, open_kiosk, tap_service, ticket_id_on_screen

pytestmark = pytest.mark.server


@pytest.fixture(scope='module')
def driver(server):
    d = h.chrome(1280, 800)
    yield d
    d.quit()


def window(d, url, w, hgt, mobile=False):
    d.switch_to.new_window('window')
    h.viewport(d, w, hgt, mobile)
    d.get(url)
    return d.current_window_handle


def test_kiosk_desk_display_status_loop(driver, kiosk, staff):
    d = driver
    staff.drain()
    nl = h.texts('nl')

    # The display and the visitor's kiosk.
    display = window(d, f'{h.BASE}/display/{h.LOCATION}', 1920, 1080)
    h.wait(d, "document.getElementById('clock').textContent", 10)
    kiosk_w = window(d, kiosk_url(), 800, 480)
    open_kiosk(d)
    number = tap_service(d, staff.service)
    tid = ticket_id_on_screen(d)

    # The visitor follows the ticket on the phone.
    phone = window(d, f'{h.BASE}/t/{tid}', 390, 844, mobile=True)
    h.wait(d, "document.getElementById('num').textContent", 10)
    assert d.find_element('id', 'num').text == number
    assert d.execute_script("return document.body.dataset.status") == 'waiting'

    # Staff log in at the desk page and call the next visitor.
    desk = window(d, f'{h.BASE}/staff', 1280, 800)
    h.wait(d, "!document.getElementById('v-login').hidden", 10, message='no login form')
    violations = h.axe(d)
    assert not violations, violations
    h.screenshot(d, 'staff-nl-1280x800-login')
    d.find_element('id', 'l-user').send_keys('not-' + staff.username)
    d.find_element('id', 'l-pass').send_keys('wrong password')
    d.find_element('css selector', '#f-login button[type=submit]').click()
    h.wait(d, "document.getElementById('l-err').textContent", 10)
    assert d.find_element('id', 'l-err').text in (nl['staff.loginFailed'], nl['staff.tooMany'])
    d.find_element('id', 'l-user').clear()
    d.find_element('id', 'l-user').send_keys(staff.username)
    d.find_element('id', 'l-pass').clear()
    d.find_element('id', 'l-pass').send_keys(staff.password)
    d.find_element('css selector', '#f-login button[type=submit]').click()
    h.choose_desk(d, staff)
    assert staff.desk_name in d.find_element('id', 'h-desk').text
    h.wait(d, f"document.getElementById('q-body').textContent.includes({number!r})", 10, message='own ticket not in the queue list')
    assert re.search(r'\d+', d.find_element('id', 'q-count').text)
    violations = h.axe(d)
    assert not violations, violations
    h.screenshot(d, 'staff-nl-1280x800-queue')
    d.find_element('id', 'b-next').click()
    h.wait(d, f"document.getElementById('cur-num').textContent === {number!r}", 10, message='desk page did not call the kiosk ticket')
    assert d.find_element('id', 'b-next').get_attribute('disabled')

    # The call reaches the display and the phone by themselves.
    d.switch_to.window(display)
    h.wait(d, f"document.getElementById('now-num').textContent === {number!r}", 5, message='call not on the display')
    assert d.find_element('id', 'now-desk-name').text == staff.desk_name
    d.switch_to.window(phone)
    h.wait(d, "document.body.dataset.status === 'called'", 10, message='phone did not show the call')
    body = d.find_element('tag name', 'body').text
    assert nl['status.turn'] in body and staff.desk_name in body
    violations = h.axe(d)
    assert not violations, violations
    h.screenshot(d, 'status-nl-390x844-called')

    # Back at the desk: start, hand over to another service (urgent, with a note), then finish.
    d.switch_to.window(desk)
    d.find_element('css selector', '[data-act="start"]').click()
    h.wait(d, "document.querySelector('[data-act=\"recall\"]').disabled", 10)
    assert h.expect(h.http('GET', f'/api/v1/tickets/{tid}'), 200).json['status'] == 'serving'
    d.find_element('id', 'b-hand').click()
    h.wait(d, "!document.getElementById('f-hand').hidden", 5)
    violations = h.axe(d)
    assert not violations, violations
    h.screenshot(d, 'staff-nl-1280x800-handover')
    target = d.execute_script("return document.getElementById('h-svc').value")
    d.find_element('id', 'h-note').send_keys('Heeft een brief bij zich.')
    d.find_element('css selector', '#h-urgent').click()
    d.find_element('css selector', '#f-hand button[type=submit]').click()
    h.wait(d, "!document.getElementById('cur-none').hidden", 10, message='handover did not free the desk')
    t = h.expect(h.http('GET', f'/api/v1/tickets/{tid}'), 200).json
    assert t['status'] == 'waiting'
    if target in staff.service_ids:
        # Still one of our services: the handed-over ticket is back in our queue, urgent first, with its note.
        h.wait(d, f"document.getElementById('q-body').textContent.includes({number!r})", 10)
        assert 'Heeft een brief bij zich.' in d.find_element('id', 'q-body').text
        d.find_element('id', 'b-next').click()
        h.wait(d, f"document.getElementById('cur-num').textContent === {number!r}", 10)
        d.find_element('css selector', '[data-act="finish"]').click()
        h.wait(d, "!document.getElementById('cur-none').hidden", 10)
        assert h.expect(h.http('GET', f'/api/v1/tickets/{tid}'), 200).json['status'] == 'done'

    # Logging out ends the session.
    d.find_element('id', 'logout').click()
    h.wait(d, "!document.getElementById('v-login').hidden", 10)
    d.refresh()
    h.wait(d, "!document.getElementById('v-login').hidden", 10, message='session survived logout')
    for w in (kiosk_w, phone, display):
        d.switch_to.window(w)
        d.close()
    d.switch_to.window(desk)
