// Shared by the staff consoles (/coordinator, /coordinator/reports, /admin); loaded before the page's own script.
// One login serves every staff page: the session is an HttpOnly cookie, and the CSRF token the server derives from
// it is fetched from GET /api/v1/sessions/current, so a console opened in a new tab needs no second login.
// The page provides: #who, #logout, #flash (role=status), #v-login (this file fills it) and its own views.
'use strict';
window.LoketConsole = (() => {
  const $ = (id) => document.getElementById(id);
  const CSRF = 'loket.csrf'; // the desk page uses the same key
  const RANK = { helper: -1, staff: 0, coordinator: 1, admin: 2 };
  let me = null;
  let onReady = null;
  let minRole = 'coordinator';

  const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

  /** An answer that was not 2xx: `status` 0 means the server could not be reached; `problem` is problem+json. */
  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || (status ? `HTTP ${status}` : 'De server is niet bereikbaar.'));
      this.status = status; this.problem = problem;
    }
  }

  /** Calls the API as the logged-in person. `opts.text` returns the body as text (CSV, SVG). */
  async function api(method, path, body, opts = {}) {
    const headers = { Accept: opts.text ? '*/*' : 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const csrf = sessionStorage.getItem(CSRF);
    if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
    if (opts.headers) Object.assign(headers, opts.headers);
    let r;
    try {
      r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', cache: 'no-store' });
    } catch (e) {
      throw new ApiError(0, null);
    }
    if (opts.text && r.ok) return { status: r.status, data: await r.text() };
    const data = r.status === 204 ? null : await r.json().catch(() => null);
    if (r.status === 401 && me && path !== '/api/v1/sessions') ended();
    if (!r.ok) throw new ApiError(r.status, data);
    return { status: r.status, data };
  }

  /** Says something in the page's live region; `bad` marks an error. */
  function flash(text, bad) {
    const f = $('flash');
    if (!f) return;
    f.textContent = text || '';
    f.classList.toggle('bad', !!bad);
  }
  /** The plain message of a failed call; the fields of a 422 (`invalidParams`: name, reason) are listed. */
  function problemText(e) {
    if (!(e instanceof ApiError)) return String(e && e.message || e);
    if (e.status === 0) return 'De server is niet bereikbaar. Controleer de verbinding en probeer het opnieuw.';
    const p = e.problem || {};
    const list = Array.isArray(p.invalidParams) ? p.invalidParams : [];
    const fields = list.map((x) => `${x.name || ''}: ${x.reason || ''}`).join('; ');
    return [p.detail || p.title || e.message, fields].filter(Boolean).join(' — ');
  }
  function fail(e) { if (e && e.status === 401) return; flash(problemText(e), true); }

  function views(name) {
    for (const v of document.querySelectorAll('.view')) v.hidden = name === 'login' ? v.id !== 'v-login' : v.id === 'v-login';
    if ($('logout')) $('logout').hidden = name === 'login';
    if ($('who')) $('who').textContent = me ? `Ingelogd als ${me.displayName} (${me.role})` : '';
  }

  function loginForm() {
    const box = $('v-login');
    box.innerHTML = `<h1 id="h-login">Inloggen</h1>
<form id="f-login" class="form" novalidate>
<label for="l-user">Gebruikersnaam</label>
<input id="l-user" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required>
<label for="l-pass">Wachtwoord</label>
<input id="l-pass" name="password" type="password" autocomplete="current-password" required>
<p id="l-err" class="error" role="alert"></p>
<button type="submit" class="btn primary">Inloggen</button>
</form>`;
    box.setAttribute('aria-labelledby', 'h-login');
    $('f-login').addEventListener('submit', login);
  }

  async function login(e) {
    e.preventDefault();
    const username = $('l-user').value.trim();
    const password = $('l-pass').value;
    $('l-err').textContent = '';
    if (!username || !password) { $('l-err').textContent = 'Vul uw gebruikersnaam en wachtwoord in.'; return; }
    try {
      const { data } = await api('POST', '/api/v1/sessions', { username, password, cookie: true });
      sessionStorage.setItem(CSRF, data.csrfToken);
      $('l-pass').value = '';
      await entered(data.staff);
    } catch (err) {
      $('l-err').textContent = err.status === 401 ? 'Gebruikersnaam of wachtwoord klopt niet.'
        : err.status === 429 ? 'Te veel pogingen. Wacht even en probeer het opnieuw.' : problemText(err);
      $('l-pass').select();
    }
  }

  async function entered(staff) {
    me = staff;
    if ((RANK[me.role] ?? -2) < RANK[minRole]) {
      views('login');
      flash(`Deze pagina is voor de rol ${minRole} of hoger; u bent ingelogd als ${me.role}.`, true);
      return;
    }
    flash('');
    views('app');
    try { await onReady(me); } catch (e) { fail(e); }
  }

  function ended() {
    me = null;
    sessionStorage.removeItem(CSRF);
    views('login');
    flash('Uw sessie is verlopen. Log opnieuw in.', true);
    $('l-user') && $('l-user').focus();
  }

  async function logout() {
    try { await api('DELETE', '/api/v1/sessions/current'); } catch (e) { /* the cookie goes anyway */ }
    me = null;
    sessionStorage.removeItem(CSRF);
    views('login');
    flash('U bent uitgelogd.');
    $('l-user').focus();
  }

  /** Starts the console: the current session if there is one, else the login form. `ready(me)` builds the page. */
  async function start(options) {
    minRole = options.minRole || 'coordinator';
    onReady = options.ready;
    loginForm();
    if ($('logout')) $('logout').addEventListener('click', logout);
    try {
      const { data } = await api('GET', '/api/v1/sessions/current');
      if (data.csrfToken) sessionStorage.setItem(CSRF, data.csrfToken);
      await entered(data.staff);
    } catch (e) {
      views('login');
      if (e.status !== 401) fail(e);
    }
  }

  /** A time in the location's zone (Europe/Amsterdam unless given), e.g. "ma 30 nov 14:05". */
  function when(iso, zone, opts) {
    if (!iso) return '';
    return new Intl.DateTimeFormat('nl-NL', Object.assign({ timeZone: zone || 'Europe/Amsterdam', weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }, opts || {})).format(new Date(iso));
  }

  return { api, esc, flash, fail, problemText, start, when, ApiError, me: () => me };
})();
