// The citizen's booking page (/afspraak/{locationCode}) and manage page (/mijn-afspraak/{token}): one light script
// for both, no framework. Order as in Open Forms: what → persons → day → time → details → confirm. Everything
// typed stays in the form whatever happens (a taken slot, an error), and the booking carries an Idempotency-Key so
// a double click or a retry after a network error books once. Times are shown as the API gives them: RFC 3339 in
// the location's own offset (Europe/Amsterdam), so the wall-clock part is the local time.
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const LANGS = [['nl', 'Nederlands'], ['en', 'English'], ['ar', 'العربية'], ['tr', 'Türkçe'], ['pl', 'Polski'], ['uk', 'Українська']];
  const params = new URLSearchParams(location.search);
  const lang = LANGS.some((l) => l[0] === params.get('lang')) ? params.get('lang') : 'nl';
  const page = document.body.dataset.page;
  const TZ = 'Europe/Amsterdam';
  // The page's own texts (kiosk/i18n/booking/<lang>.json), not the kiosk's: hence data-bt and tr().
  let T = {};
  const tr = (k, vars) => {
    let s = T[k] || k;
    for (const [a, b] of Object.entries(vars || {})) s = s.split('{' + a + '}').join(b);
    return s;
  };
  const withLang = (path) => (lang === 'nl' ? path : path + '?lang=' + lang);

  class Failure extends Error {
    constructor(status, problem) { super((problem && (problem.detail || problem.title)) || 'HTTP ' + status); this.status = status; this.problem = problem || {}; }
  }
  async function api(method, path, body, headers) {
    let r;
    try {
      // credentials: 'omit' — the citizen acts as the public even in a browser where staff are logged in.
      r = await fetch(path, { method, credentials: 'omit', headers: Object.assign({ Accept: 'application/json' },
        body ? { 'Content-Type': 'application/json' } : {}, headers || {}), body: body ? JSON.stringify(body) : undefined });
    } catch (e) { throw new Failure(0, null); }
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
    if (!r.ok) throw new Failure(r.status, json);
    return json;
  }
  function flash(msg, bad) {
    const f = $('flash');
    f.textContent = msg || '';
    f.className = 'flash' + (bad ? ' bad' : '');
  }
  function failText(e) {
    if (!(e instanceof Failure)) return tr('error.other');
    if (e.status === 0) return tr('error.network');
    if (e.status === 429) return tr('error.busy');
    return tr('error.other');
  }
  const el = (tag, attrs, text) => {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, v);
    if (text != null) n.textContent = text;
    return n;
  };
  const focus = (id) => { const n = $(id); if (n) n.focus(); };
  const show = (id, on) => { $(id).hidden = !on; };

  // ---- dates: local dates as 'YYYY-MM-DD', formatted with Intl in UTC so no zone shifts the calendar day ----
  const pad = (n) => String(n).padStart(2, '0');
  const iso = (y, m, d) => `${y}-${pad(m)}-${pad(d)}`;
  const utc = (day) => new Date(Date.UTC(+day.slice(0, 4), +day.slice(5, 7) - 1, +day.slice(8, 10)));
  const fmt = (opts) => new Intl.DateTimeFormat(lang, Object.assign({ timeZone: 'UTC', numberingSystem: 'latn' }, opts));
  const longDay = (day) => fmt({ weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(utc(day));
  const clock = (start) => start.slice(11, 16);
  // The times as one left-to-right island (U+2066 … U+2069), or Arabic text shows "16:45–16:30" for 16:30–16:45.
  const when = (start, end) => longDay(start.slice(0, 10)) + ' ' + tr('at') + ' \u2066' + clock(start) + (end ? '–' + clock(end) : '') + '\u2069';
  function today() {
    const p = {};
    for (const x of new Intl.DateTimeFormat('en', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date())) p[x.type] = x.value;
    return `${p.year}-${p.month}-${p.day}`;
  }
  const place = (name, a) => [name, a.streetAddress || a.address, [a.postalCode, a.city].filter(Boolean).join(' ')].filter(Boolean).join(', ');

  // ---- texts and languages ----
  async function texts() {
    T = await api('GET', `/assets/i18n/booking/${lang}.json`);
    document.documentElement.lang = lang;
    document.documentElement.dir = T._dir === 'rtl' ? 'rtl' : 'ltr';
    for (const n of document.querySelectorAll('[data-bt]')) if (T[n.dataset.bt]) n.textContent = T[n.dataset.bt];
    document.title = tr(page === 'book' ? 'title' : 'manage.title');
    const nav = $('langs');
    for (const [code, name] of LANGS) {
      const a = el('a', { href: code === 'nl' ? location.pathname : '?lang=' + code, lang: code, hreflang: code }, name);
      if (code === lang) a.setAttribute('aria-current', 'true');
      nav.append(a);
    }
  }

  // ---- state shared by the booking and the manage page ----
  const s = { locationId: null, typeId: null, types: [], persons: 1, month: null, day: null, start: null, end: null, days: new Set(), times: [], monthSeq: 0, daySeq: 0 };

  // ---- month view: a table of buttons, only bookable days enabled; arrows move between them ----
  function weekdays() {
    const head = $('wdays');
    head.textContent = '';
    for (let i = 0; i < 7; i++) {
      const d = new Date(Date.UTC(2024, 0, 1 + i)); // 1 January 2024 was a Monday
      const th = el('th', { scope: 'col' });
      // Arabic's "short" weekdays are the whole words: too wide for a phone's seven columns, so one letter there.
      th.append(el('abbr', { title: fmt({ weekday: 'long' }).format(d) }, fmt({ weekday: lang === 'ar' ? 'narrow' : 'short' }).format(d)));
      head.append(th);
    }
  }
  const monthOf = (day) => ({ y: +day.slice(0, 4), m: +day.slice(5, 7) });
  const monthKey = (mo) => mo.y * 12 + mo.m;
  // Computed on first use, not while the page loads (an Intl formatter is not free on a slow phone).
  let now = null, lastMonth = 0;
  const knowToday = () => { if (!now) { now = today(); lastMonth = monthKey(monthOf(now)) + 12; } };

  async function loadMonth(auto) {
    const { y, m } = s.month;
    knowToday();
    $('month').textContent = fmt({ month: 'long', year: 'numeric' }).format(new Date(Date.UTC(y, m - 1, 1)));
    $('prev').disabled = monthKey(s.month) <= monthKey(monthOf(now));
    $('next').disabled = monthKey(s.month) >= lastMonth;
    const first = iso(y, m, 1), last = iso(y, m, new Date(Date.UTC(y, m, 0)).getUTCDate());
    const from = first < now ? now : first;
    s.days = new Set();
    drawMonth(true);
    const q = `appointmentType=${s.typeId}&from=${from}&to=${last}&persons=${s.persons}`;
    const seq = ++s.monthSeq; // quick clicks on "next month": only the last answer counts
    const r = await api('GET', `/api/v1/locations/${s.locationId}/available-days?${q}`);
    if (seq !== s.monthSeq) return;
    s.days = new Set(r.items);
    // Near the end of a month the first free day is often in the next one: look ahead twice by ourselves.
    if (auto && !s.days.size && auto < 3 && monthKey(s.month) < lastMonth) {
      s.month = m === 12 ? { y: y + 1, m: 1 } : { y, m: m + 1 };
      return loadMonth(auto + 1);
    }
    drawMonth(false);
  }
  function drawMonth(loading) {
    const { y, m } = s.month;
    const body = $('days');
    body.textContent = '';
    const count = new Date(Date.UTC(y, m, 0)).getUTCDate();
    const lead = (new Date(Date.UTC(y, m - 1, 1)).getUTCDay() + 6) % 7;
    let row = el('tr');
    for (let i = 0; i < lead; i++) row.append(el('td'));
    for (let d = 1; d <= count; d++) {
      const day = iso(y, m, d);
      const free = s.days.has(day);
      const b = el('button', { type: 'button', 'data-day': day, 'aria-label': longDay(day) + ', ' + tr(free ? 'day.free' : 'day.full') }, String(d));
      b.setAttribute('aria-pressed', String(day === s.day));
      if (!free) { b.disabled = true; b.setAttribute('aria-disabled', 'true'); }
      const td = el('td');
      td.append(b);
      row.append(td);
      if ((lead + d) % 7 === 0) { body.append(row); row = el('tr'); }
    }
    if (row.children.length) { while (row.children.length < 7) row.append(el('td')); body.append(row); }
    $('nodays').hidden = loading || s.days.size > 0;
    $('st-day').setAttribute('aria-busy', String(loading));
  }
  function monthKeys(e) {
    const b = e.target.closest('button[data-day]');
    if (!b) return;
    const rtl = document.documentElement.dir === 'rtl';
    const step = { ArrowRight: rtl ? -1 : 1, ArrowLeft: rtl ? 1 : -1, ArrowDown: 7, ArrowUp: -7 }[e.key];
    if (!step) return;
    e.preventDefault();
    const all = [...document.querySelectorAll('#days button[data-day]')];
    for (let i = all.indexOf(b) + step; i >= 0 && i < all.length; i += step) {
      if (!all[i].disabled) { all[i].focus(); return; }
    }
  }
  async function pickDay(day, keep) {
    s.day = day;
    for (const b of document.querySelectorAll('#days button[data-day]')) b.setAttribute('aria-pressed', String(b.dataset.day === day));
    if (!keep) { s.start = null; show('st-details', false); show('taken', false); }
    $('dayname').textContent = longDay(day);
    show('st-time', true);
    $('times').textContent = '';
    const q = `appointmentType=${s.typeId}&from=${day}&to=${day}&persons=${s.persons}`;
    const seq = ++s.daySeq;
    const r = await api('GET', `/api/v1/locations/${s.locationId}/available-times?${q}`);
    if (seq !== s.daySeq) return;
    s.times = r.items;
    drawTimes();
  }
  function timeButton(slot, alt) {
    const b = el('button', { type: 'button', 'data-start': slot.start, 'data-end': slot.end },
      alt ? longDay(slot.start.slice(0, 10)) + ' ' + clock(slot.start) : clock(slot.start));
    b.setAttribute('aria-pressed', String(slot.start === s.start));
    if (alt) b.dataset.alt = '1';
    return b;
  }
  function drawTimes() {
    const box = $('times');
    box.textContent = '';
    for (const slot of s.times) box.append(timeButton(slot, false));
    if (!s.times.length) box.append(el('p', { class: 'muted' }, tr('time.none')));
  }
  function pickTime(start, end) {
    s.start = start;
    s.end = end;
    for (const b of document.querySelectorAll('#times button, #alts button')) b.setAttribute('aria-pressed', String(b.dataset.start === start));
    show('st-details', true);
    summary();
  }
  function summary() {
    const type = s.types.find((x) => x.id === s.typeId);
    if (page === 'manage') { $('summary').textContent = s.start ? when(s.start) : ''; return; }
    $('summary').textContent = s.start ? tr('summary', {
      what: type ? type.name : '', persons: s.persons === 1 ? tr('persons.one') : tr('persons', { n: s.persons }), when: when(s.start),
    }) : '';
  }
  // A taken slot: the alternatives at once, above the times of the day; nothing else changes.
  async function taken(e) {
    const alts = (e.problem && e.problem.alternatives) || [];
    s.start = null;
    const box = $('alts');
    box.textContent = '';
    for (const slot of alts) box.append(timeButton(slot, true));
    $('taken').firstElementChild.textContent = tr(alts.length ? 'taken' : 'taken.none');
    show('taken', true);
    flash(''); // the alert above the times says it, once
    summary();
    if (s.day) {
      try { await pickDay(s.day, true); } catch (err) { /* the alternatives are shown anyway */ }
    }
    const firstAlt = box.querySelector('button');
    if (firstAlt) firstAlt.focus(); else focus('h-time');
  }
  async function pickAlternative(b) {
    const day = b.dataset.start.slice(0, 10);
    const start = b.dataset.start, end = b.dataset.end;
    if (day !== s.day) {
      const mo = monthOf(day);
      if (monthKey(mo) !== monthKey(s.month)) { s.month = mo; await loadMonth(0); }
      await pickDay(day, true);
    }
    pickTime(start, end);
    focus('confirm');
  }
  function calendarEvents() {
    weekdays();
    $('prev').addEventListener('click', () => { const { y, m } = s.month; s.month = m === 1 ? { y: y - 1, m: 12 } : { y, m: m - 1 }; loadMonth(0).catch(fail); });
    $('next').addEventListener('click', () => { const { y, m } = s.month; s.month = m === 12 ? { y: y + 1, m: 1 } : { y, m: m + 1 }; loadMonth(0).catch(fail); });
    $('days').addEventListener('click', (e) => {
      const b = e.target.closest('button[data-day]');
      if (b && !b.disabled) pickDay(b.dataset.day, false).then(() => focus('h-time')).catch(fail);
    });
    $('days').addEventListener('keydown', monthKeys);
    $('times').addEventListener('click', (e) => {
      const b = e.target.closest('button[data-start]');
      if (b) { show('taken', false); pickTime(b.dataset.start, b.dataset.end); focus(page === 'book' ? 'h-details' : 'confirm'); }
    });
    $('alts').addEventListener('click', (e) => {
      const b = e.target.closest('button[data-start]');
      if (b) pickAlternative(b).catch(fail);
    });
  }
  function fail(e) {
    if (!(e instanceof Failure) && window.console) console.error(e); // a bug, not the network: keep it findable
    flash(failText(e), true);
  }
  function startCalendar() {
    s.day = null; s.start = null;
    show('st-time', false); show('st-details', false); show('taken', false);
    knowToday();
    s.month = monthOf(now);
    show('st-day', true);
    return loadMonth(1);
  }

  // ---- idempotency: one key per intended booking, reused only when the same request is retried ----
  let pending = null;
  function key(bodyText) {
    if (!pending || pending.body !== bodyText) {
      let k;
      try { k = crypto.randomUUID(); } catch (e) {
        k = Array.from(crypto.getRandomValues(new Uint8Array(16)), (x) => x.toString(16).padStart(2, '0')).join('');
      }
      pending = { body: bodyText, key: k };
    }
    return pending.key;
  }
  async function busy(button, work) {
    if (button.disabled) return;
    const label = button.textContent;
    button.disabled = true;
    button.textContent = tr('busy');
    try { await work(); } finally { button.disabled = false; button.textContent = label; }
  }

  // ---- the booking page ----
  let fieldSpec = { fields: [], oneOf: [] };
  const inputType = { name: ['text', 'name'], email: ['email', 'email'], phone: ['tel', 'tel'] };
  function drawFields() {
    const box = $('fields');
    const kept = {};
    for (const i of box.querySelectorAll('input')) kept[i.name] = i.value;
    box.textContent = '';
    for (const f of fieldSpec.fields) {
      const id = 'f-' + f.name;
      const div = el('div', { class: 'field' });
      const label = el('label', { for: id }, tr('field.' + f.name));
      if (!f.required) label.append(' ', el('span', { class: 'muted' }, tr('field.optional')));
      const input = el('input', { id, name: f.name, type: inputType[f.name][0], autocomplete: inputType[f.name][1], 'aria-describedby': id + '-e' });
      if (f.name === 'email' || f.name === 'phone') input.setAttribute('dir', 'ltr');
      if (f.required) { input.required = true; input.setAttribute('aria-required', 'true'); }
      input.value = kept[f.name] || '';
      div.append(label, input, el('p', { id: id + '-e', class: 'err', hidden: '' }));
      box.append(div);
    }
    $('onehint').hidden = !fieldSpec.oneOf.length;
  }
  function fieldError(name, msg) {
    const input = name === 'consent' ? $('consent') : $('f-' + name);
    const p = name === 'consent' ? $('consent-e') : $('f-' + name + '-e');
    if (!input || !p) return false;
    input.setAttribute('aria-invalid', msg ? 'true' : 'false');
    p.textContent = msg || '';
    p.hidden = !msg;
    return true;
  }
  function validate() {
    const bad = [];
    const value = (n) => ($('f-' + n) ? $('f-' + n).value.trim() : '');
    for (const f of fieldSpec.fields) {
      const v = value(f.name);
      let msg = '';
      if (f.required && !v) msg = tr('error.required');
      else if (v && f.name === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) msg = tr('error.email');
      else if (v && f.name === 'phone' && !/^\+?[0-9 ()-]{8,20}$/.test(v)) msg = tr('error.phone');
      fieldError(f.name, msg);
      if (msg) bad.push(f.name);
    }
    for (const group of fieldSpec.oneOf) {
      if (group.every((n) => !value(n)) && !group.some((n) => bad.includes(n))) {
        for (const n of group) { fieldError(n, tr('error.oneOf')); bad.push(n); }
      }
    }
    const consent = $('consent').checked;
    fieldError('consent', consent ? '' : tr('error.consent'));
    if (!consent) bad.push('consent');
    return bad;
  }
  async function submitBooking() {
    const bad = validate();
    if (bad.length) {
      flash(tr('error.check'), true);
      focus(bad[0] === 'consent' ? 'consent' : 'f-' + bad[0]);
      return;
    }
    const citizen = { language: lang };
    for (const f of fieldSpec.fields) { const v = $('f-' + f.name).value.trim(); if (v) citizen[f.name] = v; }
    const body = { locationId: s.locationId, appointmentTypeId: s.typeId, start: s.start, persons: s.persons, citizen };
    const text = JSON.stringify(body);
    let a;
    try {
      a = await api('POST', '/api/v1/appointments', body, { 'Idempotency-Key': key(text) });
    } catch (e) {
      if (e.status !== 0) pending = null; // a definite answer: a corrected try is a new request
      if (e.status === 409 && e.problem.alternatives) return taken(e);
      const fields = (e.problem.invalidParams || []).filter((p) => fieldError(p.name.replace('citizen.', ''), p.reason));
      if (e.status === 422 && fields.length) {
        flash(tr('error.check'), true);
        focus('f-' + fields[0].name.replace('citizen.', ''));
        return;
      }
      return fail(e);
    }
    pending = null;
    done(a);
  }
  function done(a) {
    const loc = s.location;
    $('book').hidden = true;
    flash('');
    $('ref').textContent = a.reference;
    $('when').textContent = when(a.start, a.end);
    $('where').textContent = place(loc.name, loc);
    $('ics').href = `/api/v1/appointments/${a.id}/invite.ics?for=citizen&token=${encodeURIComponent(a.manageToken)}`;
    $('ics').setAttribute('download', `afspraak-${a.reference}.ics`);
    $('manage').href = withLang('/mijn-afspraak/' + encodeURIComponent(a.manageToken));
    show('done', true);
    document.body.dataset.done = a.reference;
    focus('h-done');
  }
  async function pickType(id) {
    s.typeId = id;
    const type = s.types.find((x) => x.id === id);
    for (const b of document.querySelectorAll('#types button')) b.setAttribute('aria-pressed', String(b.dataset.type === id));
    const sel = $('persons');
    sel.textContent = '';
    for (let n = 1; n <= type.amountLimit; n++) sel.append(el('option', { value: String(n) }, String(n)));
    s.persons = Math.min(s.persons, type.amountLimit);
    sel.value = String(s.persons);
    show('st-persons', type.amountLimit > 1);
    fieldSpec = await api('GET', `/api/v1/booking/customer-fields?appointmentTypes=${id}`);
    drawFields();
    await startCalendar();
    focus(type.amountLimit > 1 ? 'h-persons' : 'h-day');
  }
  async function bookPage() {
    const code = decodeURIComponent(location.pathname.split('/')[2] || '').toLowerCase();
    const [, locations] = await Promise.all([texts(), api('GET', '/api/v1/booking/locations')]);
    const loc = locations.items.find((l) => l.code === code);
    if (!loc) { flash(tr('error.place'), true); return; }
    s.location = loc;
    s.locationId = loc.id;
    $('place').textContent = loc.name;
    s.types = (await api('GET', `/api/v1/booking/appointment-types?locationId=${loc.id}`)).items;
    const box = $('types');
    for (const type of s.types) {
      const b = el('button', { type: 'button', 'data-type': type.id, 'aria-pressed': 'false' });
      // Type names are the coordinators' Dutch words, whatever the page's language.
      b.append(el('span', { class: 'name', lang: 'nl', dir: 'auto' }, type.name), el('span', { class: 'muted' }, tr('type.minutes', { n: type.durationMinutes })));
      box.append(b);
    }
    if (!s.types.length) box.append(el('p', {}, tr('type.none')));
    box.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-type]');
      if (b) pickType(b.dataset.type).catch(fail);
    });
    $('persons').addEventListener('change', () => {
      s.persons = +$('persons').value;
      startCalendar().catch(fail);
    });
    calendarEvents();
    $('book').addEventListener('submit', (e) => {
      e.preventDefault();
      busy($('confirm'), submitBooking).catch(fail);
    });
    $('book').hidden = false;
  }

  // ---- the manage page ----
  async function managePage() {
    const token = decodeURIComponent(location.pathname.split('/')[2] || '');
    const base = '/api/v1/appointments/manage/' + encodeURIComponent(token);
    await texts();
    let a;
    try { a = await api('GET', base); } catch (e) {
      flash(e.status === 404 ? tr('manage.gone') : failText(e), true);
      return;
    }
    const where = place(a.locationName, a.locationAddress || {});
    const draw = () => {
      $('place').textContent = a.locationName;
      $('m-what').textContent = a.appointmentTypeName;
      $('m-when').textContent = when(a.start, a.end);
      $('m-where').textContent = where;
      $('m-ref').textContent = a.reference;
      $('ics').href = `/api/v1/appointments/${a.id}/invite.ics?for=citizen&token=${encodeURIComponent(token)}&v=${a.sequence}`;
      $('ics').setAttribute('download', `afspraak-${a.reference}.ics`);
      document.body.dataset.start = a.start;
    };
    draw();
    show('show', true);
    Object.assign(s, { locationId: a.locationId, typeId: a.appointmentTypeId, persons: a.persons, types: [] });
    calendarEvents();
    const back = () => { show('book', false); show('ask', false); show('show', true); focus('h-show'); };
    $('move').addEventListener('click', () => {
      show('show', false);
      show('book', true);
      startCalendar().then(() => focus('h-day')).catch(fail);
    });
    $('back').addEventListener('click', back);
    $('no').addEventListener('click', back);
    $('cancel').addEventListener('click', () => { show('show', false); show('ask', true); focus('h-ask'); });
    $('yes').addEventListener('click', () => busy($('yes'), async () => {
      try { await api('POST', base + '/cancel', {}); } catch (e) { return fail(e); }
      show('ask', false);
      flash(tr('manage.cancelled'));
      document.body.dataset.cancelled = '1';
      focus('h-main');
    }));
    $('book').addEventListener('submit', (e) => {
      e.preventDefault();
      if (!s.start) return;
      busy($('confirm'), async () => {
        try {
          const moved = await api('PATCH', base, { start: s.start });
          a = Object.assign(a, { start: moved.start, end: moved.end, sequence: moved.sequence });
        } catch (err) {
          if (err.status === 409 && err.problem.alternatives) return taken(err);
          return fail(err);
        }
        draw();
        show('book', false);
        show('show', true);
        flash(tr('manage.moved'));
        focus('h-show');
      }).catch(fail);
    });
  }

  (page === 'book' ? bookPage() : managePage())
    .catch((e) => fail(e))
    .finally(() => {
      $('main').setAttribute('aria-busy', 'false');
      document.body.dataset.ready = '1';
      if (window.performance && performance.mark) performance.mark('booking-ready');
    });
})();
