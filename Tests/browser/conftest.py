"""Fixtures of the browser tests. They run against a real `loket serve` named by LOKET_BASE_URL (see helpers.py)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import helpers as h  # noqa: E402


def pytest_collection_modifyitems(config, items):
    if h.BASE:
        return
    skip = pytest.mark.skip(reason='LOKET_BASE_URL is not set: no loket server to test against')
    for item in items:
        if 'server' in item.keywords:
            item.add_marker(skip)


def pytest_configure(config):
    config.addinivalue_line('markers', 'server: needs a running loket server (LOKET_BASE_URL)')


@pytest.fixture(scope='session')
def server():
    r = h.http('GET', '/healthz', timeout=5)
    assert r.status == 200, f'loket server at {h.BASE} is not healthy: {r!r}'
    return h.BASE


@pytest.fixture(scope='session')
def kiosk(server):
    """The kiosk data of the test location, in Dutch."""
    data = h.kiosk_data('nl')
    h.ensure_device(data['location']['id'])
    return data


@pytest.fixture(scope='session')
def staff(kiosk):
    return h.Staff(kiosk)


@pytest.fixture(scope='module')
def driver(server):
    d = h.chrome(800, 480)
    yield d
    d.quit()
