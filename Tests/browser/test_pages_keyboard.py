"""Every page for the people who run the loket, by keyboard alone at 1366×768: logging in with the keyboard, then
Tab reaches every visible control of the first screen in document order, each with a visible focus indicator, and
nothing on the page scrolls sideways. The booking flow has its own keyboard test (test_booking_page.py); here its
first screen is checked like the others, in Dutch and in Arabic (right to left)."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.action_chains import ActionChains

import helpers as h

pytestmark = pytest.mark.server

# (path, login or None, JavaScript that is true once the first screen is drawn)
PAGES = [
    ('/coordinator', ('coordinator', 'demo-coordinator'), "performance.getEntriesByName('coordinator-ready').length > 0"),
    ('/coordinator/floor', ('coordinator', 'demo-coordinator'), "document.querySelectorAll('#services tbody tr').length > 0"),
    ('/coordinator/reports', ('coordinator', 'demo-coordinator'), "!!document.querySelector('#chart-visits svg')"),
    ('/admin', ('admin', 'demo-admin-2026'), "!!document.getElementById('list')"),
    ('/admin/audit', ('admin', 'demo-admin-2026'), "Number((document.getElementById('k-days') || {}).value) > 0"),
    (f'/afspraak/{h.LOCATION}', None, "performance.getEntriesByName('booking-ready').length > 0"),
    (f'/afspraak/{h.LOCATION}?lang=ar', None, "performance.getEntriesByName('booking-ready').length > 0"),
]

# A stable name for an element: its id, else its path from <body>.
KEY_JS = """
window.__keyOf = window.__keyOf || ((e) => {
  if (e.id) return '#' + e.id;
  const path = [];
  for (; e && e !== document.body; e = e.parentElement) path.unshift(e.tagName.toLowerCase() + ':' + [...e.parentElement.children].indexOf(e));
  return path.join('>');
});
"""

# The controls a keyboard user must reach: visible, enabled, not taken out of the tab order.
CONTROLS_JS = KEY_JS + """
const sel = 'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]';
return [...document.querySelectorAll(sel)].filter((e) => {
  if (e.disabled || e.closest('[hidden], [inert]') || e.getAttribute('tabindex') === '-1') return false;
  const r = e.getBoundingClientRect(), s = getComputedStyle(e);
  return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
}).filter((e, i, all) => !(e.type === 'radio' && all.some((o, j) => j < i && o.type === 'radio' && o.name === e.name && o.form === e.form)))
  .map(window.__keyOf);
"""

# Whether the focused element shows that it has focus: an outline or a box shadow that is not there without focus.
ACTIVE_JS = KEY_JS + """
const e = document.activeElement;
if (!e || e === document.body || e === document.documentElement) return null;
const s = getComputedStyle(e);
return [window.__keyOf(e), (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || (!!s.boxShadow && s.boxShadow !== 'none')];
"""


@pytest.fixture(scope='module')
def d(server):
    d = h.chrome(1366, 768)
    yield d
    d.quit()


def keys(d, *k):
    ActionChains(d).send_keys(*k).perform()


def login_by_keyboard(d, username, password):
    h.wait(d, "!!document.getElementById('l-user') && !document.getElementById('v-login').hidden")
    d.find_element(By.ID, 'l-user').click()  # the first field; from here on only keys
    keys(d, username, Keys.TAB, password, Keys.ENTER)


@pytest.mark.parametrize('path,login,ready', PAGES, ids=[p[0] for p in PAGES])
def test_page_works_by_keyboard_alone(d, path, login, ready):
    d.delete_all_cookies()
    d.get(h.BASE + path)
    d.execute_script('sessionStorage.clear()')
    if login:
        d.get(h.BASE + path)
        login_by_keyboard(d, *login)
    h.wait(d, ready, 20, message=f'{path}: first screen not drawn')
    assert d.execute_script('return document.documentElement.scrollWidth <= window.innerWidth + 1'), \
        f'{path}: the page scrolls sideways at 1366x768'

    controls = d.execute_script(CONTROLS_JS)
    assert controls, f'{path}: no controls found'
    # Start from the top of the document, then Tab through: every control must be reached, each showing focus.
    # (focusing <body> moves the sequential focus starting point to the top, as a fresh page load would)
    d.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);"
                     "document.body.tabIndex = -1; document.body.focus(); document.body.removeAttribute('tabindex')")
    reached, unshown = [], []
    for _ in range(len(controls) * 2 + 10):
        keys(d, Keys.TAB)
        active = d.execute_script(ACTIVE_JS)
        if active is None:
            if reached:
                break  # past the last control, focus left the document
            continue
        key, shown = active
        if reached and key == reached[0]:
            break  # wrapped around
        reached.append(key)
        if not shown:
            unshown.append(key)
    missing = [k for k in controls if k not in reached]
    assert not missing, f'{path}: not reachable by Tab: {missing[:8]}'
    assert not unshown, f'{path}: focus not visible on: {unshown[:8]}'
