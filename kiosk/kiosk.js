// Loket kiosk: take a number. Plain JS, no dependencies; served as /assets/kiosk.js.
// URL: /kiosk/{locationCode}?lang=ar&service={serviceId}&device={token}&print=auto|off&idle={seconds}
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const q = new URLSearchParams(location.search);
  const code = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] || '');
  const device = q.get('device');
  const printMode = q.get('print'); // "auto": print each ticket at once; "off": kiosk without a printer
  const onlySvc = q.get('service');
  const IDLE = Math.max(12, Number(q.get('idle')) || 60) * 1000; // no interaction elsewhere
  const IDLE_TICKET = Math.max(12000, IDLE * 0.75); // on the number screen (45 s by default)
  const WARN = 10; // seconds of visible countdown before the reset
  const GROUPS = ['money', 'documents', 'taxes', 'study', 'work', 'housing', 'care'];
  // Shown when the server was never reached, so there are no texts from it yet: Dutch, then English.
  const FALLBACK = {
    'kiosk.offline': 'De kiosk werkt nu niet. Vraag het aan een medewerker.',
    'kiosk.offline.en': 'The kiosk is not working right now. Ask a staff member.',
  };

  let homeLang = (q.get('lang') || 'nl').toLowerCase();
  let lang = homeLang;
  let data = null; // kiosk response in the current language
  let T = {}; // its texts
  let screen = 'home';
  let group = null; // life question shown on the list screen
  let ticket = null;
  let busy = false;
  // The "take a number" attempt in progress: its Idempotency-Key goes with the request and with every retry of it
  // after a network error, so a request that did reach the server answers with the number already taken instead
  // of taking a second one. A new attempt (another service or language, a definite answer, the idle reset, or two
  // minutes later) gets a new key.
  let attempt = null; // { serviceId, lang, key, at }
  let offline = false;
  let retryMs = 2000;
  let retryTimer = 0;
  let idleTimer = 0;
  let countTimer = 0;
  let left = 0;
  let msgBack = false;

  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  const rtl = () => document.documentElement.dir === 'rtl';
  // Text by key with {placeholders}; values are bidi-isolated so "Balie 3" reads well inside Arabic.
  function t(key, vars) {
    let s = T[key] ?? FALLBACK[key] ?? '';
    if (vars) s = s.replace(/\{(\w+)\}/g, (_, k) => (rtl() ? '\u2068' + vars[k] + '\u2069' : vars[k]));
    return s;
  }
  function waitText(min) {
    if (min == null) return t('waitUnknown');
    if (min < 1) return t('waitSoon');
    let cat = 'other';
    try { cat = new Intl.PluralRules(lang).select(min); } catch (e) { /* unknown locale */ }
    return (T['wait.' + cat] ? t('wait.' + cat, { n: min }) : t('wait.other', { n: min }));
  }
  const icon = (id, cls) => `<svg class="ico${cls ? ' ' + cls : ''}" aria-hidden="true"><use href="#${id}"/></svg>`;

  // A server that accepts the connection but never answers must not leave the visitor waiting forever.
  const limit = (ms) => (window.AbortSignal && AbortSignal.timeout ? AbortSignal.timeout(ms) : undefined);

  async function load(l) {
    try {
      const r = await fetch(`/api/v1/kiosk/${encodeURIComponent(code)}?lang=${encodeURIComponent(l)}`, { cache: 'no-store', signal: limit(10000) });
      if (r.status === 404) return { notFound: true };
      if (!r.ok) return null;
      const d = await r.json();
      data = d; T = d.texts || {}; lang = d.language || l;
      return d;
    } catch (e) {
      return null;
    }
  }

  // 128 random bits as hex: crypto.randomUUID needs a secure context, which a kiosk on plain http is not.
  const newKey = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
  const ATTEMPT_MS = 120000;

  // Sends the attempt, retrying twice (after 0.5 and 1 s) on a network error or 5xx with the same key and body.
  async function send(url, headers, body) {
    for (let i = 0; ; i++) {
      try {
        const r = await fetch(url, { method: 'POST', headers, body, signal: limit(10000) });
        if (r.status < 500 || i >= 2) return r;
      } catch (e) {
        if (i >= 2) throw e;
      }
      await sleep(500 * (i + 1));
    }
  }

  async function take(serviceId) {
    if (busy || !data) return;
    busy = true;
    document.body.classList.add('busy');
    if (!attempt || attempt.serviceId !== serviceId || attempt.lang !== lang || Date.now() - attempt.at > ATTEMPT_MS) {
      attempt = { serviceId, lang, key: newKey(), at: Date.now() };
    }
    const headers = { 'Content-Type': 'application/json', 'Idempotency-Key': attempt.key };
    if (device) headers['Loket-Device'] = device;
    try {
      const r = await send(`/api/v1/locations/${encodeURIComponent(data.location.id)}/tickets`, headers,
        JSON.stringify({ serviceId, language: lang }));
      // Network trouble and 5xx keep the attempt (and its key) for the visitor's next try; any other answer is final.
      if (r.status < 500) attempt = null;
      if (r.status === 201) return showTicket(await r.json());
      if (r.status >= 500) return goOffline();
      const p = await r.json().catch(() => ({}));
      if (r.status === 409) return showMsg(t('kiosk.closed'), p.detail || '', true);
      if (r.status === 429) return showMsg(t('kiosk.busy'), '', true);
      showMsg(t('kiosk.failed'), '', true);
    } catch (e) {
      goOffline();
    } finally {
      busy = false;
      document.body.classList.remove('busy');
    }
  }

  const svcs = () => (data ? data.services : []);
  const svcById = (id) => svcs().find((s) => s.id === id);
  const inGroup = (g) => svcs().filter((s) => s.lifeQuestion === g);

  function render() {
    const html = document.documentElement;
    html.lang = lang;
    html.dir = T._dir === 'rtl' ? 'rtl' : 'ltr';
    document.title = t('kiosk.pageTitle') || 'Loket';
    for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
    $('langs').setAttribute('aria-label', t('languages'));
    $('langs').innerHTML = (data.languages || []).map((l) =>
      `<button type="button" class="lang" lang="${esc(l.code)}" dir="${l.dir === 'rtl' ? 'rtl' : 'ltr'}" data-lang="${esc(l.code)}" aria-pressed="${l.code === lang}">${esc(l.name)}</button>`).join('');
    const tiles = GROUPS.filter((g) => inGroup(g).length).map((g) =>
      `<button type="button" class="tile lq-${g}" data-group="${g}">${icon('q-' + g)}<span class="tl">${esc(t('lq.' + g))}</span><span class="th">${esc(t('lq.' + g + '.hint'))}</span></button>`);
    tiles.push(`<button type="button" class="tile lq-other" data-group="other">${icon('q-other')}<span class="tl">${esc(t('lq.unknown'))}</span><span class="th">${esc(t('lq.unknown.hint'))}</span></button>`);
    $('tiles').innerHTML = tiles.join('');
    $('closed').hidden = data.location.open !== false;
    $('closed').textContent = t('kiosk.closed');
    const only = onlySvc && svcById(onlySvc);
    if (only) {
      $('h-confirm').textContent = only.name;
      $('c-ico').firstElementChild.setAttribute('href', '#q-' + (GROUPS.includes(only.lifeQuestion) ? only.lifeQuestion : 'other'));
    }
    if (screen === 'list') renderList();
    if (screen === 'ticket') renderTicket();
    if (K.render) K.render();
    $('main').removeAttribute('aria-busy');
  }

  function renderList() {
    $('h-list').textContent = t('lq.' + group);
    $('services').innerHTML = inGroup(group).map((s) =>
      `<button type="button" class="svc-btn${s.urgent ? ' urgent' : ''}" data-svc="${esc(s.id)}">${icon('q-' + group)}<span>${esc(s.name)}</span></button>`).join('');
  }

  function renderTicket() {
    const k = ticket;
    const s = svcById(k.serviceId);
    $('tk-num').textContent = k.number;
    $('tk-svc').textContent = s ? s.name : '';
    // positionAtLeast: more wait ahead than the server counts (100); the place is that far back or later.
    $('tk-pos').textContent = k.position == null ? '' : k.position <= 1 ? t('next')
      : t('position', { n: k.positionAtLeast ? k.position + '+' : k.position });
    $('tk-pos').hidden = k.position == null;
    $('tk-wait').textContent = waitText(k.estimatedWaitMinutes);
    $('p-loc').textContent = data.location.name;
    $('p-time').textContent = dateFormat().format(new Date(k.createdAt || Date.now()));
    $('tk-qr').alt = t('kiosk.follow');
    $('tk-print').hidden = printMode === 'off';
    $('tk-take').hidden = !k.printed;
  }

  // Date and time on the ticket, in the location's zone. The formatter's first use costs tens of ms: made when idle.
  let fmt = null;
  function dateFormat() {
    if (!fmt) {
      const o = { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' };
      try {
        fmt = new Intl.DateTimeFormat('nl-NL', { ...o, timeZone: data.location.timeZone || undefined });
      } catch (e) {
        fmt = new Intl.DateTimeFormat('nl-NL', o);
      }
    }
    return fmt;
  }

  function show(name, focus = true) {
    screen = name;
    for (const s of document.querySelectorAll('.screen')) s.hidden = s.id !== 's-' + name;
    document.body.dataset.screen = name;
    if (focus) {
      // Focus the new heading after the paint: focusing now forces a layout and delays the number.
      const h = $('h-' + name);
      if (h) requestAnimationFrame(() => setTimeout(() => { if (screen === name) h.focus({ preventScroll: true }); }));
    }
    armIdle();
  }

  function showTicket(k) {
    ticket = k;
    $('tk-qr').src = `/api/v1/tickets/${encodeURIComponent(k.id)}/qr.svg`;
    renderTicket();
    show('ticket');
    $('live').textContent = t('number') + ': ' + k.number;
    if (printMode === 'auto') printTicket();
  }

  function showMsg(title, sub, back, ico = 'i-alert') {
    $('h-msg').textContent = title;
    $('m-sub').textContent = sub || '';
    $('m-sub').hidden = !sub;
    $('m-back').hidden = !back;
    $('m-ico').firstElementChild.setAttribute('href', '#' + ico);
    msgBack = back;
    show('msg');
    $('live').textContent = title;
  }

  function home() {
    group = null;
    show(restScreen());
  }

  function printTicket() {
    if (ticket) { ticket.printed = true; $('tk-take').hidden = false; }
    const img = $('tk-qr');
    let done = false;
    const go = () => { if (!done) { done = true; window.print(); } };
    if (img.complete && img.naturalWidth) return go();
    img.addEventListener('load', go, { once: true });
    img.addEventListener('error', go, { once: true });
    setTimeout(go, 3000);
  }

  function goOffline() {
    offline = true;
    showMsg(t('kiosk.offline'), T['kiosk.retrying'] ? t('kiosk.retrying') : FALLBACK['kiosk.offline.en'], false);
    scheduleRetry();
  }
  function scheduleRetry(now) {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(retry, now ? 0 : retryMs);
  }
  async function retry() {
    const d = await load(lang);
    if (d && !d.notFound) {
      offline = false;
      retryMs = 2000;
      render();
      home();
    } else {
      retryMs = Math.min(retryMs * 2, 60000);
      scheduleRetry();
    }
  }
  window.addEventListener('online', () => { if (offline) scheduleRetry(true); });
  window.addEventListener('offline', () => { if (screen !== 'ticket' && !offline) goOffline(); });

  const restScreen = () => (onlySvc && svcById(onlySvc) ? 'confirm' : 'home');
  const atRest = () => screen === restScreen() && lang === homeLang;
  // While the warning shows, everything behind it is out of reach (keyboard and screen readers too).
  function dialog(open) {
    $('idle').hidden = !open;
    for (const el of document.querySelectorAll('.top, .help, .screen')) el.inert = open;
  }
  function armIdle() {
    clearTimeout(idleTimer);
    clearInterval(countTimer);
    dialog(false);
    if (offline || atRest()) return;
    const total = screen === 'ticket' ? IDLE_TICKET : IDLE;
    idleTimer = setTimeout(warn, total - WARN * 1000);
  }
  function warn() {
    left = WARN;
    $('idle-n').textContent = left;
    dialog(true);
    $('more').focus({ preventScroll: true });
    countTimer = setInterval(() => {
      left -= 1;
      $('idle-n').textContent = Math.max(left, 0);
      if (left <= 0) reset();
    }, 1000);
  }
  async function reset() {
    clearInterval(countTimer);
    dialog(false);
    ticket = null;
    attempt = null; // the visitor has gone: the next one takes a number of their own
    if (lang !== homeLang || !data) {
      const d = await load(homeLang);
      if (!d || d.notFound) return goOffline();
      render();
    }
    home();
  }
  const touched = () => { if ($('idle').hidden) armIdle(); };
  document.addEventListener('pointerdown', touched, { passive: true });
  document.addEventListener('keydown', (e) => {
    if (!$('idle').hidden && e.key === 'Escape') return armIdle();
    touched();
  });

  async function setLang(l) {
    if (l === lang) return;
    const d = await load(l);
    if (!d || d.notFound) return goOffline();
    render();
    armIdle();
    const b = document.querySelector(`.lang[data-lang="${CSS.escape(l)}"]`);
    if (b) b.focus({ preventScroll: true });
  }

  function openGroup(g) {
    if (g === 'other') {
      const o = inGroup('other')[0];
      if (o) return take(o.id);
      return showMsg(t('kiosk.askStaff'), '', true, 'i-help');
    }
    const list = inGroup(g);
    if (list.length === 1) return take(list[0].id);
    group = g;
    renderList();
    show('list');
  }

  document.addEventListener('click', (e) => {
    const b = e.target.closest('button');
    if (!b || busy) return;
    if (b.dataset.lang) return setLang(b.dataset.lang);
    if (b.dataset.group) return openGroup(b.dataset.group);
    if (b.dataset.svc) return take(b.dataset.svc);
    if (b.id === 'c-take') return take(onlySvc);
    if (b.id === 'tk-print') return printTicket();
    if (b.id === 'ci-open') return K.open ? K.open() : document.head.appendChild(Object.assign(document.createElement('script'), { src: '/assets/checkin.js' }));
    if (b.id === 'more') return armIdle();
    // Speech is fetched only when asked: the player and its audio stay out of the first load.
    if (b.id === 'listen') return import('/assets/listen.js').then((m) => m.listen({ lang, T, group, ticket, loc: data.location.id }));
    if (b.dataset.go === 'tiles') return show('home');
    if (b.dataset.go === 'home') return ticket || msgBack ? reset() : home();
  });

  // "I have an appointment": its screen, texts and styles come with checkin.js on the first tap (first-load budget).
  const K = window.loketKiosk = { show, showTicket, send, newKey, goOffline,
    get data() { return data; }, get lang() { return lang; }, get ticket() { return ticket; } };

  async function start() {
    const d = await load(lang);
    if (d && d.notFound) {
      $('main').removeAttribute('aria-busy');
      return showMsg('Deze kiosk is niet ingesteld.', 'This kiosk is not set up. Ask a staff member.', false);
    }
    if (!d) return goOffline();
    homeLang = lang;
    render();
    home();
    if (performance.mark) performance.mark('kiosk-ready'); // first screen with tiles: measured by bench_pages.py
    (window.requestIdleCallback || setTimeout)(() => { dateFormat(); new Intl.PluralRules(lang); });
  }
  start();
})();
