"""Reports page (/coordinator/reports): a coordinator logs in, the server-rendered SVG charts render with their tables
beside them, the CSV downloads and parses, axe-core is clean. A few visits are made first over the API (a finish with
outcome categories, a no-show), so today's figures are not empty."""
import csv
import datetime
import io

import pytest

import helpers as h

pytestmark = pytest.mark.server


@pytest.fixture(scope='module')
def history(staff):
    """Two visits today at the test staff member's desk: one served with outcome categories, one no-show."""
    staff.drain()
    served = h.take_ticket(staff.location_id, staff.service['id'])
    h.take_ticket(staff.location_id, staff.service['id'])
    r = h.expect(staff.call_next(), 200).json
    assert r['id'] == served['id']
    h.expect(staff.act(r['id'], 'finish', {'outcomeCategories': ['topic-digid', 'layer-national', 'help-explained']}), 200)
    r = h.expect(staff.call_next(), 200).json
    h.expect(staff.act(r['id'], 'no-show'), 200)
    return staff


@pytest.fixture(scope='module')
def coordinator(staff):
    name, password = 'rapport-' + h.rand(), 'Rapport-test-' + h.rand(16)
    h.expect(h.http('POST', '/api/v1/staff', {'agencyId': staff.agency_id, 'username': name, 'password': password,
                                              'displayName': 'Rapport Test', 'role': 'coordinator', 'serviceIds': []},
                    token=h.ADMIN), 201)
    return name, password


def test_coordinator_sees_charts_tables_and_downloads_csv(history, coordinator):
    d = h.chrome(1366, 768)
    try:
        d.get(h.BASE + '/coordinator/reports')
        h.wait(d, "document.getElementById('l-user') && !document.getElementById('v-login').hidden")
        assert h.axe(d) == [], 'login view'
        d.find_element('id', 'l-user').send_keys(coordinator[0])
        d.find_element('id', 'l-pass').send_keys(coordinator[1])
        d.find_element('css selector', '#f-login button[type=submit]').click()
        h.wait(d, "!document.getElementById('v-reports').hidden && /geholpen bezoekers/.test(document.getElementById('flash').textContent)",
               timeout=15)
        # A period around today whatever the browser's zone, then show it.
        today = datetime.date.today()
        d.execute_script("""
            document.getElementById('r-from').value = arguments[0];
            document.getElementById('r-to').value = arguments[1];
            document.getElementById('f-filter').requestSubmit();
        """, str(today - datetime.timedelta(days=1)), str(today + datetime.timedelta(days=1)))
        period = f'{today - datetime.timedelta(days=1)} tot en met {today + datetime.timedelta(days=1)}'
        h.wait(d, "document.querySelector('#chart-visits svg') && document.querySelector('#chart-outcomes svg')"
                  " && document.getElementById('flash').textContent.includes(arguments[0])".replace('arguments[0]', repr(period)), timeout=15)
        assert period in d.execute_script("return document.querySelector('#chart-visits svg title').textContent")

        # The chart is markup in the page, named for screen readers, with patterns and text labels; its table beside it.
        svg = d.execute_script("""
            const s = document.querySelector('#chart-visits svg');
            return {role: s.getAttribute('role'), title: s.querySelector('title').textContent,
                    desc: s.querySelector('desc').textContent, patterns: s.querySelectorAll('pattern').length,
                    bars: s.querySelectorAll('rect[fill^="url("]').length, texts: s.querySelectorAll('text').length,
                    width: s.getBoundingClientRect().width};
        """)
        assert svg['role'] == 'img' and svg['title'].startswith('Bezoekers per dag'), svg
        assert 'tabel' in svg['desc'] and svg['patterns'] >= 3 and svg['bars'] >= 3 and svg['width'] > 200, svg
        rows = d.execute_script("return [...document.querySelectorAll('#t-visits tbody tr')].map(r => [...r.cells].map(c => c.textContent))")
        assert rows and all(len(r) == 4 for r in rows), rows
        assert sum(int(r[1]) for r in rows) >= 1 and sum(int(r[3]) for r in rows) >= 1, rows
        served = d.execute_script("return document.querySelector('#figures dd').textContent")
        assert int(served.replace('.', '')) >= 1
        outcomes = d.execute_script("return [...document.querySelectorAll('#t-outcomes tbody tr')].map(r => [...r.cells].map(c => c.textContent))")
        digid = [r for r in outcomes if r[1] == 'DigiD en inloggen']
        assert digid and int(digid[0][2]) >= 1, outcomes
        assert d.execute_script("return document.querySelector('#chart-handovers svg title').textContent").startswith('Warme overdrachten')

        # The CSV link downloads with the session: a file name, and rows a CSV parser reads.
        got = d.execute_async_script("""
            const done = arguments[arguments.length - 1];
            fetch(document.getElementById('csv-visits').href, {credentials: 'same-origin'})
              .then(async r => done({status: r.status, type: r.headers.get('content-type'),
                                     disposition: r.headers.get('content-disposition'), text: await r.text()}))
              .catch(e => done({status: 0, text: String(e)}));
        """)
        assert got['status'] == 200 and got['type'].startswith('text/csv'), got
        assert got['disposition'].startswith('attachment; filename="bezoeken-'), got
        table = list(csv.DictReader(io.StringIO(got['text'])))
        assert table[-1]['datum'] == 'totaal', table
        assert int(table[-1]['geholpen']) >= 1 and int(table[-1]['niet_gekomen']) >= 1, table
        assert set(table[0]) >= {'datum', 'bezoeken', 'inloop', 'afspraak', 'wachttijd_p50_sec', 'wachttijd_p90_sec'}

        assert h.axe(d) == [], 'reports view'
        h.screenshot(d, 'reports-1366')
    finally:
        d.quit()


def test_staff_may_not_open_reports(staff):
    r = h.http('GET', '/api/v1/reports/visits?from=2026-01-01&to=2026-01-31', token=staff.token)
    assert r.status == 403, r
