"""The status page on the visitor's phone, in the ticket's language, live."""
import pytest

import helpers as h

pytestmark = pytest.mark.server


@pytest.fixture(scope='module')
def driver(server):
    d = h.chrome(390, 844)
    h.viewport(d, 390, 844, mobile=True)
    yield d
    d.quit()


def open_status(d, ticket_id, lang=None):
    d.get(f'{h.BASE}/t/{ticket_id}' + (f'?lang={lang}' if lang else ''))
    h.wait(d, "document.getElementById('num').textContent && !document.getElementById('main').hasAttribute('aria-busy')", 10,
           message='status page did not load')


@pytest.fixture(scope='module')
def ticket(kiosk):
    svc = next(s for s in kiosk['services'] if not s['urgent'])
    return h.take_ticket(kiosk['location']['id'], svc['id'], 'ar')


def test_status_page_uses_the_tickets_language(driver, ticket):
    d = driver
    open_status(d, ticket['id'])
    assert d.execute_script("return [document.documentElement.lang, document.documentElement.dir]") == ['ar', 'rtl']
    assert d.find_element('id', 'num').text == ticket['number']
    assert h.texts('ar')['status.live'] in d.find_element('tag name', 'body').text
    h.screenshot(d, 'status-ar-390x844-waiting')


@pytest.mark.parametrize('lang', h.LANGS)
def test_axe_status_every_language(driver, ticket, lang):
    d = driver
    open_status(d, ticket['id'], lang)
    assert d.execute_script("return document.documentElement.lang") == lang
    api = h.expect(h.http('GET', f'/api/v1/tickets/{ticket["id"]}'), 200).json
    body = d.find_element('tag name', 'body').text
    if api['status'] == 'waiting' and api.get('estimatedWaitMinutes') is None:
        assert h.texts(lang)['waitUnknown'] in body
    violations = h.axe(d)
    assert not violations, violations
    if lang == 'nl':
        h.screenshot(d, 'status-nl-390x844-waiting')


def test_status_page_unknown_ticket(driver):
    d = driver
    d.get(f'{h.BASE}/t/00000000-0000-4000-8000-000000000000')
    h.wait(d, "document.getElementById('card').hidden", 10)
    assert 'We kunnen dit nummer niet vinden' in d.find_element('tag name', 'body').text
    violations = h.axe(d)
    assert not violations, violations
