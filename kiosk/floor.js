// Loket floor view for coordinators (/coordinator/floor): desks and who is at them, the waiting line per service,
// urgent tickets, and today's appointments with their arrival, for one location. The page reads one snapshot
// (GET /api/v1/locations/{id}/floor) and reads it again, debounced, whenever the staff event stream reports a change
// — and every 30 s for the growing waits — so what it shows is always the database's state, never a sum of events.
'use strict';
(() => {
  const C = window.LoketConsole;
  const { api, esc, flash } = C;
  const $ = (id) => document.getElementById(id);
  const PLACE = 'loket.floor.location';
  const EVENTS = ['ticket.created', 'ticket.called', 'ticket.recalled', 'ticket.started', 'ticket.finished', 'ticket.requeued',
    'ticket.handover', 'queue.changed', 'appointment.arrived'];
  const DEBOUNCE_MS = 300;
  const REFRESH_MS = 30000;

  let locations = [];
  let loc = null;
  let es = null;
  let retry = 1000;
  let timer = null;
  let refresher = null;
  let loading = false;
  let again = false;
  let lastSummary = '';

  const time = (iso, zone) => C.when(iso, zone, { weekday: undefined, day: undefined, month: undefined });
  function wait(seconds) {
    if (seconds === null || seconds === undefined) return '—';
    const m = Math.floor(seconds / 60);
    if (m < 1) return 'minder dan 1 min';
    if (m < 60) return `${m} min`;
    return `${Math.floor(m / 60)} u ${m % 60} min`;
  }
  const urgentBadge = '<span class="badge urgent">Urgent</span>';

  async function ready() {
    const { data } = await api('GET', '/api/v1/locations');
    locations = data.items;
    const saved = localStorage.getItem(PLACE);
    const wanted = new URLSearchParams(location.search).get('location');
    loc = locations.find((l) => l.id === wanted || l.code === wanted) || locations.find((l) => l.id === saved) || locations[0] || null;
    $('f-loc').innerHTML = locations.map((l) => `<option value="${esc(l.id)}"${loc && l.id === loc.id ? ' selected' : ''}>${esc(l.name)}</option>`).join('');
    if (!loc) { flash('Er is nog geen locatie.', true); return; }
    await choose(loc.id);
  }

  async function choose(id) {
    loc = locations.find((l) => l.id === id);
    localStorage.setItem(PLACE, id);
    lastSummary = '';
    await load();
    connect();
    clearInterval(refresher);
    refresher = setInterval(() => load().catch(C.fail), REFRESH_MS);
  }

  // One snapshot at a time; a change that arrives while one loads asks for one more afterwards.
  async function load() {
    if (!loc) return;
    if (loading) { again = true; return; }
    loading = true;
    try {
      const { data } = await api('GET', `/api/v1/locations/${encodeURIComponent(loc.id)}/floor`);
      if (data.location.id === loc.id) render(data);
    } catch (e) {
      C.fail(e);
    } finally {
      loading = false;
      if (again) { again = false; soon(); }
    }
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(() => load(), DEBOUNCE_MS);
  }

  function connect() {
    if (es) es.close();
    const src = new EventSource(`/api/v1/locations/${encodeURIComponent(loc.id)}/staff-events`);
    es = src;
    src.onopen = () => { retry = 1000; live(true); soon(); };
    src.onerror = () => {
      live(false);
      if (src.readyState === EventSource.CLOSED && es === src) {
        setTimeout(() => { if (es === src) connect(); }, retry);
        retry = Math.min(retry * 2, 30000);
      }
    };
    for (const n of EVENTS) src.addEventListener(n, soon);
  }

  function live(on) {
    $('live').textContent = on ? 'Live: wijzigingen verschijnen vanzelf' : 'Geen live verbinding: opnieuw verbinden…';
    $('live').classList.toggle('off', !on);
  }

  function render(f) {
    const zone = f.location.timeZone;
    $('updated').textContent = `Bijgewerkt om ${time(f.now, zone)}`;
    const summary = `${f.waiting} wachtend${f.urgentWaiting ? `, waarvan ${f.urgentWaiting} urgent` : ''}.`;
    // The live region speaks only when the totals change, not on every refresh.
    if (summary !== lastSummary) { $('summary').textContent = summary; lastSummary = summary; }
    $('summary').dataset.waiting = f.waiting;

    $('urgent-box').hidden = !f.urgent.length;
    $('urgent').innerHTML = f.urgent.map((u) => `<li data-number="${esc(u.number)}">${urgentBadge} <span class="n">${esc(u.number)}</span>`
      + ` · ${esc(u.serviceName)} (${esc(u.agencyName)}) · wacht ${esc(wait(u.waitSeconds))}</li>`).join('');

    $('desks').tBodies[0].innerHTML = f.desks.map((d) => {
      const c = d.current;
      const who = c ? esc(c.staffName) : d.last ? `<span class="muted">Vrij · laatst ${esc(d.last.staffName)}, ${esc(time(d.last.at, zone))}</span>` : '<span class="muted">Vrij</span>';
      const visitor = c ? `<span class="n">${esc(c.number)}</span> ${c.status === 'serving' ? 'in gesprek' : 'geroepen'}`
        + ` om ${esc(time(c.status === 'serving' ? c.startedAt : c.calledAt, zone))}${c.priority === 'urgent' ? ' ' + urgentBadge : ''}${c.appointment ? ' (afspraak)' : ''}` : '—';
      return `<tr data-desk="${esc(d.id)}"${c && c.priority === 'urgent' ? ' class="urgent"' : ''}><th scope="row">${esc(d.name)}</th><td>${who}</td><td class="visitor">${visitor}</td>`
        + `<td>${c ? `${esc(c.serviceName)} <span class="muted">(${esc(c.agencyName)})</span>` : ''}</td></tr>`;
    }).join('') || '<tr><td colspan="4">Geen balies.</td></tr>';

    $('services').tBodies[0].innerHTML = f.services.map((s) => `<tr data-service="${esc(s.id)}"${s.urgentWaiting ? ' class="urgent"' : ''}>`
      + `<th scope="row">${esc(s.name)} <span class="muted">(${esc(s.agencyName)}, ${esc(s.ticketPrefix)})</span></th>`
      + `<td class="num waiting">${esc(s.waiting)}</td><td class="num">${s.urgentWaiting ? `${urgentBadge} ${esc(s.urgentWaiting)}` : '0'}</td>`
      + `<td class="num">${esc(wait(s.longestWaitSeconds))}</td></tr>`).join('');

    $('no-appts').hidden = f.appointments.length > 0;
    $('appointments').hidden = f.appointments.length === 0;
    $('appointments').tBodies[0].innerHTML = f.appointments.map((a) => `<tr data-appointment="${esc(a.id)}">`
      + `<td>${esc(time(a.start, zone))}–${esc(time(a.end, zone))}</td><td>${esc(a.typeName)}</td>`
      + `<td>${esc(a.participants.map((p) => `${p.staffName} (${p.agencyName})`).join(', '))}</td><td>${esc(a.roomName || '—')}</td>`
      + `<td class="arrival">${arrival(a)}</td></tr>`).join('');
  }

  function arrival(a) {
    const n = a.ticketNumber ? ` <span class="n">${esc(a.ticketNumber)}</span>` : '';
    const late = a.late ? ' (te laat gekomen)' : '';
    switch (a.arrival) {
      case 'expected': return 'Verwacht';
      case 'overdue': return '<span class="badge warn">Nog niet binnen</span> begintijd voorbij';
      case 'arrived': return `Binnen, wacht${n}${late}`;
      case 'called': return `Geroepen${n}${a.deskName ? ` naar ${esc(a.deskName)}` : ''}`;
      case 'serving': return `In gesprek${n}${a.deskName ? ` aan ${esc(a.deskName)}` : ''}`;
      case 'done': return 'Afgerond';
      case 'noShow': return 'Niet gekomen';
      default: return esc(a.arrival);
    }
  }

  $('f-loc').addEventListener('change', () => choose($('f-loc').value).catch(C.fail));
  $('logout').addEventListener('click', () => { if (es) { es.close(); es = null; } clearInterval(refresher); loc = null; });
  window.addEventListener('pagehide', () => { if (es) { es.close(); es = null; } });
  window.addEventListener('pageshow', (e) => { if (e.persisted && loc) { connect(); soon(); } });

  C.start({ minRole: 'coordinator', ready });
})();
