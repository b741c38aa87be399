// Loket ticket status on the visitor's phone: /t/{ticketId}[?lang=xx]
// Shows number, place in the queue and waiting time; live "It's your turn: go to Balie 3" via the location's events.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const q = new URLSearchParams(location.search);
  const id = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] || '');
  // Used only when the server never answered with texts.
  const FALLBACK = {
    'status.notFound': 'We kunnen dit nummer niet vinden. Vraag het aan een medewerker. / We cannot find this number. Ask a staff member.',
    'status.offline': 'Geen verbinding. We proberen het opnieuw… / No connection. Trying again…',
  };

  let lang = null;
  let T = {};
  let tk = null; // the ticket
  let loc = null;
  let es = null;
  let soon = 0;
  let retry = 2000;
  let lastStatus = null;
  let services = []; // names in the page's language

  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  const rtl = () => document.documentElement.dir === 'rtl';
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
    return T['wait.' + cat] ? t('wait.' + cat, { n: min }) : t('wait.other', { n: min });
  }
  const show = (el, text) => { el.textContent = text || ''; el.hidden = !text; };

  async function getJSON(url) {
    const r = await fetch(url, { cache: 'no-store' });
    if (r.status >= 400 && r.status < 500 && r.status !== 429) return { notFound: true }; // unknown or malformed id
    if (!r.ok) throw new Error(String(r.status));
    return r.json();
  }

  async function loadTexts(l) {
    const d = await getJSON(`/api/v1/kiosk/${encodeURIComponent(tk.locationCode)}?lang=${encodeURIComponent(l)}`);
    if (d.notFound) return;
    T = d.texts || {};
    lang = d.language || l;
    loc = d.location;
    services = d.services || [];
    const html = document.documentElement;
    html.lang = lang;
    html.dir = T._dir === 'rtl' ? 'rtl' : 'ltr';
    document.title = t('status.title');
    for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
    $('loc').textContent = loc.name;
    $('langs').setAttribute('aria-label', t('languages'));
    $('lang-name').textContent = T._name || lang;
    $('langs').innerHTML = (d.languages || []).map((l2) =>
      `<button type="button" class="btn-lang" lang="${esc(l2.code)}" dir="${l2.dir === 'rtl' ? 'rtl' : 'ltr'}" data-lang="${esc(l2.code)}" aria-pressed="${l2.code === lang}">${esc(l2.name)}</button>`).join('');
    $('lang').hidden = false;
  }

  function render() {
    $('main').removeAttribute('aria-busy');
    $('num').textContent = tk.number;
    const sv = services.find((x) => x.id === tk.serviceId);
    const name = sv ? sv.name : tk.serviceName;
    show($('svc'), name ? t('status.for', { service: name }) : '');
    const s = tk.status;
    document.body.dataset.status = s;
    const waiting = s === 'waiting';
    show($('pos'), waiting && tk.position != null ? (tk.position <= 1 ? t('next') : t('position', { n: tk.position })) : '');
    show($('wait'), waiting ? waitText(tk.estimatedWaitMinutes) : '');
    show($('desk'), s === 'called' && tk.deskName ? t('status.goTo', { desk: tk.deskName }) : '');
    const msg = { called: 'status.turn', serving: 'status.serving', done: 'status.done', noShow: 'status.noShow' }[s];
    show($('msg'), msg ? t(msg) : '');
    $('live').hidden = s === 'done' || s === 'noShow';
    document.title = (s === 'called' ? '▶ ' + t('status.turn') : t('status.title')) + ' ' + tk.number;
    if (s === 'called' && lastStatus && lastStatus !== 'called' && navigator.vibrate) navigator.vibrate([400, 200, 400]);
    lastStatus = s;
  }

  function notFound() {
    $('main').removeAttribute('aria-busy');
    $('card').hidden = true;
    $('live').hidden = true;
    show($('offline'), '');
    const p = document.createElement('p');
    p.className = 'msg';
    p.textContent = t('status.notFound');
    $('card').after(p);
  }

  async function refresh() {
    try {
      const d = await getJSON(`/api/v1/tickets/${encodeURIComponent(id)}`);
      if (d.notFound) { notFound(); return 'gone'; }
      tk = d;
      $('offline').hidden = true;
      retry = 2000;
      return 'ok';
    } catch (e) {
      show($('offline'), t('status.offline'));
      return 'down';
    }
  }

  async function update() {
    if ((await refresh()) === 'ok') {
      render();
      if (tk.status === 'done' || tk.status === 'noShow') { if (es) es.close(); es = null; }
    }
  }

  // Someone else moved: our place changed. Spread the re-fetches of all waiting phones over a few seconds.
  function later() {
    if (soon || !tk || tk.status !== 'waiting') return;
    soon = setTimeout(() => { soon = 0; update(); }, 1000 + Math.random() * 3000);
  }

  function connect() {
    if (es) es.close();
    const src = new EventSource(`/api/v1/locations/${encodeURIComponent(tk.locationId)}/events`);
    es = src;
    let dropped = false;
    es.onopen = () => {
      $('offline').hidden = true;
      if (dropped) update();
    };
    es.onerror = () => {
      dropped = true;
      if (src.readyState === EventSource.CLOSED) {
        show($('offline'), t('status.offline'));
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 60000);
      }
    };
    const names = ['ticket.called', 'ticket.recalled', 'ticket.started', 'ticket.finished', 'ticket.requeued', 'ticket.handover', 'ticket.created'];
    for (const n of names) {
      es.addEventListener(n, (e) => {
        let d;
        try { d = JSON.parse(e.data); } catch (err) { return; }
        if (tk && d.number === tk.number) update();
        else if (n !== 'ticket.created') later();
      });
    }
    // Counts changed (e.g. an urgent visitor arrived): the position may have changed too.
    es.addEventListener('queue.changed', () => later());
  }

  window.addEventListener('offline', () => {
    if (!tk || !es) return;
    es.close();
    es = null;
    show($('offline'), t('status.offline'));
  });
  window.addEventListener('online', () => {
    if (!tk || tk.status === 'done' || tk.status === 'noShow') return;
    connect();
    update();
  });

  window.addEventListener('pagehide', () => { if (es) { es.close(); es = null; } });
  window.addEventListener('pageshow', (e) => {
    if (e.persisted && tk && tk.status !== 'done' && tk.status !== 'noShow') { connect(); update(); }
  });

  document.addEventListener('click', async (e) => {
    const b = e.target.closest('button[data-lang]');
    if (!b) return;
    try { await loadTexts(b.dataset.lang); } catch (err) { return; }
    render();
    $('lang').open = false;
  });
  // Phones put background tabs to sleep: catch up as soon as the page is seen again.
  document.addEventListener('visibilitychange', () => { if (!document.hidden && tk) update(); });

  async function start() {
    const r = await refresh();
    if (r === 'gone') return;
    if (r === 'down') return setTimeout(start, (retry = Math.min(retry * 2, 60000)));
    try {
      await loadTexts(q.get('lang') || tk.language || 'nl');
    } catch (e) { /* numbers still show, in Dutch */ }
    render();
    if (tk.status !== 'done' && tk.status !== 'noShow') connect();
  }
  start();
})();
