"""Checks of the kiosk files themselves (no server needed): translations complete, CSP-safe pages, small assets."""
import glob
import gzip
import json
import os
import re
import wave

import pytest

import helpers as h

PUBLIC_PREFIXES = ('kiosk.', 'lq.', 'display.', 'status.', 'wait.')


def load(lang):
    return h.texts(lang)


def placeholders(s):
    return set(re.findall(r'\{(\w+)\}', s))


@pytest.mark.parametrize('lang', h.LANGS)
def test_translation_file_is_complete(lang):
    nl, d = load('nl'), load(lang)
    assert d['_name'].strip() and d['_dir'] == ('rtl' if lang == 'ar' else 'ltr')
    required = [k for k in nl if not k.startswith('staff.') and not k.startswith('wait.')] + ['wait.other']
    if lang in ('nl', 'en'):
        required += [k for k in nl if k.startswith('staff.')]
    missing = [k for k in required if not str(d.get(k, '')).strip()]
    assert not missing, f'{lang}.json lacks {missing}'
    for k, v in d.items():
        assert isinstance(v, str) and v.strip(), f'{lang}.json: {k} is empty'
        if k in nl and not k.startswith('wait.'):
            assert placeholders(v) == placeholders(nl[k]), f'{lang}.json: {k} has placeholders {placeholders(v)}, nl has {placeholders(nl[k])}'
    assert '{n}' in d['wait.other']


@pytest.mark.parametrize('lang', h.LANGS)
def test_plural_forms_cover_the_language(lang):
    """Every plural category the language has (per CLDR, as Intl.PluralRules uses) has a text, or 'other' serves."""
    d = load(lang)
    forms = {'nl': {'one', 'other'}, 'en': {'one', 'other'}, 'tr': {'one', 'other'},
             'pl': {'one', 'few', 'many', 'other'}, 'uk': {'one', 'few', 'many', 'other'},
             'ar': {'zero', 'one', 'two', 'few', 'many', 'other'}}[lang]
    for f in forms - {'other'}:
        # Missing forms would fall back to 'other', which is wrong for Polish, Ukrainian and Arabic.
        if lang in ('pl', 'uk', 'ar') or f == 'one':
            assert f'wait.{f}' in d, f'{lang}.json lacks wait.{f}'


def used_keys():
    keys = set()
    for p in glob.glob(os.path.join(h.KIOSK_DIR, '*.html')):
        keys |= set(re.findall(r'data-t="([^"]+)"', open(p, encoding='utf-8').read()))
    for p in glob.glob(os.path.join(h.KIOSK_DIR, '*.js')):
        src = open(p, encoding='utf-8').read()
        keys |= {k for k in re.findall(r"\bt\('([\w.]+)'", src) if not k.endswith('.')}
    return keys


def test_every_key_the_pages_use_exists():
    nl, en = load('nl'), load('en')
    missing = sorted(k for k in used_keys() if k not in nl or k not in en)
    assert not missing, missing


@pytest.mark.parametrize('page', ['kiosk', 'display', 'status', 'staff'])
def test_page_is_csp_safe_and_self_contained(page):
    html = open(os.path.join(h.KIOSK_DIR, page + '.html'), encoding='utf-8').read()
    assert re.search(r'<html lang="nl" dir="ltr">', html)
    assert '<link rel="icon" href="data:,">' in html, 'without it Chromium requests /favicon.ico'
    assert not re.search(r'<script(?![^>]*\bsrc=)[^>]*>', html), 'inline <script> is blocked by the CSP'
    assert not re.search(r'\sstyle=', html), 'style attributes are blocked by the CSP'
    assert not re.search(r'\son[a-z]+=', html), 'inline event handlers are blocked by the CSP'
    assert '<style' not in html
    refs = re.findall(r'(?:src|href)="([^"#][^"]*)"', html)
    for r in refs:
        assert r.startswith('/assets/') or r.startswith('data:'), f'{page}.html refers to {r}: use /assets/... from this server only'
    assert len([r for r in refs if r.endswith('.css')]) == 1 and len([r for r in refs if r.endswith('.js')]) == 1
    js = open(os.path.join(h.KIOSK_DIR, page + '.js'), encoding='utf-8').read()
    assert 'style=' not in js and 'eval(' not in js and 'new Function' not in js
    assert 'setInterval(' not in js or page == 'kiosk', 'no polling timers'
    assert not re.search(r'https?://', js + html), 'no third-party hosts'


def test_kiosk_files_fit_the_budget():
    """HTML + CSS + JS gzipped leave room for the data call (~3 KB) and headers (~1.5 KB) in the 15 KB first load."""
    total = 0
    for f in ['kiosk.html', 'kiosk.css', 'kiosk.js']:
        total += len(gzip.compress(open(os.path.join(h.KIOSK_DIR, f), 'rb').read(), 9))
    assert total < 10.5 * 1024, f'kiosk files are {total} bytes gzipped'


def test_chime_is_a_small_wav():
    p = os.path.join(h.KIOSK_DIR, 'chime.wav')
    assert os.path.getsize(p) <= 20 * 1024
    with wave.open(p) as w:
        seconds = w.getnframes() / w.getframerate()
        assert 0.3 < seconds < 2.0


def test_translations_are_valid_json_objects():
    for p in glob.glob(os.path.join(h.KIOSK_DIR, 'i18n', '*.json')):
        d = json.load(open(p, encoding='utf-8'))
        assert isinstance(d, dict) and all(isinstance(v, str) for v in d.values()), p
