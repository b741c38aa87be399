// The coordinator console (/coordinator): plan a (joint) appointment from proposed times that name who attends and
// which room, book it as a hold that is then confirmed, reschedule and cancel it; keep the calendars (opening hours,
// closures, public holidays, rooms, staff availability and absences) and see a week of chosen staff side by side.
// Uses console.js for the session and API calls; everything else is the existing API plus CoordinatorRoutes
// (/api/v1/coordinator/staff, …/proposals, …/staff-week). Times are shown in the location's zone.
'use strict';
(() => {
  const C = window.LoketConsole;
  const $ = (id) => document.getElementById(id);
  const esc = C.esc;
  const DAYS = ['maandag', 'dinsdag', 'woensdag', 'donderdag', 'vrijdag', 'zaterdag', 'zondag'];
  const NEEDS = { interpreter: 'tolk', wheelchair: 'rolstoeltoegankelijk', hearingLoop: 'ringleiding', extraTime: 'extra tijd', companion: 'begeleider' };
  const STATUS = { held: 'vastgehouden', booked: 'geboekt', checkedIn: 'aangemeld', done: 'afgerond', noShow: 'niet gekomen', cancelled: 'geannuleerd' };
  const s = {
    locations: [], loc: null, types: [], services: {}, staff: [], agencies: {},
    proposals: [], chosen: null, held: null, appt: null, moving: null, weekStaff: new Set(),
  };

  // ---- small helpers -----------------------------------------------------------------------------------------
  const tz = () => (s.loc && s.loc.timeZone) || 'Europe/Amsterdam';
  const when = (iso) => C.when(iso, tz(), { year: 'numeric' });
  const hhmm = (iso) => String(iso || '').slice(11, 16); // RFC 3339 in the location's offset: the wall clock as sent
  const day = (iso) => String(iso || '').slice(0, 10);
  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  /** Today's local date in the location's zone, YYYY-MM-DD. */
  function today() {
    return new Intl.DateTimeFormat('en-CA', { timeZone: tz(), year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  }
  function addDays(date, n) {
    const d = new Date(date + 'T12:00:00Z');
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }
  function monday(date) {
    const d = new Date(date + 'T12:00:00Z');
    return addDays(date, -((d.getUTCDay() + 6) % 7));
  }
  /** Minutes the zone is ahead of UTC at instant `ms`. */
  function offsetAt(ms) {
    const p = {};
    for (const x of new Intl.DateTimeFormat('en-GB', { timeZone: tz(), hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).formatToParts(new Date(ms))) p[x.type] = x.value;
    return Math.round((Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute) - Math.floor(ms / 60000) * 60000) / 60000);
  }
  /** A datetime-local value ("2026-03-12T09:00"), read as the location's wall clock, in RFC 3339 with its offset. */
  function zoned(local) {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(local || '')) return local || undefined;
    const naive = Date.parse(local + ':00Z');
    let off = offsetAt(naive);
    off = offsetAt(naive - off * 60000);
    const a = Math.abs(off);
    return `${local}:00${off < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
  }
  const staffName = (id) => { const m = s.staff.find((x) => x.id === id); return m ? `${m.displayName} (${m.agencyName})` : id; };
  const serviceName = (id) => (s.services[id] ? s.services[id].name : id);

  // ---- field errors: problem+json invalidParams → aria-invalid + message next to the field + the flash ----------
  const REASONS = [
    [/^is required.*/, 'is verplicht'], [/^must not be empty$/, 'mag niet leeg zijn'], [/^is not a valid id$/, 'is geen geldige keuze'],
    [/^must be after (start|opens)$/, 'moet later zijn dan het begin'], [/^end must be after start$/, 'het einde moet later zijn dan het begin'],
    [/^closes must be after opens$/, 'dicht moet later zijn dan open'], [/^overlaps (\S+)$/, 'overlapt met een andere regel'],
    [/^intervals on one weekday overlap$/, 'tijden op één dag overlappen'], [/^intervals of one staff member overlap$/, 'tijden van deze medewerker overlappen'],
    [/^must be between (\d+) and (\d+)$/, 'moet tussen $1 en $2 liggen'], [/^must be at most (\d+) characters$/, 'mag hoogstens $1 tekens zijn'],
    [/^must not be before (\w+)$/, 'mag niet vóór de begindatum liggen'], [/^validUntil must not be before validFrom$/, '"geldig tot" mag niet vóór "geldig vanaf" liggen'],
    [/^is in the past.*/, 'ligt in het verleden'], [/^repeats .*/, 'staat er al'], [/^must be an e-mail address$/, 'is geen e-mailadres'],
    [/^must be a phone number$/, 'is geen telefoonnummer'], [/^is required with everyOtherWeek.*/, 'is nodig bij "om de week" (de eerste week)'],
    [/^does not exist$/, 'bestaat niet'], [/^must be at most (\d+) for this appointment type$/, 'mag hoogstens $1 zijn voor deze soort afspraak'],
  ];
  const dutch = (reason) => { for (const [re, nl] of REASONS) if (re.test(reason)) return reason.replace(re, nl); return reason; };

  function clearErrors(form) {
    for (const el of form.querySelectorAll('[aria-invalid="true"]')) {
      el.removeAttribute('aria-invalid');
      const d = (el.getAttribute('aria-describedby') || '').split(' ').filter((x) => !x.startsWith('err-'));
      if (d.length) el.setAttribute('aria-describedby', d.join(' ')); else el.removeAttribute('aria-describedby');
    }
    for (const el of form.querySelectorAll('.error[data-err]')) el.remove();
  }
  let errSeq = 0;
  /** Shows a failed call: field complaints at their fields (first one focused) and everything in the flash. */
  function showProblem(e, form, prefix = '') {
    if (form) clearErrors(form);
    const params = (e && e.problem && Array.isArray(e.problem.invalidParams)) ? e.problem.invalidParams : [];
    if (!form || !params.length) { C.fail(e); return; }
    const lines = [];
    let first = null;
    for (const p of params) {
      let name = String(p.name || '');
      if (prefix && name.startsWith(prefix)) name = name.slice(prefix.length);
      // The field itself, else its row or list (`weekly[2].opens` → `weekly[2]` → `weekly`).
      let el = null;
      for (let n = name; n;) {
        el = form.querySelector(`[data-field="${CSS.escape(n)}"]`);
        const shorter = n.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
        if (el || shorter === n) break;
        n = shorter;
      }
      const label = el ? labelOf(el) : name;
      const msg = dutch(String(p.reason || ''));
      lines.push(`${label}: ${msg}`);
      if (el) {
        const id = `err-${++errSeq}`;
        const m = document.createElement('span');
        m.className = 'error'; m.id = id; m.dataset.err = '1'; m.textContent = msg;
        el.setAttribute('aria-invalid', 'true');
        el.setAttribute('aria-describedby', [el.getAttribute('aria-describedby'), id].filter(Boolean).join(' '));
        (el.closest('td, .field, .checks > div') || el.parentNode).appendChild(m);
        first = first || el;
      }
    }
    C.flash(`Niet opgeslagen. ${lines.join('; ')}.`, true);
    if (first) first.focus();
  }
  function labelOf(el) {
    if (el.id) { const l = document.querySelector(`label[for="${CSS.escape(el.id)}"]`); if (l) return l.textContent.trim(); }
    const a = el.getAttribute('aria-label'); if (a) return a;
    const lg = el.closest('fieldset') && el.closest('fieldset').querySelector('legend'); return lg ? lg.textContent.trim() : (el.dataset.field || '');
  }

  // ---- tabs ---------------------------------------------------------------------------------------------------
  function showTab() {
    if (!C.me()) return;
    const cal = location.hash === '#agendas';
    $('v-plan').hidden = cal; $('v-cal').hidden = !cal;
    $(cal ? 'tab-cal' : 'tab-plan').setAttribute('aria-current', 'page');
    $(cal ? 'tab-plan' : 'tab-cal').removeAttribute('aria-current');
    if (cal) loadCalendars().catch(C.fail);
  }

  // ---- start --------------------------------------------------------------------------------------------------
  async function ready() {
    $('where').hidden = false;
    const [locs, types, services, staff, agencies] = await Promise.all([
      C.api('GET', '/api/v1/locations'), C.api('GET', '/api/v1/appointment-types'), C.api('GET', '/api/v1/services'),
      C.api('GET', '/api/v1/coordinator/staff'), C.api('GET', '/api/v1/agencies')]);
    s.locations = locs.data.items; s.types = types.data.items; s.staff = staff.data.items;
    s.services = Object.fromEntries(services.data.items.map((x) => [x.id, x]));
    s.agencies = Object.fromEntries(agencies.data.items.map((x) => [x.id, x]));
    const keep = $('loc').value;
    $('loc').innerHTML = s.locations.map((l) => `<option value="${esc(l.id)}">${esc(l.name)}</option>`).join('');
    if (keep && s.locations.some((l) => l.id === keep)) $('loc').value = keep;
    s.loc = s.locations.find((l) => l.id === $('loc').value) || null;
    $('loc-tz').textContent = tz();
    $('p-type').innerHTML = s.types.map((t) => `<option value="${esc(t.id)}">${esc(t.name)}</option>`).join('');
    // The joint type first when there is one: planning with several agencies is what this page is for.
    const joint = s.types.find((t) => t.requirements.length > 1);
    if (joint) $('p-type').value = joint.id;
    $('p-from').value = today();
    $('w-date').value = monday(today());
    $('hol-year').value = today().slice(0, 4);
    typeChanged();
    fillStaffPickers();
    calendarsLoaded = false;
    showTab();
    performance.mark('coordinator-ready'); // bench_pages.py: the console is usable
  }

  // ---- plan ---------------------------------------------------------------------------------------------------
  const type = () => s.types.find((t) => t.id === $('p-type').value);
  function typeChanged() {
    const t = type();
    if (!t) { $('p-type-info').textContent = 'Er zijn nog geen soorten afspraken.'; return; }
    const agencies = [...new Set(t.requirements.map((r) => (s.services[r.serviceId] || {}).agencyId))].map((a) => (s.agencies[a] || {}).name || '?');
    $('p-type-info').textContent = `${t.durationMinutes} minuten${t.needsRoom ? ', in een spreekkamer' : ''}; met ${agencies.join(', ')}; hoogstens ${t.maxPersons} bezoeker(s).`;
    $('p-persons').max = String(t.maxPersons);
    $('p-staff-list').innerHTML = t.requirements.map((r, i) => {
      const who = s.staff.filter((m) => m.serviceIds.includes(r.serviceId));
      return `<div class="field"><label for="p-staff-${i}">${esc(serviceName(r.serviceId))}</label>
<select id="p-staff-${i}" data-field="staffIds[${i}]" data-staff><option value="">Geen voorkeur</option>${who.map((m) => `<option value="${esc(m.id)}">${esc(m.displayName)} (${esc(m.agencyName)})</option>`).join('')}</select></div>`;
    }).join('');
  }

  async function search(e) {
    if (e) e.preventDefault();
    const form = $('f-plan');
    clearErrors(form);
    const t = type();
    if (!t || !s.loc) { C.flash('Kies een locatie en een soort afspraak.', true); return; }
    const from = $('p-from').value || today();
    const to = addDays(from, 7 * Number($('p-weeks').value) - 1);
    // The selects are per requirement; the API wants each person once (two selects may name the same person).
    const named = [...new Set([...form.querySelectorAll('[data-staff]')].map((x) => x.value).filter(Boolean))];
    const q = new URLSearchParams({ appointmentType: t.id, from, to, persons: $('p-persons').value || '1', limit: '12', perDay: '3' });
    if (named.length) q.set('staffIds', named.join(','));
    // An interpreter who comes in person takes a seat in the room, as the booking counts it.
    if (needs().includes('interpreter') && $('p-interp-mode').value === 'inPerson') q.set('extraSeats', '1');
    C.flash('Vrije tijden zoeken…');
    try {
      const { data } = await C.api('GET', `/api/v1/locations/${s.loc.id}/proposals?${q}`);
      s.proposals = data.items;
      renderProposals(from, to);
      C.flash(data.items.length ? `${data.items.length} voorstellen gevonden.` : 'Geen vrije tijd gevonden in deze periode. Probeer een langere periode of zonder voorkeur voor medewerkers.', !data.items.length);
    } catch (err) { showProblem(err, form); }
  }

  function renderProposals(from, to) {
    $('p-results').hidden = false;
    $('c-proposals').textContent = `Vroegste vrije tijden van ${C.when(from + 'T12:00:00Z', tz(), { hour: undefined, minute: undefined })} tot en met ${C.when(to + 'T12:00:00Z', tz(), { hour: undefined, minute: undefined })}, met wie er komt en in welke ruimte`;
    $('p-moving').hidden = !s.moving;
    $('p-moving').textContent = s.moving ? `U verzet afspraak ${s.moving.reference} (nu ${when(s.moving.start)}). Kies de nieuwe tijd.` : '';
    const rows = s.proposals.map((p, i) => `<tr>
<td>${esc(when(p.start))}–${esc(hhmm(p.end))}</td>
<td><ul class="people">${p.participants.map((x) => `<li>${esc(x.displayName || x.staffId)} — ${esc(x.agencyName || '')}, ${esc(x.serviceName || '')}</li>`).join('')}</ul></td>
<td>${p.roomName ? `${esc(p.roomName)} (${esc(p.roomCapacity)} plaatsen)` : 'geen ruimte nodig'}</td>
<td><button type="button" class="btn" data-pick="${i}" aria-label="${esc((s.moving ? 'Verzet naar ' : 'Kies ') + when(p.start))}">${s.moving ? 'Verzet hierheen' : 'Kies'}</button></td>
</tr>`).join('');
    $('t-proposals').tBodies[0].innerHTML = rows || '<tr><td colspan="4">Geen vrije tijden.</td></tr>';
  }

  async function pick(i) {
    const p = s.proposals[i];
    if (!p) return;
    if (s.moving) return move(p);
    s.chosen = p;
    $('p-book').hidden = false; $('p-done').hidden = true;
    $('f-book').hidden = false; $('p-held').hidden = true;
    clearErrors($('f-book'));
    $('p-chosen').textContent = `${when(p.start)}–${hhmm(p.end)}, ${p.participants.map((x) => x.displayName).join(', ')}${p.roomName ? `, ${p.roomName}` : ''}.`;
    $('h-book').focus();
  }

  const needs = () => [...document.querySelectorAll('[data-need]')].filter((x) => x.checked).map((x) => x.value);
  /** Hold the chosen time with the visitor's details; it stays held while the coordinator checks and confirms. */
  async function hold(e) {
    e.preventDefault();
    const p = s.chosen; const t = type();
    if (!p || !t) return;
    const form = $('f-book');
    clearErrors(form);
    const citizen = { language: $('b-lang').value, needs: needs() };
    for (const [k, id] of [['name', 'b-name'], ['email', 'b-email'], ['phone', 'b-phone'], ['needsNote', 'b-note']]) {
      const v = $(id).value.trim(); if (v) citizen[k] = v;
    }
    const body = { locationId: s.loc.id, appointmentTypeId: t.id, start: p.start, persons: Number($('p-persons').value || 1),
                   staffIds: p.participants.map((x) => x.staffId), citizen, hold: true };
    if (p.roomId) body.roomId = p.roomId;
    // One key per attempt: a retry after a network error cannot book twice.
    const key = form.dataset.key || (form.dataset.key = uuid());
    try {
      const { data } = await C.api('POST', '/api/v1/appointments', body, { headers: { 'Idempotency-Key': key } });
      delete form.dataset.key;
      s.held = data;
      $('f-book').hidden = true; $('p-held').hidden = false;
      $('p-held-text').textContent = `Vastgehouden tot ${hhmm(data.heldUntil) || C.when(data.heldUntil, tz(), { weekday: undefined, day: undefined, month: undefined })}: ${when(data.start)}, referentie ${data.reference}. Bevestig om te boeken.`;
      C.flash('De tijd wordt even voor u vastgehouden.');
      $('b-confirm').focus();
    } catch (err) {
      if (err.status !== 0) delete form.dataset.key;
      if (err.status === 409) return taken(err);
      showProblem(err, form);
    }
  }

  function taken(err) {
    C.flash(`${err.status === 409 ? 'Deze tijd is net bezet.' : C.problemText(err)} Kies een andere tijd; de lijst is bijgewerkt.`, true);
    $('p-book').hidden = true;
    search().then(() => { const b = document.querySelector('[data-pick="0"]'); if (b) b.focus(); });
  }

  async function confirm() {
    if (!s.held) return;
    try {
      const { data } = await C.api('POST', `/api/v1/appointments/${s.held.id}/confirm`);
      s.held = null;
      done(data, 'Afspraak geboekt.');
      await interpreter(data.id);
    } catch (err) {
      if (err.status === 409) { s.held = null; return taken(err); }
      C.fail(err);
    }
  }

  /** An interpreter asked for with a language becomes an attendee of the appointment (the desk prepares for it). */
  async function interpreter(id) {
    const lang = $('p-interp-lang').value.trim().toLowerCase();
    if (!needs().includes('interpreter') || !lang) return;
    try {
      await C.api('POST', `/api/v1/appointments/${id}/attendees`, { kind: 'interpreter', language: lang, mode: $('p-interp-mode').value });
    } catch (err) {
      C.flash(`De afspraak is geboekt, maar de tolk is niet toegevoegd: ${C.problemText(err)}`, true);
    }
  }

  async function release() {
    if (!s.held) return;
    try { await C.api('POST', `/api/v1/appointments/${s.held.id}/cancel`, { reason: 'niet geboekt' }); } catch (err) { C.fail(err); return; }
    s.held = null;
    $('p-book').hidden = true;
    C.flash('De tijd is vrijgegeven.');
    const b = document.querySelector('[data-pick="0"]'); if (b) b.focus();
  }

  function done(a, message) {
    s.appt = a;
    $('p-book').hidden = true; $('p-done').hidden = false; $('d-cancel-box').hidden = true;
    $('h-done').textContent = a.status === 'cancelled' ? 'Afspraak geannuleerd' : message.replace(/\.$/, '');
    $('d-ref').textContent = a.reference;
    $('d-when').textContent = `${when(a.start)}–${hhmm(a.end)}${a.roomName ? `, ${a.roomName}` : ''} (${STATUS[a.status] || a.status})`;
    $('d-who').textContent = `Deelnemers: ${(a.participants || []).map((x) => staffName(x.staffId)).join(', ')}`;
    $('d-move').hidden = $('d-cancel').hidden = !['held', 'booked'].includes(a.status);
    C.flash(`${message} Referentie ${a.reference}.`);
    $('h-done').focus();
  }

  /** Reschedule: the same search, and "move here" on a proposal. The old time stays until the move succeeds. */
  function startMove() {
    if (!s.appt) return;
    s.moving = s.appt;
    const t = s.types.find((x) => x.id === s.appt.appointmentTypeId);
    if (t) {
      $('p-type').value = t.id; typeChanged();
      // The same people by default: each requirement's select gets the participant who fills it now.
      const left = [...(s.appt.participants || [])];
      t.requirements.forEach((r, i) => {
        const k = left.findIndex((p) => p.serviceId === r.serviceId);
        const sel = $(`p-staff-${i}`);
        if (k >= 0 && sel && [...sel.options].some((o) => o.value === left[k].staffId)) { sel.value = left[k].staffId; left.splice(k, 1); }
      });
    }
    $('p-persons').value = String(s.appt.persons || 1);
    search().then(() => { const b = document.querySelector('[data-pick="0"]'); (b || $('h-results')).focus(); });
  }
  async function move(p) {
    const a = s.moving;
    const body = { start: p.start, staffIds: p.participants.map((x) => x.staffId) };
    if (p.roomId) body.roomId = p.roomId;
    try {
      const { data } = await C.api('PATCH', `/api/v1/appointments/${a.id}`, body);
      s.moving = null;
      $('p-results').hidden = true;
      done(data, 'Afspraak verzet.');
    } catch (err) {
      if (err.status === 409) return taken(err);
      C.fail(err);
    }
  }

  async function cancel() {
    if (!s.appt) return;
    const reason = $('d-reason').value.trim();
    try {
      const { data } = await C.api('POST', `/api/v1/appointments/${s.appt.id}/cancel`, reason ? { reason } : {});
      s.moving = null;
      done(data, 'Afspraak geannuleerd.');
    } catch (err) { C.fail(err); }
  }

  async function find(e) {
    e.preventDefault();
    const form = $('f-find');
    clearErrors(form);
    const ref = $('f-ref').value.trim().toUpperCase();
    if (!/^[2-9A-HJKMNP-Z]{6}$/.test(ref)) {
      showProblem(new C.ApiError(422, { invalidParams: [{ name: 'reference', reason: 'zes tekens, zoals K7M2QX' }] }), form);
      return;
    }
    try {
      const found = await C.api('GET', `/api/v1/locations/${s.loc.id}/appointment-references/${ref}`);
      const { data } = await C.api('GET', `/api/v1/appointments/${found.data.id}`);
      done(data, 'Afspraak gevonden.');
    } catch (err) {
      if (err.status !== 404) { C.fail(err); return; }
      showProblem(new C.ApiError(404, { invalidParams: [{ name: 'reference', reason: 'geen afspraak met deze referentie op deze locatie' }] }), form);
    }
  }

  // ---- calendars ----------------------------------------------------------------------------------------------
  let calendarsLoaded = false;
  async function loadCalendars(force) {
    if (calendarsLoaded && !force) return;
    calendarsLoaded = true;
    await Promise.all([loadHours(), loadRooms(), holidays(), loadStaffCalendar()]);
  }
  const dayOptions = (sel) => DAYS.map((d, i) => `<option value="${i + 1}"${sel === i + 1 ? ' selected' : ''}>${d}</option>`).join('');
  const locOptions = (sel) => s.locations.map((l) => `<option value="${esc(l.id)}"${l.id === sel ? ' selected' : ''}>${esc(l.name)}</option>`).join('');
  /** A table cell with an input labelled by the column and the row ("Open, regel 2"). */
  const cell = (html) => `<td>${html}</td>`;
  const rm = (what, n) => `<td><button type="button" class="btn" data-remove aria-label="${esc(what)} ${n} verwijderen">Verwijderen</button></td>`;

  async function loadHours() {
    const { data } = await C.api('GET', `/api/v1/locations/${s.loc.id}/opening-hours`);
    $('hours-rows').innerHTML = '';
    $('closure-rows').innerHTML = '';
    for (const w of data.weekly) hourRow(w);
    for (const c of data.closures) closureRow(c);
    $('h-holidays').checked = data.closedOnPublicHolidays !== false;
    $('h-goodfriday').checked = !!data.goodFridayClosed;
    $('h-liberation').checked = !!data.liberationDayClosed;
  }
  function hourRow(w = {}) {
    const tb = $('hours-rows'); const i = tb.rows.length; const n = i + 1;
    tb.insertAdjacentHTML('beforeend', `<tr>
${cell(`<select data-k="weekday" data-field="weekly[${i}].weekday" aria-label="Dag, regel ${n}">${dayOptions(w.weekday || 1)}</select>`)}
${cell(`<input type="time" data-k="opens" data-field="weekly[${i}].opens" aria-label="Open, regel ${n}" value="${esc(w.opens || '09:00')}">`)}
${cell(`<input type="time" data-k="closes" data-field="weekly[${i}].closes" aria-label="Dicht, regel ${n}" value="${esc(w.closes || '17:00')}">`)}
${cell(`<input type="date" data-k="validFrom" data-field="weekly[${i}].validFrom" aria-label="Geldig vanaf, regel ${n}" value="${esc(w.validFrom || '')}">`)}
${cell(`<input type="date" data-k="validUntil" data-field="weekly[${i}].validUntil" aria-label="Geldig tot en met, regel ${n}" value="${esc(w.validUntil || '')}">`)}
${rm('Openingstijd', n)}</tr>`);
  }
  function closureRow(c = {}) {
    const tb = $('closure-rows'); const i = tb.rows.length; const n = i + 1;
    tb.insertAdjacentHTML('beforeend', `<tr>
${cell(`<input type="date" data-k="date" data-field="closures[${i}].date" aria-label="Datum, sluitingsdag ${n}" value="${esc(c.date || '')}">`)}
${cell(`<input data-k="reason" data-field="closures[${i}].reason" aria-label="Reden, sluitingsdag ${n}" maxlength="200" value="${esc(c.reason || '')}">`)}
${rm('Sluitingsdag', n)}</tr>`);
  }
  /** Rows renumbered after a removal, so field names keep matching the server's `weekly[i]` complaints. */
  function renumber(tbody, list) {
    [...tbody.rows].forEach((r, i) => { for (const el of r.querySelectorAll('[data-k]')) el.dataset.field = `${list}[${i}].${el.dataset.k}`; });
  }
  const rowValues = (tbody) => [...tbody.rows].map((r) => {
    const o = {};
    for (const el of r.querySelectorAll('[data-k]')) o[el.dataset.k] = el.type === 'checkbox' ? el.checked : el.value;
    return o;
  });
  async function saveHours(e) {
    e.preventDefault();
    C.flash('Bezig met opslaan…');
    const form = $('f-hours'); clearErrors(form);
    const weekly = rowValues($('hours-rows')).map((w) => ({ weekday: Number(w.weekday), opens: w.opens, closes: w.closes,
                                                          validFrom: w.validFrom || undefined, validUntil: w.validUntil || undefined }));
    const closures = rowValues($('closure-rows')).map((c) => ({ date: c.date || undefined, reason: c.reason.trim() || undefined }));
    try {
      await C.api('PUT', `/api/v1/locations/${s.loc.id}/opening-hours`, { weekly, closures, closedOnPublicHolidays: $('h-holidays').checked,
        goodFridayClosed: $('h-goodfriday').checked, liberationDayClosed: $('h-liberation').checked });
      await loadHours();
      C.flash('Openingstijden opgeslagen.');
    } catch (err) { showProblem(err, form); }
  }

  async function holidays() {
    const year = $('hol-year').value;
    const [all, here] = await Promise.all([C.api('GET', `/api/v1/holidays?year=${encodeURIComponent(year)}`),
                                           C.api('GET', `/api/v1/holidays?year=${encodeURIComponent(year)}&locationId=${s.loc.id}`)]);
    const closed = new Set(here.data.items.map((x) => x.date));
    $('c-hol').textContent = `Feestdagen ${year}`;
    $('t-hol').tBodies[0].innerHTML = all.data.items.map((x) => `<tr><td>${esc(C.when(x.date + 'T12:00:00Z', tz(), { hour: undefined, minute: undefined, year: 'numeric' }))}</td>
<td>${esc(x.name)}${x.optional ? ' <span class="badge">keuze</span>' : ''}</td><td>${closed.has(x.date) ? 'gesloten' : 'open'}</td></tr>`).join('');
  }

  async function loadRooms() {
    const { data } = await C.api('GET', `/api/v1/locations/${s.loc.id}/rooms?includeInactive=true`);
    $('room-rows').innerHTML = data.items.map((r) => `<tr data-room="${esc(r.id)}">
<td><input data-field="name" aria-label="Naam van ${esc(r.name)}" maxlength="60" value="${esc(r.name)}"></td>
<td><input data-field="capacity" type="number" min="1" max="100" aria-label="Capaciteit van ${esc(r.name)}" value="${esc(r.capacity)}"></td>
<td><input type="checkbox" data-field="active" aria-label="${esc(r.name)} in gebruik"${r.active ? ' checked' : ''}></td>
<td><button type="button" class="btn" data-save-room aria-label="${esc(r.name)} opslaan">Opslaan</button></td></tr>`).join('')
      || '<tr><td colspan="4">Nog geen ruimtes.</td></tr>';
  }
  async function saveRoom(tr) {
    C.flash('Bezig met opslaan…');
    clearErrors(tr);
    const get = (f) => tr.querySelector(`[data-field="${f}"]`);
    try {
      await C.api('PATCH', `/api/v1/rooms/${tr.dataset.room}`, { name: get('name').value, capacity: Number(get('capacity').value), active: get('active').checked });
      await loadRooms();
      C.flash('Ruimte opgeslagen.');
    } catch (err) { showProblem(err, tr); }
  }
  async function addRoom(e) {
    e.preventDefault();
    C.flash('Bezig met opslaan…');
    const form = $('f-room'); clearErrors(form);
    try {
      await C.api('POST', `/api/v1/locations/${s.loc.id}/rooms`, { name: $('r-name').value, capacity: Number($('r-cap').value) });
      $('r-name').value = '';
      await loadRooms();
      C.flash('Ruimte toegevoegd.');
    } catch (err) { showProblem(err, form); }
  }

  /** The staff grouped by agency, in the directory's order (agency name, then display name). */
  function byAgency() {
    const groups = new Map();
    s.staff.forEach((m, i) => {
      if (!groups.has(m.agencyId)) groups.set(m.agencyId, { name: m.agencyName, members: [] });
      groups.get(m.agencyId).members.push([m, i]);
    });
    return [...groups.values()];
  }
  function fillStaffPickers() {
    const opts = byAgency().map((g) => `<optgroup label="${esc(g.name)}">${g.members.map(([m]) =>
      `<option value="${esc(m.id)}">${esc(m.displayName)} (${esc(m.agencyName)})</option>`).join('')}</optgroup>`).join('');
    const keep = $('a-staff').value;
    $('a-staff').innerHTML = opts;
    // A coordinator keeps their own agency's calendars: start with a colleague of their own agency.
    const me = C.me() || {};
    const own = s.staff.find((m) => m.agencyId === me.agencyId && m.id !== me.id) || s.staff.find((m) => m.agencyId === me.agencyId);
    if (keep && s.staff.some((m) => m.id === keep)) $('a-staff').value = keep;
    else if (own && me.role !== 'admin') $('a-staff').value = own.id;
    $('w-staff-list').innerHTML = byAgency().map((g, k) => `<div role="group" aria-labelledby="wg-${k}" class="agency"><p id="wg-${k}" class="agency-name">${esc(g.name)}</p>
<div class="checks cols">${g.members.map(([m, i]) => `<div><input type="checkbox" id="ws-${i}" value="${esc(m.id)}"${s.weekStaff.has(m.id) ? ' checked' : ''}>
<label for="ws-${i}">${esc(m.displayName)} (${esc(m.agencyName)})</label></div>`).join('')}</div></div>`).join('');
    // A complaint about the choice as a whole is shown at the first box (where keyboard users land).
    const first = $('w-staff-list').querySelector('input');
    if (first) first.dataset.field = 'staffIds';
  }
  let calendarSeq = 0;
  async function loadStaffCalendar() {
    const id = $('a-staff').value;
    const seq = ++calendarSeq; // a later choice wins: an earlier answer arriving late is dropped
    delete $('f-avail').dataset.loaded;
    $('avail-rows').innerHTML = ''; $('abs-list').innerHTML = '';
    clearErrors($('f-avail')); clearErrors($('f-absence'));
    if (!id) return;
    let data;
    try {
      data = (await C.api('GET', `/api/v1/staff/${id}/availability`)).data;
    } catch (err) {
      if (seq !== calendarSeq) return;
      $('avail-rows').innerHTML = `<tr><td colspan="8">${esc(C.problemText(err))}</td></tr>`;
      if (err.status === 403) { C.flash(`U kunt de agenda van ${staffName(id)} niet inzien of wijzigen: ${C.problemText(err)}`, true); return; }
      throw err;
    }
    if (seq !== calendarSeq) return;
    for (const a of data.intervals) availRow(a);
    await loadAbsences(seq);
    if (seq === calendarSeq) $('f-avail').dataset.loaded = id; // for tests and scripts: whose calendar the form shows
  }
  function availRow(a = {}) {
    const tb = $('avail-rows'); const i = tb.rows.length; const n = i + 1;
    tb.insertAdjacentHTML('beforeend', `<tr>
${cell(`<select data-k="locationId" data-field="intervals[${i}].locationId" aria-label="Locatie, tijd ${n}">${locOptions(a.locationId || s.loc.id)}</select>`)}
${cell(`<select data-k="weekday" data-field="intervals[${i}].weekday" aria-label="Dag, tijd ${n}">${dayOptions(a.weekday || 1)}</select>`)}
${cell(`<input type="time" data-k="start" data-field="intervals[${i}].start" aria-label="Van, tijd ${n}" value="${esc(a.start || '09:00')}">`)}
${cell(`<input type="time" data-k="end" data-field="intervals[${i}].end" aria-label="Tot, tijd ${n}" value="${esc(a.end || '17:00')}">`)}
${cell(`<input type="date" data-k="validFrom" data-field="intervals[${i}].validFrom" aria-label="Geldig vanaf, tijd ${n}" value="${esc(a.validFrom || '')}">`)}
${cell(`<input type="date" data-k="validUntil" data-field="intervals[${i}].validUntil" aria-label="Geldig tot en met, tijd ${n}" value="${esc(a.validUntil || '')}">`)}
${cell(`<input type="checkbox" data-k="everyOtherWeek" data-field="intervals[${i}].everyOtherWeek" aria-label="Om de week, tijd ${n}"${a.everyOtherWeek ? ' checked' : ''}>`)}
${rm('Tijd', n)}</tr>`);
  }
  async function saveAvailability(e) {
    e.preventDefault();
    C.flash('Bezig met opslaan…');
    const form = $('f-avail'); clearErrors(form);
    const id = $('a-staff').value;
    const intervals = rowValues($('avail-rows')).map((a) => ({ locationId: a.locationId, weekday: Number(a.weekday), start: a.start, end: a.end,
      validFrom: a.validFrom || undefined, validUntil: a.validUntil || undefined, everyOtherWeek: a.everyOtherWeek }));
    try {
      await C.api('PUT', `/api/v1/staff/${id}/availability`, { intervals });
      C.flash(`Beschikbaarheid van ${staffName(id)} opgeslagen.`);
    } catch (err) { showProblem(err, form); }
  }
  async function loadAbsences(seq) {
    const id = $('a-staff').value;
    const { data } = await C.api('GET', `/api/v1/staff/${id}/absences`);
    if (seq !== undefined && seq !== calendarSeq) return;
    const kinds = { leave: 'verlof', sickness: 'ziek', training: 'opleiding', other: 'anders' };
    $('abs-list').innerHTML = data.items.filter((x) => x.end > new Date(Date.now() - 86400000 * 31).toISOString()).map((x) => `<li>
<span>${esc(when(x.start))} tot ${esc(when(x.end))} (${esc(kinds[x.reason] || x.reason)})</span>
<button type="button" class="btn" data-absence="${esc(x.id)}" aria-label="Afwezigheid van ${esc(when(x.start))} verwijderen">Verwijderen</button></li>`).join('')
      || '<li>Geen afwezigheid gepland.</li>';
  }
  async function addAbsence(e) {
    e.preventDefault();
    C.flash('Bezig met opslaan…');
    const form = $('f-absence'); clearErrors(form);
    const id = $('a-staff').value;
    try {
      await C.api('POST', `/api/v1/staff/${id}/absences`, { start: zoned($('ab-start').value), end: zoned($('ab-end').value), reason: $('ab-reason').value });
      await loadAbsences();
      C.flash(`Afwezigheid van ${staffName(id)} toegevoegd.`);
    } catch (err) {
      if (err.status === 409) { showProblem(new C.ApiError(409, { invalidParams: [{ name: 'start', reason: 'overlapt met een andere afwezigheid' }] }), form); return; }
      showProblem(err, form);
    }
  }

  // ---- week view ----------------------------------------------------------------------------------------------
  async function week(e) {
    if (e) e.preventDefault();
    const form = $('f-week'); clearErrors(form);
    const ids = [...$('w-staff-list').querySelectorAll('input:checked')].map((x) => x.value);
    s.weekStaff = new Set(ids);
    if (!ids.length) { showProblem(new C.ApiError(422, { invalidParams: [{ name: 'staffIds', reason: 'kies ten minste één medewerker' }] }), form); return; }
    const from = monday($('w-date').value || today());
    $('w-date').value = from;
    try {
      const { data } = await C.api('GET', `/api/v1/locations/${s.loc.id}/staff-week?from=${from}&staffIds=${ids.join(',')}`);
      renderWeek(data);
      C.flash('Weekoverzicht bijgewerkt.');
    } catch (err) { showProblem(err, form); }
  }
  function renderWeek(w) {
    const days = [...Array(7)].map((_, i) => addDays(w.from, i));
    const label = (d) => C.when(d + 'T12:00:00Z', tz(), { hour: undefined, minute: undefined });
    $('c-week').textContent = `Week van ${label(w.from)} tot en met ${label(w.to)}, ${s.loc.name}: beschikbaarheid, afspraken en afwezigheid`;
    $('t-week').tHead.innerHTML = `<tr><th scope="col">Medewerker</th>${days.map((d) => `<th scope="col">${esc(label(d))}</th>`).join('')}</tr>`;
    const clip = (a, d) => { // the part of [start, end) on local day d, as "HH:MM–HH:MM"
      const st = day(a.start) < d ? '00:00' : hhmm(a.start); const en = day(a.end) > d ? '24:00' : hhmm(a.end);
      return `${st}–${en}`;
    };
    const on = (a, d) => day(a.start) <= d && (day(a.end) > d || (day(a.end) === d && hhmm(a.end) !== '00:00'));
    $('t-week').tBodies[0].innerHTML = w.staff.map((m) => `<tr><th scope="row">${esc(m.displayName)}<br><span class="hint">${esc(m.agencyName)}</span></th>${days.map((d) => {
      const items = [
        ...m.available.filter((a) => on(a, d)).map((a) => ({ t: hhmm(a.start), h: `<span class="slot avail">Beschikbaar ${esc(clip(a, d))}</span>` })),
        ...m.appointments.filter((a) => on(a, d)).map((a) => ({ t: hhmm(a.start), h: `<span class="slot busy">Afspraak ${esc(clip(a, d))} · ${esc(a.reference)}${a.status === 'held' ? ' (vastgehouden)' : ''}<br>${esc(a.typeName)}${a.roomName ? ` · ${esc(a.roomName)}` : ''}${a.locationId !== w.locationId ? ` · ${esc(a.locationName)}` : ''}</span>` })),
        ...m.absences.filter((a) => on(a, d)).map((a) => ({ t: day(a.start) < d ? '00:00' : hhmm(a.start), h: `<span class="slot away">Afwezig ${esc(clip(a, d))}</span>` })),
      ].sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
      return `<td>${items.map((x) => x.h).join('') || '<span class="sr">niets</span>'}</td>`;
    }).join('')}</tr>`).join('');
    $('t-week').hidden = false;
  }

  // ---- wiring -------------------------------------------------------------------------------------------------
  function wire() {
    window.addEventListener('hashchange', showTab);
    $('loc').addEventListener('change', () => {
      s.loc = s.locations.find((l) => l.id === $('loc').value) || null;
      $('loc-tz').textContent = tz();
      $('p-results').hidden = true; $('p-book').hidden = true; $('t-week').hidden = true;
      calendarsLoaded = false;
      if (location.hash === '#agendas') loadCalendars().catch(C.fail);
    });
    $('p-type').addEventListener('change', typeChanged);
    $('n-interpreter').addEventListener('change', () => { $('p-interp').hidden = !$('n-interpreter').checked; });
    $('f-plan').addEventListener('submit', search);
    $('t-proposals').addEventListener('click', (e) => { const b = e.target.closest('[data-pick]'); if (b) pick(Number(b.dataset.pick)); });
    $('f-book').addEventListener('submit', hold);
    $('b-back').addEventListener('click', () => { $('p-book').hidden = true; const b = document.querySelector('[data-pick="0"]'); if (b) b.focus(); });
    $('b-confirm').addEventListener('click', confirm);
    $('b-release').addEventListener('click', release);
    $('d-move').addEventListener('click', startMove);
    $('d-cancel').addEventListener('click', () => { $('d-cancel-box').hidden = false; $('d-cancel-yes').focus(); });
    $('d-cancel-no').addEventListener('click', () => { $('d-cancel-box').hidden = true; $('d-cancel').focus(); });
    $('d-cancel-yes').addEventListener('click', cancel);
    $('f-find').addEventListener('submit', find);

    $('hours-add').addEventListener('click', () => { hourRow(); $('hours-rows').lastElementChild.querySelector('select').focus(); });
    $('closure-add').addEventListener('click', () => { closureRow(); $('closure-rows').lastElementChild.querySelector('input').focus(); });
    $('avail-add').addEventListener('click', () => { availRow(); $('avail-rows').lastElementChild.querySelector('[data-k="weekday"]').focus(); });
    for (const [tb, list, add] of [['hours-rows', 'weekly', 'hours-add'], ['closure-rows', 'closures', 'closure-add'], ['avail-rows', 'intervals', 'avail-add']]) {
      $(tb).addEventListener('click', (e) => {
        const b = e.target.closest('[data-remove]'); if (!b) return;
        b.closest('tr').remove(); renumber($(tb), list); $(add).focus();
      });
    }
    $('f-hours').addEventListener('submit', saveHours);
    $('hol-show').addEventListener('click', () => holidays().catch(C.fail));
    $('room-rows').addEventListener('click', (e) => { const b = e.target.closest('[data-save-room]'); if (b) saveRoom(b.closest('tr')); });
    $('f-room').addEventListener('submit', addRoom);
    $('a-staff').addEventListener('change', () => loadStaffCalendar().catch(C.fail));
    $('f-avail').addEventListener('submit', saveAvailability);
    $('f-absence').addEventListener('submit', addAbsence);
    $('abs-list').addEventListener('click', async (e) => {
      const b = e.target.closest('[data-absence]'); if (!b) return;
      try { await C.api('DELETE', `/api/v1/absences/${b.dataset.absence}`); await loadAbsences(); C.flash('Afwezigheid verwijderd.'); $('ab-start').focus(); } catch (err) { C.fail(err); }
    });
    $('f-week').addEventListener('submit', week);
    $('w-prev').addEventListener('click', () => { $('w-date').value = addDays(monday($('w-date').value || today()), -7); week(); });
    $('w-next').addEventListener('click', () => { $('w-date').value = addDays(monday($('w-date').value || today()), 7); week(); });
  }

  document.addEventListener('DOMContentLoaded', () => {
    wire();
    C.start({ minRole: 'coordinator', ready });
  });
})();
