// Loket call display (TV in the waiting area): /display/{locationCode}?lang=nl
// Shows the newest call huge, the previous six in a list and how many visitors wait in total.
// Numbers and desk names only, never names of people, nor why anyone came: the waiting figure is one total for the
// whole location (the server sends it on connect and every 30 s, never right after a ticket's event), because counts
// per service or life question that move just after "G002 taken" would tell onlookers what G002 came for.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const q = new URLSearchParams(location.search);
  const code = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] || '');
  const KEEP = 7; // the newest plus six previous calls

  let lang = (q.get('lang') || 'nl').toLowerCase();
  let T = {};
  let loc = null;
  let calls = []; // [{number, deskName, recallCount}] newest first
  let waiting = null; // visitors waiting at the location, all services together (null until the server said)
  let es = null;
  let esRetry = 1000;
  let offlineTimer = 0;
  let clockFmt = null;

  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  const t = (k) => T[k] ?? '';

  // ---- rendering
  function renderTexts() {
    const html = document.documentElement;
    html.lang = lang;
    html.dir = T._dir === 'rtl' ? 'rtl' : 'ltr';
    document.title = t('display.pageTitle') + ' · ' + loc.name;
    for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
    $('loc').textContent = loc.name;
  }

  function renderCalls() {
    const [first, ...rest] = calls;
    $('none').hidden = !!first;
    $('now-num').textContent = first ? first.number : '';
    $('now-desk-name').textContent = first ? first.deskName : '';
    $('now-desk').hidden = !first;
    $('now-again').hidden = !(first && first.recallCount > 0);
    $('prev').innerHTML = rest.map((c) =>
      `<li><span class="p-num" dir="ltr">${esc(c.number)}</span><span class="p-desk">${esc(c.deskName)}</span></li>`).join('');
  }

  function renderWaiting() {
    $('wait-count').textContent = waiting === null ? '' : String(waiting);
  }

  function flash() {
    const el = $('now');
    el.classList.remove('flash');
    void el.offsetWidth; // restart the animation; the only forced layout, once per call
    el.classList.add('flash');
  }

  function tick() {
    $('clock').textContent = clockFmt.format(new Date());
    setTimeout(tick, 60000 - (Date.now() % 60000) + 50);
  }

  // ---- sound: the chime, then the call spoken by the server ("Nummer U 7, Balie 3" in Dutch, and again in the
  // visitor's language when that is another). The server renders it (espeak-ng, Ogg Opus) for a call the desk is
  // really making, so the display depends on no voice of its browser, and the file says the number and desk only.
  // Calls that come quickly after each other are announced in turn, never over each other.
  const voice = new Audio();
  const pending = [];
  let sounding = false;
  let guard = 0;
  const mark = (k) => { const b = document.body.dataset; b[k] = String(Number(b[k] || 0) + 1); b.sound = (b.sound || '') + k[0]; };

  let turn = 0; // the announcement sounding now: late events of an earlier one are ignored

  function nextAnnouncement() {
    clearTimeout(guard);
    const c = pending.shift();
    if (!c) { sounding = false; return; }
    sounding = true;
    const mine = ++turn;
    const done = () => { if (mine === turn) nextAnnouncement(); };
    // Never stuck: a chime or an announcement that neither ends nor fails lets the next call through after 20 s.
    guard = setTimeout(done, 20000);
    // Start loading the announcement while the chime sounds; play it when the chime has ended.
    const url = c.deskId ? `/api/v1/desks/${encodeURIComponent(c.deskId)}/calls/${encodeURIComponent(c.number)}/speech` : '';
    if (url) { voice.src = url; voice.load(); }
    let spoke = false;
    const speak = () => {
      if (mine !== turn || spoke) return;
      spoke = true;
      if (!url) return done();
      voice.onended = voice.onerror = done;
      const p = voice.play();
      if (p && p.then) p.then(() => mark('spoken')).catch(done);
    };
    const a = $('chime');
    try { a.currentTime = 0; } catch (e) { /* not loaded yet */ }
    a.onended = speak;
    const p = a.play();
    if (p && p.then) {
      p.then(() => mark('chimes')).catch(speak); // autoplay refused: the screen still shows the call
    } else {
      setTimeout(speak, 900);
    }
  }

  function announce(c) {
    pending.push(c);
    if (pending.length > 3) pending.shift(); // a burst of calls: the newest few are worth hearing
    if (!sounding) nextAnnouncement();
  }

  function onCall(d, recall) {
    const c = { number: d.number, deskName: d.deskName, recallCount: recall ? d.recallCount || 1 : 0 };
    calls = [c, ...calls.filter((x) => x.number !== c.number)].slice(0, KEEP);
    renderCalls();
    flash();
    // Counters for monitoring and the browser tests: calls shown, and when the last one reached the screen.
    const b = document.body.dataset;
    b.calls = String(Number(b.calls || 0) + 1);
    requestAnimationFrame(() => { b.shownAt = String(Date.now()); b.shown = b.calls; });
    announce({ number: d.number, deskId: d.deskId });
  }

  // ---- data
  async function getJSON(url) {
    const r = await fetch(url, { cache: 'no-store' });
    if (!r.ok) throw new Error(String(r.status));
    return r.json();
  }

  async function loadCalls() {
    const d = await getJSON(`/api/v1/locations/${encodeURIComponent(loc.id)}/calls`);
    calls = (d.calls || []).slice(0, KEEP).map((c) => ({ number: c.number, deskName: c.deskName, recallCount: c.recallCount || 0 }));
    renderCalls();
  }

  function setOnline(on) {
    if (on) {
      clearTimeout(offlineTimer);
      offlineTimer = 0;
      $('offline').hidden = true;
      document.body.classList.remove('is-offline');
    } else if (!offlineTimer && $('offline').hidden) {
      // A short blip is not worth alarming anyone: show the notice when the stream stays down for 3 s. Failed
      // reconnects keep reporting errors; they must not push the notice further away.
      offlineTimer = setTimeout(() => {
        offlineTimer = 0;
        $('offline').hidden = false;
        document.body.classList.add('is-offline');
      }, 3000);
    }
  }

  // A stream can die silently (a switch between here and the server). Heartbeats sent as comments are invisible to
  // JavaScript, so the watchdog only runs once the server has been seen sending `ping` events.
  let pinged = false;
  let dog = 0;
  function feed() {
    clearTimeout(dog);
    if (pinged) dog = setTimeout(() => { setOnline(false); connect(); }, 45000);
  }

  function connect() {
    if (es) es.close();
    if (!navigator.onLine) return; // the 'online' event reconnects
    const src = new EventSource(`/api/v1/locations/${encodeURIComponent(loc.id)}/events`);
    es = src;
    let dropped = false;
    es.onopen = () => {
      esRetry = 1000;
      setOnline(true);
      feed();
      if (dropped) loadCalls().catch(() => {}); // fill any gap the stream could not replay
    };
    es.addEventListener('ping', () => { pinged = true; feed(); });
    es.onerror = () => {
      dropped = true;
      setOnline(false);
      if (src.readyState === EventSource.CLOSED) { // the browser gave up: try again ourselves
        setTimeout(connect, esRetry);
        esRetry = Math.min(esRetry * 2, 30000);
      }
    };
    const on = (name, fn) => es.addEventListener(name, (e) => {
      feed();
      let d;
      try { d = JSON.parse(e.data); } catch (err) { return; }
      fn(d);
    });
    on('ticket.called', (d) => onCall(d, false));
    on('ticket.recalled', (d) => onCall(d, true));
    on('queue.changed', (d) => {
      if (!Number.isInteger(d.waiting) || d.waiting < 0) return;
      waiting = d.waiting;
      renderWaiting();
    });
  }

  window.addEventListener('offline', () => {
    if (!loc) return;
    if (es) { es.close(); es = null; }
    setOnline(false);
  });
  window.addEventListener('online', () => { if (loc) { esRetry = 1000; connect(); loadCalls().catch(() => {}); } });
  // Leaving the page (or going into the back/forward cache): free the connection; coming back: catch up.
  window.addEventListener('pagehide', () => { if (es) { es.close(); es = null; } });
  window.addEventListener('pageshow', (e) => { if (e.persisted && loc) { connect(); loadCalls().catch(() => {}); } });

  async function start(delay) {
    try {
      const d = await getJSON(`/api/v1/kiosk/${encodeURIComponent(code)}?lang=${encodeURIComponent(lang)}`);
      loc = d.location;
      T = d.texts || {};
      lang = d.language || lang;
      try {
        clockFmt = new Intl.DateTimeFormat('nl-NL', { timeZone: loc.timeZone, hour: '2-digit', minute: '2-digit' });
      } catch (e) {
        clockFmt = new Intl.DateTimeFormat('nl-NL', { hour: '2-digit', minute: '2-digit' });
      }
      renderTexts();
      renderWaiting();
      tick();
      await loadCalls().catch(() => renderCalls());
      connect();
    } catch (e) {
      setOnline(false);
      const next = Math.min((delay || 1000) * 2, 30000);
      setTimeout(() => start(next), delay || 1000);
    }
  }
  start();
})();
