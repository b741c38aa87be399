"""Property-based API test: schemathesis generates requests from the served OpenAPI document, for every operation and
every role, and checks that no request gets a 5xx and every response matches the document (status code, content
type, headers, body schema).

It runs against a `loket serve` of its own on a fresh database with the demo data (LOKET_BINARY, on the server of
LOKET_DATABASE_URL), so the random agencies, services and staff it creates never reach the other browser tests.
Bounded: SCHEMA_EXAMPLES examples per operation and role (default 25), a few minutes in all.
"""
import os
import subprocess
import urllib.request

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_headers_conformance,
                                 response_schema_conformance, status_code_conformance)

import helpers as h

pytestmark = pytest.mark.server

BINARY = os.environ.get('LOKET_BINARY', '')
EXAMPLES = int(os.environ.get('SCHEMA_EXAMPLES', '25'))
ADMIN_TOKEN = 'schema-test-admin-token'
# username/password of the demo logins, one per role (see Sources/API/Demo.swift).
ROLE_LOGINS = {'staff': ('uwv', 'demo-uwv-2026'), 'coordinator': ('coordinator', 'demo-coordinator'),
               'admin': ('admin', 'demo-admin-2026')}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.fixture(scope='module')
def schema_server(tmp_path_factory):
    if not BINARY or not h.DB_URL:
        pytest.skip('needs LOKET_BINARY and LOKET_DATABASE_URL (deploy/test sets both)')
    name, url = h.private_database('schema')
    port = h.free_port()
    env = dict(os.environ, LOKET_DATABASE_URL=url, LOKET_PORT=str(port), LOKET_ADMIN_TOKEN=ADMIN_TOKEN,
               LOKET_KIOSK_DIR=h.KIOSK_DIR, LOKET_BOOKING_RATE_PER_MINUTE='0', LOKET_HOLDS_PER_ADDRESS='0', LOKET_TICKET_RATE_PER_MINUTE='0', LOKET_LOGIN_RATE_PER_MINUTE='0')
    subprocess.run([BINARY, 'demo'], env=env, check=True, capture_output=True)
    log = open(tmp_path_factory.mktemp('schema') / 'loket.log', 'wb')
    p, base = h.start_loket(BINARY, env, log, 'the schema test server')
    try:
        yield base
    finally:
        h.stop_loket(p)
        log.close()
        h.drop_database(name)


@pytest.fixture(scope='module')
def role_headers(schema_server):
    """Authorization headers of every role: none, staff, coordinator, admin (staff record) and the bootstrap token."""
    headers = {'anonymous': {}, 'bootstrap': {'Authorization': f'Bearer {ADMIN_TOKEN}'}}
    for role, (username, password) in ROLE_LOGINS.items():
        import json
        req = urllib.request.Request(schema_server + '/api/v1/sessions', method='POST',
                                     data=json.dumps({'username': username, 'password': password}).encode(),
                                     headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(req, timeout=10) as r:
            headers[role] = {'Authorization': 'Bearer ' + json.loads(r.read())['token']}
    return headers


@pytest.fixture(scope='module')
def api_schema(schema_server):
    schema = schemathesis.openapi.from_url(schema_server + '/api/v1/openapi.json')
    # An event stream never ends: its documented behaviour is tested in EventHub tests and the display tests.
    # Logging out would end the role's session for the rest of the run.
    return schema.exclude(path_regex=r'/events$').exclude(method='DELETE', path='/api/v1/sessions/current')


schema = schemathesis.pytest.from_fixture('api_schema')


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_for_every_role_matches_the_document(case, role_headers):
    for role, headers in role_headers.items():
        response = case.call(headers=headers, timeout=15)
        case.validate_response(response, checks=CHECKS)
