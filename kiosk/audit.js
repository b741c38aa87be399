// The admin's audit page (/admin/audit): search the audit log by person, actor, object and period (newest first,
// paged by the API's cursor), log a staff member out everywhere, and set how long audit entries are kept.
'use strict';
(() => {
  const C = window.LoketConsole;
  const $ = (id) => document.getElementById(id);
  const FIELDS = ['person', 'actor', 'objectType', 'objectId', 'from', 'to'];
  let query = '';
  let next = null;
  let wired = false;

  function clearErrors(form) {
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    for (const el of form.querySelectorAll('.error')) el.textContent = '';
  }
  /** Shows a 422's field errors next to their fields (ids `<prefix>-<name>` and `<prefix>-<name>-err`). */
  function showFieldErrors(e, prefix) {
    const params = (e && e.problem && e.problem.invalidParams) || [];
    let first = null;
    for (const p of params) {
      const input = $(`${prefix}-${p.name}`);
      const err = $(`${prefix}-${p.name}-err`);
      if (!input || !err) continue;
      input.setAttribute('aria-invalid', 'true');
      err.textContent = p.reason;
      first = first || input;
    }
    if (first) first.focus();
    C.flash(params.length ? 'Controleer de gemarkeerde velden.' : C.problemText(e), true);
  }

  function row(item) {
    const tr = document.createElement('tr');
    const actor = item.actor || {};
    const detail = item.detail && Object.keys(item.detail).length ? JSON.stringify(item.detail) : '';
    tr.innerHTML = `<td>${C.esc(C.when(item.at, null, { year: 'numeric', second: '2-digit' }))}</td>`
      + `<td>${C.esc(actor.displayName || '')} <span class="muted">${C.esc(actor.username || '')}</span></td>`
      + `<td>${C.esc(item.action)}</td>`
      + `<td>${C.esc(item.objectType)}${item.objectId ? `<br><span class="muted">${C.esc(item.objectId)}</span>` : ''}</td>`
      + `<td><code>${C.esc(detail)}</code></td>`;
    return tr;
  }

  async function load(more) {
    const path = '/api/v1/audit?' + query + (more && next ? `&cursor=${encodeURIComponent(next)}` : '');
    const { data } = await C.api('GET', path);
    const body = $('b-results');
    if (!more) body.textContent = '';
    for (const item of data.items) body.appendChild(row(item));
    next = data.next;
    $('b-more').hidden = !next;
    const n = body.children.length;
    $('c-results').textContent = n === 0 ? 'Niets gevonden' : `${n} ${n === 1 ? 'regel' : 'regels'}${next ? ' (er zijn er meer)' : ''}, nieuwste eerst`;
  }

  async function search(e) {
    e.preventDefault();
    const form = $('f-search');
    clearErrors(form);
    const params = new URLSearchParams();
    for (const name of FIELDS) {
      const value = $(`s-${name}`).value.trim();
      if (value) params.set(name, value);
    }
    query = params.toString();
    try {
      await load(false);
      C.flash('');
    } catch (err) { showFieldErrors(err, 's'); }
  }

  async function revoke(e) {
    e.preventDefault();
    const form = $('f-revoke');
    clearErrors(form);
    const id = $('r-staff').value.trim();
    if (!id) {
      $('r-staff').setAttribute('aria-invalid', 'true');
      $('r-staff-err').textContent = 'Vul het id van de medewerker in.';
      $('r-staff').focus();
      return;
    }
    if (!window.confirm('Alle sessies van deze medewerker beëindigen?')) return;
    try {
      const { data } = await C.api('DELETE', `/api/v1/staff/${encodeURIComponent(id)}/sessions`);
      C.flash(`${data.revoked} ${data.revoked === 1 ? 'sessie' : 'sessies'} beëindigd.`);
      $('r-staff').value = '';
    } catch (err) {
      if (err.status === 404) {
        $('r-staff').setAttribute('aria-invalid', 'true');
        $('r-staff-err').textContent = 'Er is geen medewerker met dit id.';
        C.flash('Er is geen medewerker met dit id.', true);
      } else { C.fail(err); }
    }
  }

  async function saveRetention(e) {
    e.preventDefault();
    clearErrors($('f-retention'));
    const days = Number($('k-days').value);
    try {
      const { data } = await C.api('PUT', '/api/v1/audit/retention', { days: Number.isInteger(days) ? days : null });
      $('k-days').value = data.days;
      C.flash(`Audit wordt ${data.days} dagen bewaard.`);
    } catch (err) { showFieldErrors(err, 'k'); }
  }

  C.start({
    minRole: 'admin',
    ready: async () => {
      if (wired) return; // after a new login the page is already set up
      wired = true;
      $('f-search').addEventListener('submit', search);
      $('b-more').addEventListener('click', () => load(true).catch(C.fail));
      $('f-revoke').addEventListener('submit', revoke);
      $('f-retention').addEventListener('submit', saveRetention);
      const { data } = await C.api('GET', '/api/v1/audit/retention');
      $('k-days').value = data.days;
    },
  });
})();
