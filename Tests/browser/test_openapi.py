"""The served OpenAPI document is a valid OpenAPI 3 document (the Swift tests check it lists every route)."""
import pytest
from openapi_spec_validator import validate

import helpers as h

pytestmark = pytest.mark.server


def test_openapi_document_is_valid(server):
    doc = h.expect(h.http('GET', '/api/v1/openapi.json'), 200).json
    validate(doc)
    assert doc['openapi'].startswith('3.')
    # Every error is documented as problem+json.
    for path, ops in doc['paths'].items():
        for method, op in ops.items():
            assert 'application/problem+json' in op['responses']['404']['content'], f'{method} {path}'
