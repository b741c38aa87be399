// Loket desk page for staff: /staff[?lang=en]
// Log in (cookie session + CSRF token), choose location and desk, call the next visitor and move the ticket on.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const q = new URLSearchParams(location.search);
  const CSRF = 'loket.csrf';
  const PLACE = 'loket.desk'; // {locationId, deskId} remembered on this computer

  let T = {};
  let me = null; // staff
  let loc = null; // {id, name, ...}
  let desk = null; // {id, name}
  let services = [];
  let cur = null; // ticket held at this desk
  let es = null;
  let esRetry = 1000;
  let reloadTimer = 0;
  let busy = false;
  let shownCode = null; // {ticketId, code} of the contact code shown for the visit at the desk
  const visitor = new Map(); // ticket id → the follow-up's name/e-mail/phone typed for it (kept while at the desk)
  const QUEUE_PAGE = 50; // tickets shown in the queue list; the total is shown too
  const PATHS = { noShow: 'no-show' }; // action name (as in allowedActions) → URL segment

  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  const t = (k, v) => (T[k] ?? k).replace(/\{(\w+)\}/g, (_, x) => (v && v[x] != null ? v[x] : ''));

  // ---- texts
  async function loadTexts() {
    const lang = (q.get('lang') || '').toLowerCase() === 'en' ? 'en' : 'nl'; // Dutch unless asked otherwise
    try {
      const r = await fetch(`/assets/i18n/${lang}.json`);
      if (r.ok) T = await r.json();
    } catch (e) { /* keep the Dutch in the HTML */ }
    document.documentElement.lang = lang;
    for (const el of document.querySelectorAll('[data-t]')) if (T[el.dataset.t]) el.textContent = T[el.dataset.t];
    for (const el of document.querySelectorAll('[data-t-label]')) if (T[el.dataset.tLabel]) el.setAttribute('aria-label', T[el.dataset.tLabel]);
    document.title = t('staff.pageTitle') + ' · Loket';
  }

  // ---- server
  class ApiError extends Error {
    constructor(status, problem) { super((problem && (problem.detail || problem.title)) || String(status)); this.status = status; this.problem = problem; }
  }
  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const csrf = sessionStorage.getItem(CSRF);
    if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
    let r;
    try {
      r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store' });
    } catch (e) {
      throw new ApiError(0, { detail: t('staff.offline') });
    }
    const data = r.status === 204 ? null : await r.json().catch(() => null);
    if (r.status === 401 && path !== '/api/v1/sessions' && me) sessionEnded();
    if (!r.ok) throw new ApiError(r.status, data);
    return { status: r.status, data };
  }

  function say(text, bad) {
    $('flash').textContent = text;
    $('flash').classList.toggle('bad', !!bad);
  }
  function fail(e) {
    if (e.status === 401) return;
    if (e.status === 0) return say(t('staff.offline'), true);
    if (e.status === 409) return say(t('staff.conflict'), true);
    say(t('staff.error', { detail: e.message }), true);
  }

  // ---- views
  function view(name) {
    for (const v of document.querySelectorAll('.view')) v.hidden = v.id !== 'v-' + name;
    $('logout').hidden = name === 'login';
    $('who').textContent = me ? t('staff.signedInAs', { name: me.displayName }) : '';
  }

  function sessionEnded() {
    me = null;
    sessionStorage.removeItem(CSRF);
    if (es) { es.close(); es = null; }
    view('login');
    say(t('staff.sessionEnded'), true);
    $('l-user').focus();
  }

  async function login(e) {
    e.preventDefault();
    const username = $('l-user').value.trim();
    const password = $('l-pass').value;
    $('l-err').textContent = '';
    if (!username || !password) { $('l-err').textContent = t('staff.loginFailed'); return; }
    try {
      const { data } = await api('POST', '/api/v1/sessions', { username, password, cookie: true });
      sessionStorage.setItem(CSRF, data.csrfToken);
      me = data.staff;
      $('l-pass').value = '';
      say('');
      await setup();
    } catch (err) {
      $('l-err').textContent = err.status === 401 ? t('staff.loginFailed') : err.status === 429 ? t('staff.tooMany') : err.message;
      $('l-pass').select();
    }
  }

  async function logout() {
    try { await api('DELETE', '/api/v1/sessions/current'); } catch (e) { /* the cookie goes anyway */ }
    me = null;
    sessionStorage.removeItem(CSRF);
    if (es) { es.close(); es = null; }
    view('login');
    say('');
    $('l-user').focus();
  }

  // ---- choose location and desk
  let locations = [];
  async function loadDesks(locationId, selected) {
    const { data } = await api('GET', `/api/v1/locations/${encodeURIComponent(locationId)}/desks`);
    $('s-desk').innerHTML = data.items.map((d) => `<option value="${esc(d.id)}"${d.id === selected ? ' selected' : ''}>${esc(d.name)}</option>`).join('');
    return data.items;
  }

  async function setup(forceChoice) {
    try {
      const [{ data: ls }, { data: sv }] = await Promise.all([api('GET', '/api/v1/locations'), api('GET', '/api/v1/services')]);
      locations = ls.items;
      services = sv.items;
      const saved = JSON.parse(localStorage.getItem(PLACE) || 'null');
      const l = (saved && locations.find((x) => x.id === saved.locationId)) || locations[0];
      $('s-loc').innerHTML = locations.map((x) => `<option value="${esc(x.id)}"${l && x.id === l.id ? ' selected' : ''}>${esc(x.name)}</option>`).join('');
      if (!l) { view('setup'); return; }
      const desks = await loadDesks(l.id, saved && saved.deskId);
      const d = saved && desks.find((x) => x.id === saved.deskId);
      if (d && !forceChoice) return openDesk(l, d);
      view('setup');
      $('s-loc').focus();
    } catch (e) { fail(e); }
  }

  async function chooseDesk(e) {
    e.preventDefault();
    const l = locations.find((x) => x.id === $('s-loc').value);
    const dsel = $('s-desk');
    if (!l || !dsel.value) return;
    const d = { id: dsel.value, name: dsel.options[dsel.selectedIndex].text };
    localStorage.setItem(PLACE, JSON.stringify({ locationId: l.id, deskId: d.id }));
    openDesk(l, d);
  }

  // ---- at the desk
  async function openDesk(l, d) {
    loc = l;
    desk = d;
    $('h-desk').textContent = `${d.name} · ${l.name}`;
    const mine = new Set(me.serviceIds || []);
    const here = services.filter((s) => !s.locationIds || s.locationIds.includes(l.id));
    // Hand over to any service at this location, own services first.
    here.sort((a, b) => (mine.has(b.id) - mine.has(a.id)) || a.name.localeCompare(b.name, 'nl'));
    $('h-svc').innerHTML = here.map((s) => `<option value="${esc(s.id)}">${esc(s.name)}</option>`).join('');
    loadColleagues();
    view('desk');
    say('');
    await Promise.all([loadCurrent(), loadQueue()]);
    connect();
    $('b-next').focus();
  }

  async function loadCurrent() {
    try {
      const r = await api('GET', `/api/v1/desks/${encodeURIComponent(desk.id)}/current`);
      cur = r.status === 200 ? r.data : null;
    } catch (e) { fail(e); }
    renderCurrent();
  }

  function svcName(id) {
    const s = services.find((x) => x.id === id);
    return s ? s.name : '';
  }

  function renderCurrent() {
    const st = cur && cur.status;
    $('cur-none').hidden = !!cur;
    $('cur-num').textContent = cur ? cur.number : '';
    $('cur-info').textContent = cur ? [t('staff.status.' + st), svcName(cur.serviceId), cur.priority === 'urgent' ? t('staff.urgent') : '',
      cur.appointmentId ? t('staff.appointment') : '', cur.late ? t('staff.late') : '',
      cur.roomName ? t('staff.room', { room: cur.roomName }) : ''].filter(Boolean).join(' · ') : '';
    // The server says which actions the ticket's status allows (its state machine); the page keeps no rules.
    const allowed = new Set((cur && cur.allowedActions) || []);
    for (const b of document.querySelectorAll('[data-act]')) b.disabled = !allowed.has(b.dataset.act);
    $('b-hand').disabled = !allowed.has('handover');
    $('b-contact').disabled = !cur;
    $('b-fu').disabled = !cur;
    $('b-notes').disabled = !cur;
    if (!cur || (shownCode && shownCode.ticketId !== cur.id)) {
      shownCode = null;
      $('code-box').hidden = true;
      $('cur-code').textContent = '';
      $('cur-notes').hidden = true;
      $('fu-done').textContent = '';
      closeFollowUp();
    }
    $('b-next').disabled = !!cur;
    if ($('b-hand').disabled) closeHandover();
  }

  async function loadQueue() {
    try {
      // The first page in call order; the count is the whole line's (`total`), and a last row says how many more.
      const { data } = await api('GET', `/api/v1/locations/${encodeURIComponent(loc.id)}/queue?limit=${QUEUE_PAGE}`);
      const items = data.items || [];
      const total = data.total ?? items.length;
      $('q-count').textContent = t('staff.waitingCount', { n: total });
      $('q-empty').hidden = items.length > 0;
      $('q-table').hidden = items.length === 0;
      $('q-body').innerHTML = items.map((i) => `<tr${i.priority === 'urgent' ? ' class="urgent"' : ''}><td class="n" dir="ltr">${esc(i.number)}</td><td>${esc(i.serviceName || svcName(i.serviceId))}</td><td>${esc(t('staff.minutes', { n: i.waitedMinutes ?? 0 }))}</td><td>${[
        i.priority === 'urgent' ? `<strong class="tag">${esc(t('staff.urgent'))}</strong>` : '',
        i.handedOver ? `<span class="tag">${esc(t('staff.handedOver'))}</span>` : '',
        i.appointmentId ? `<span class="tag">${esc(t('staff.appointment'))}${i.roomName ? ' · ' + esc(i.roomName) : ''}</span>` : '',
        i.late ? `<strong class="tag">${esc(t('staff.late'))}</strong>` : '',
        i.notYetDue ? `<span class="tag">${esc(t('staff.notYetDue', { time: String(i.dueAt || '').slice(11, 16) }))}</span>` : '',
        i.offeredToOthers ? `<span class="tag">${esc(t('staff.offeredToOthers'))}</span>` : '',
        i.forPerson ? `<span class="tag">${esc(t(i.forPerson === 'me' ? 'staff.forMe' : 'staff.forColleague'))}</span>` : '',
        i.handoverNote ? esc(i.handoverNote) : ''].filter(Boolean).join(' ')}</td></tr>`).join('')
        + (total > items.length ? `<tr class="more"><td class="n" dir="ltr" colspan="4">+ ${esc(total - items.length)}</td></tr>` : '');
    } catch (e) { fail(e); }
  }

  function soon() {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => { loadQueue(); loadCurrent(); }, 250);
  }

  function connect() {
    if (es) es.close();
    // The staff stream: every public event, plus "visitor arrived" for the appointments this staff member takes part in.
    const src = new EventSource(`/api/v1/locations/${encodeURIComponent(loc.id)}/staff-events`);
    es = src;
    es.onopen = () => { esRetry = 1000; };
    es.onerror = () => {
      if (src.readyState === EventSource.CLOSED) { setTimeout(connect, esRetry); esRetry = Math.min(esRetry * 2, 30000); }
    };
    for (const n of ['ticket.created', 'ticket.called', 'ticket.finished', 'ticket.requeued', 'ticket.handover', 'queue.changed']) es.addEventListener(n, soon);
    es.addEventListener('appointment.arrived', (e) => { arrived(JSON.parse(e.data)); soon(); });
    es.addEventListener('ticket.called', (e) => { const n = JSON.parse(e.data).number; arrivals.delete(n); renderArrivals(); });
  }

  // "Visitor arrived, room 2": one line per checked-in appointment of mine, until someone calls the number.
  const arrivals = new Map();
  function arrived(a) {
    arrivals.set(a.number, a);
    renderArrivals();
  }
  function arrivalText(a) {
    return t(a.roomName ? 'staff.arrivedRoom' : 'staff.arrived', { number: a.number, room: a.roomName || '' }) + (a.late ? ' · ' + t('staff.late') : '');
  }
  function renderArrivals() {
    $('arrivals').innerHTML = [...arrivals.values()].map((a) => `<li>${esc(arrivalText(a))}</li>`).join('');
  }

  async function guarded(fn) {
    if (busy) return;
    busy = true;
    document.body.classList.add('busy');
    try { await fn(); } catch (e) { fail(e); } finally { busy = false; document.body.classList.remove('busy'); }
  }

  function callNext() {
    if (!desk) return;
    return guarded(async () => {
      try {
        const r = await api('POST', `/api/v1/desks/${encodeURIComponent(desk.id)}/call-next`);
        if (r.status === 204) { say(t('staff.nobody')); return; }
        cur = r.data;
        renderCurrent();
        say(t('staff.called', { number: cur.number, desk: cur.deskName || desk.name }));
        document.querySelector('[data-act="start"]').focus(); // "call next" is disabled now: keep the keyboard going
      } catch (e) {
        if (e.status === 409) { say(t('staff.stillHolding'), true); await loadCurrent(); return; }
        throw e;
      }
      loadQueue();
    });
  }

  function act(action, body) {
    if (!cur) return;
    return guarded(async () => {
      try {
        const { data } = await api('POST', `/api/v1/tickets/${encodeURIComponent(cur.id)}/${PATHS[action] || action}`, body);
        const keep = data && (data.status === 'called' || data.status === 'serving') && action !== 'handover' && action !== 'requeue';
        cur = keep ? { ...cur, ...data } : null;
        renderCurrent();
        say('');
        if (!cur) $('b-next').focus();
        else if (!document.activeElement || document.activeElement === document.body) document.querySelector('[data-act="finish"]').focus();
      } catch (e) {
        if (e.status === 409) { await loadCurrent(); }
        throw e;
      }
      loadQueue();
    });
  }

  function openHandover() {
    $('f-hand').hidden = false;
    $('b-hand').setAttribute('aria-expanded', 'true');
    if (cur) {
      const other = [...$('h-svc').options].find((o) => o.value !== cur.serviceId);
      if (other) $('h-svc').value = other.value;
    }
    colleaguesFor = ''; // who is at work may have changed since
    loadColleagues();
    $('h-svc').focus();
  }

  // Handover to a named colleague: who serves the chosen service here, those at work today first (the server's
  // staff_on_duty()); "anyone of this service" keeps the plain handover.
  let colleaguesFor = '';
  async function loadColleagues() {
    const svc = $('h-svc').value;
    if (!loc || !svc || colleaguesFor === svc) return;
    colleaguesFor = svc;
    try {
      const { data } = await api('GET', `/api/v1/locations/${encodeURIComponent(loc.id)}/colleagues?serviceId=${encodeURIComponent(svc)}`);
      if ($('h-svc').value !== svc) return;
      $('h-who').innerHTML = `<option value="">${esc(t('staff.anyColleague'))}</option>` + data.items.map((c) =>
        `<option value="${esc(c.id)}">${esc(c.displayName)} (${esc(c.agencyName)})${c.onDuty ? ' · ' + esc(t('staff.onDuty')) : ''}</option>`).join('');
    } catch (e) { colleaguesFor = ''; fail(e); }
  }

  // ---- contact code: shown large, printed on a small slip in the visitor's language
  const slipTexts = {};
  async function visitorTexts(lang) {
    if (!slipTexts[lang]) {
      try {
        const r = await fetch(`/assets/i18n/${encodeURIComponent(lang)}.json`);
        slipTexts[lang] = r.ok ? await r.json() : {};
      } catch (e) { return {}; }
    }
    return slipTexts[lang];
  }
  async function contactCode() {
    if (shownCode && cur && shownCode.ticketId === cur.id) return shownCode.code;
    const { data } = await api('POST', `/api/v1/tickets/${encodeURIComponent(cur.id)}/contact-person`);
    shownCode = { ticketId: cur.id, code: data.code };
    // The words small, the code large (it is read out or copied): "Contactcode: {code}" split at the code.
    const [before, after] = (T['staff.contactCode'] || 'Contactcode: {code}').split('{code}');
    $('cur-code').innerHTML = `<span class="code-label">${esc(before || '')}</span><span class="big-code">${esc(data.code)}</span>${esc(after || '')}`;
    $('code-box').hidden = false;
    return data.code;
  }
  async function printSlip() {
    if (!shownCode) return;
    const lang = (cur && cur.language) || 'nl';
    let V = await visitorTexts(lang);
    if (!V['contact.slipTitle']) { V = await visitorTexts('nl'); }
    const slip = $('slip');
    slip.lang = V === slipTexts[lang] ? lang : 'nl';
    slip.dir = V._dir === 'rtl' ? 'rtl' : 'ltr';
    $('slip-title').textContent = V['contact.slipTitle'] || '';
    $('slip-code').textContent = shownCode.code;
    $('slip-text').textContent = V['contact.slipExplain'] || '';
    window.print();
  }

  // ---- notes about this visit meant for my agency (each read is audited by the server)
  async function readNotes() {
    try {
      const { data } = await api('GET', `/api/v1/tickets/${encodeURIComponent(cur.id)}/notes`);
      $('cur-notes').innerHTML = data.items.map((n) => `<p><strong>${esc(t('staff.noteFrom', {
        kind: t(n.kind === 'handover' ? 'staff.noteHandover' : 'staff.noteContact'), name: n.writtenBy }))}</strong> ${esc(n.note)}</p>`).join('');
      $('cur-notes').hidden = false;
      say('');
    } catch (e) {
      if (e.status === 404) { $('cur-notes').hidden = true; say(t('staff.noNotes')); return; }
      throw e;
    }
  }

  // ---- "Follow-up with me": a type I take alone, one of my own free times, the visitor's details, one booking
  // with my contact code (the server places me; the code goes into the confirmation).
  let fuTypes = [];
  function fuField(name, msg) {
    const f = $('fu-' + name);
    f.setAttribute('aria-invalid', msg ? 'true' : 'false');
    $('fu-' + name + '-err').textContent = msg || '';
  }
  function fuClear() { for (const n of ['type', 'time', 'name', 'email', 'phone']) fuField(n, ''); }
  function closeFollowUp() {
    $('f-fu').hidden = true;
    $('b-fu').setAttribute('aria-expanded', 'false');
  }
  function fuType() { return fuTypes.find((x) => x.id === $('fu-type').value); }
  function whenText(start) {
    try {
      return new Intl.DateTimeFormat('nl-NL', { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit',
        timeZone: loc.timeZone || undefined }).format(new Date(start));
    } catch (e) { return String(start).slice(0, 16).replace('T', ' '); }
  }
  async function fuTimes() {
    const ty = fuType();
    $('fu-time').innerHTML = '';
    fuClear();
    for (const f of ['name', 'email', 'phone']) $('fu-' + f + '-row').hidden = !ty || ty[f + 'Field'] === 'hidden';
    if (!ty) return;
    const { data } = await api('GET', `/api/v1/locations/${encodeURIComponent(loc.id)}/follow-up-times?appointmentType=${encodeURIComponent(ty.id)}`);
    if ($('fu-type').value !== ty.id) return;
    $('fu-time').innerHTML = data.items.map((x) => `<option value="${esc(x.start)}">${esc(whenText(x.start))}</option>`).join('');
    if (!data.items.length) fuField('time', t('staff.fuNoTimes'));
  }
  async function openFollowUp() {
    const { data } = await api('GET', `/api/v1/locations/${encodeURIComponent(loc.id)}/follow-up-types`);
    fuTypes = data.items;
    if (!fuTypes.length) { say(t('staff.fuNoTypes'), true); return; }
    $('fu-type').innerHTML = fuTypes.map((x) => `<option value="${esc(x.id)}">${esc(x.name)} (${esc(t('staff.minutes', { n: x.durationMinutes }))})</option>`).join('');
    const kept = visitor.get(cur.id) || {};
    for (const f of ['name', 'email', 'phone']) $('fu-' + f).value = kept[f] || '';
    $('f-fu').hidden = false;
    $('b-fu').setAttribute('aria-expanded', 'true');
    $('fu-done').textContent = '';
    await fuTimes();
    $('fu-type').focus();
  }
  async function bookFollowUp() {
    const ty = fuType();
    fuClear();
    const v = {};
    for (const f of ['name', 'email', 'phone']) v[f] = ty && ty[f + 'Field'] !== 'hidden' ? $('fu-' + f).value.trim() : '';
    visitor.set(cur.id, v);
    let first = null;
    const bad = (f, msg) => { fuField(f, msg); first = first || f; };
    if (!ty) bad('type', t('staff.fuNoTypes'));
    else {
      if (!$('fu-time').value) bad('time', t('staff.fuNoTimes'));
      for (const f of ['name', 'email', 'phone']) if (ty[f + 'Field'] === 'required' && !v[f]) bad(f, t('staff.fuRequired'));
      if (ty.contactRequired && !v.email && !v.phone) bad(ty.emailField !== 'hidden' ? 'email' : 'phone', t('staff.fuContact'));
    }
    if (first) { say(t('staff.error', { detail: $('fu-' + first + '-err').textContent }), true); $('fu-' + first).focus(); return; }
    const code = await contactCode();
    const citizen = { language: cur.language || 'nl' };
    for (const f of ['name', 'email', 'phone']) if (v[f]) citizen[f] = v[f];
    try {
      const { data } = await api('POST', '/api/v1/appointments', {
        locationId: loc.id, appointmentTypeId: ty.id, start: $('fu-time').value, contactCode: code, citizen });
      const text = t('staff.fuBooked', { reference: data.reference, time: whenText(data.start), code });
      closeFollowUp();
      $('fu-done').textContent = text;
      say(text);
      $('b-fu').focus();
    } catch (e) {
      // Fields the server refused, next to the field; a time just taken: fresh times.
      const params = (e.problem && e.problem.invalidParams) || [];
      for (const p of params) {
        const f = { 'citizen.name': 'name', 'citizen.email': 'email', 'citizen.phone': 'phone', start: 'time', appointmentTypeId: 'type' }[p.name];
        if (f) { fuField(f, p.reason); first = first || f; }
      }
      if (e.status === 409) { await fuTimes(); fuField('time', e.message); first = 'time'; }
      if (first) $('fu-' + first).focus();
      throw e;
    }
  }
  function closeHandover() {
    $('f-hand').hidden = true;
    $('b-hand').setAttribute('aria-expanded', 'false');
    $('h-note').value = '';
    $('h-urgent').checked = false;
    $('h-who').value = '';
  }

  // ---- wiring
  $('f-login').addEventListener('submit', login);
  $('f-setup').addEventListener('submit', chooseDesk);
  $('s-loc').addEventListener('change', () => loadDesks($('s-loc').value).catch(fail));
  $('logout').addEventListener('click', logout);
  $('change').addEventListener('click', () => { if (es) { es.close(); es = null; } setup(true); });
  $('b-next').addEventListener('click', callNext);
  $('b-hand').addEventListener('click', () => ($('f-hand').hidden ? openHandover() : closeHandover()));
  // "I will be the contact person": the code to print or tell the visitor (asking again shows the same code).
  $('b-contact').addEventListener('click', () => cur && guarded(async () => { await contactCode(); $('b-print').focus(); }));
  $('b-print').addEventListener('click', () => printSlip());
  $('b-notes').addEventListener('click', () => cur && guarded(readNotes));
  $('b-fu').addEventListener('click', () => cur && ($('f-fu').hidden ? guarded(openFollowUp) : closeFollowUp()));
  $('fu-type').addEventListener('change', () => fuTimes().catch(fail));
  $('fu-cancel').addEventListener('click', () => { closeFollowUp(); $('b-fu').focus(); });
  $('f-fu').addEventListener('submit', (e) => { e.preventDefault(); if (cur) guarded(bookFollowUp); });
  $('h-svc').addEventListener('change', () => loadColleagues());
  $('h-cancel').addEventListener('click', () => { closeHandover(); $('b-hand').focus(); });
  $('f-hand').addEventListener('submit', (e) => {
    e.preventDefault();
    const body = { serviceId: $('h-svc').value, note: $('h-note').value.trim(), urgent: $('h-urgent').checked };
    if ($('h-who').value) body.toStaffId = $('h-who').value;
    act('handover', body).then(() => { if (!cur) closeHandover(); });
  });
  for (const b of document.querySelectorAll('[data-act]')) {
    b.addEventListener('click', () => act(b.dataset.act));
  }

  window.addEventListener('pagehide', () => { if (es) { es.close(); es = null; } });
  window.addEventListener('pageshow', (e) => { if (e.persisted && me && desk) { connect(); soon(); } });

  async function start() {
    await loadTexts();
    try {
      const { data } = await api('GET', '/api/v1/sessions/current');
      sessionStorage.setItem(CSRF, data.csrfToken);
      me = data.staff;
      await setup();
    } catch (e) {
      view('login');
      if (e.status && e.status !== 401) fail(e);
      else if (e.status === 0) say(t('staff.offline'), true);
      $('l-user').focus();
    }
  }
  start();
})();
