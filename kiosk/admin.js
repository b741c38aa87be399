// Loket administration page (/admin): agencies, locations, desks, services, staff, kiosks and call displays.
// Every change goes through the administration API (admin role), which audits it; validation problems
// (problem+json `invalidParams`) are shown next to their fields. Each tab is a list, and one form that adds a new
// item or changes the one chosen with "Wijzigen". Secrets (a new password, a kiosk's device token) are shown once.
'use strict';
(() => {
  const C = window.LoketConsole;
  const { api, esc, flash } = C;
  const $ = (id) => document.getElementById(id);
  const PLACE = 'loket.admin.location'; // the location chosen on the desks and kiosks tabs
  const LANGS = [['en', 'Engels'], ['ar', 'Arabisch'], ['tr', 'Turks'], ['pl', 'Pools'], ['uk', 'Oekraïens']];
  const ROLES = [['staff', 'Medewerker'], ['coordinator', 'Coördinator'], ['admin', 'Beheerder'], ['helper', 'Helper (namens burgers)']];
  const QUESTIONS = [['money', 'Geld'], ['documents', 'Documenten'], ['taxes', 'Belastingen'], ['study', 'Studie'], ['work', 'Werk'],
    ['housing', 'Wonen'], ['care', 'Zorg'], ['other', 'Overig']];
  const label = (pairs, v) => (pairs.find((p) => p[0] === v) || [v, v])[1];

  // Reference lists every tab may need (read again when a tab opens, so names stay current).
  let agencies = [], locations = [], services = [];
  let tab = null;      // the section shown
  let items = [];      // its items
  let editing = null;  // the item in the form, or null for a new one
  let secret = null;   // {title, lines: [[label, value]], hint} shown once after a change
  let confirming = null; // id of a kiosk whose revocation waits for "Ja"

  const name = (list, id) => (list.find((x) => x.id === id) || {}).name || '—';
  const status = (x) => (x.active ? 'Actief' : 'Gedeactiveerd');
  const place = () => {
    const saved = localStorage.getItem(PLACE);
    const active = locations.filter((l) => l.active);
    return (active.find((l) => l.id === saved) || active[0] || {}).id || '';
  };

  // ---- the sections ------------------------------------------------------------------------------------------
  const SECTIONS = {
    agencies: {
      title: 'Organisaties', one: 'organisatie', hash: 'organisaties',
      load: async () => agencies,
      columns: [['Naam', (a) => esc(a.name)], ['Code', (a) => esc(a.code)],
        ['Standaardletter', (a) => esc(a.ticketPrefix || '—')], ['Bewaartermijn', (a) => esc(`${a.appointmentRetentionDays ?? 30} dagen`)],
        ['Status', (a) => status(a)]],
      fields: () => [
        { name: 'code', label: 'Code', createOnly: true, hint: 'Kleine letters, cijfers of streepjes, bijvoorbeeld "uwv". Later niet te wijzigen.' },
        { name: 'name', label: 'Naam' },
        { name: 'ticketPrefix', label: 'Standaardletter voor nummers', maxlength: 1, hint: 'Eén hoofdletter A–Z. Diensten zonder eigen letter gebruiken deze.' },
        { name: 'appointmentRetentionDays', label: 'Bewaartermijn afspraken (dagen)', type: 'number', min: 1, max: 3650, editOnly: true,
          hint: 'Zoveel dagen na een afspraak worden de persoonsgegevens gewist (standaard 30). De statistiek blijft.' },
      ],
      create: (b) => api('POST', '/api/v1/agencies', b),
      update: (a, b) => api('PATCH', `/api/v1/agencies/${a.id}`, b),
      deactivate: (a) => api('DELETE', `/api/v1/agencies/${a.id}`),
      activate: (a) => api('PATCH', `/api/v1/agencies/${a.id}`, { active: true }),
    },
    locations: {
      title: 'Locaties', one: 'locatie', hash: 'locaties',
      load: async () => locations,
      columns: [['Naam', (l) => esc(l.name)], ['Code', (l) => esc(l.code)], ['Tijdzone', (l) => esc(l.timeZone)], ['Status', (l) => status(l)]],
      fields: (l) => [
        { name: 'code', label: 'Code', createOnly: true, hint: 'Kleine letters, cijfers of streepjes; komt in de adressen van kiosk en scherm. Later niet te wijzigen.' },
        { name: 'name', label: 'Naam' },
        { name: 'timeZone', label: 'Tijdzone', value: l ? l.timeZone : 'Europe/Amsterdam', hint: 'Bijvoorbeeld Europe/Amsterdam.' },
      ],
      create: (b) => api('POST', '/api/v1/locations', b),
      update: (l, b) => api('PATCH', `/api/v1/locations/${l.id}`, b),
      deactivate: (l) => api('DELETE', `/api/v1/locations/${l.id}`),
      activate: (l) => api('PATCH', `/api/v1/locations/${l.id}`, { active: true }),
    },
    desks: {
      title: 'Balies', one: 'balie', hash: 'balies', perLocation: true,
      load: async () => (place() ? (await api('GET', `/api/v1/locations/${place()}/desks?includeInactive=true`)).data.items : []),
      columns: [['Naam', (d) => esc(d.name)], ['Status', (d) => status(d)]],
      fields: () => [{ name: 'name', label: 'Naam van de balie', hint: 'Zoals het scherm hem noemt, bijvoorbeeld "Balie 4".' }],
      create: (b) => api('POST', `/api/v1/locations/${place()}/desks`, b),
      update: (d, b) => api('PATCH', `/api/v1/desks/${d.id}`, b),
      deactivate: (d) => api('DELETE', `/api/v1/desks/${d.id}`),
      activate: (d) => api('PATCH', `/api/v1/desks/${d.id}`, { active: true }),
    },
    services: {
      title: 'Diensten', one: 'dienst', hash: 'diensten',
      load: async () => services,
      columns: [['Naam', (s) => esc(s.name)], ['Organisatie', (s) => esc(name(agencies, s.agencyId))],
        ['Letter', (s) => `${esc(s.ticketPrefix)} <span class="muted">(${s.ownTicketPrefix ? 'eigen' : 'van organisatie'})</span>`],
        ['Urgent', (s) => (s.urgent ? '<span class="badge urgent">Urgent</span>' : 'Nee')],
        ['Gevoelig', (s) => (s.sensitive ? 'Ja' : 'Nee')],
        ['Locaties', (s) => esc((s.locationIds || []).map((id) => name(locations, id)).join(', ') || '—')],
        ['Vertaald', (s) => esc(Object.keys(s.translations || {}).sort().join(', ') || '—')],
        ['Status', (s) => status(s)]],
      fields: (s) => [
        { name: 'agencyId', label: 'Organisatie', type: 'select', createOnly: true,
          options: () => agencies.filter((a) => a.active).map((a) => [a.id, a.name]) },
        { name: 'code', label: 'Code', createOnly: true, hint: 'Kleine letters, cijfers of streepjes. Later niet te wijzigen.' },
        { name: 'name', label: 'Naam (Nederlands)' },
        { name: 'translations', label: 'Naam in andere talen', type: 'translations', hint: 'Leeg: de kiosk toont de Nederlandse naam.' },
        { name: 'ticketPrefix', label: 'Eigen letter voor nummers', maxlength: 1, value: s && s.ownTicketPrefix,
          hint: 'Eén hoofdletter A–Z. Leeg: de letter van de organisatie.' },
        { name: 'durationMinutes', label: 'Duur in minuten', type: 'number', min: 1, max: 480, value: s ? s.durationMinutes : 10 },
        { name: 'lifeQuestion', label: 'Levensvraag op de kiosk', type: 'select', options: () => QUESTIONS, value: s ? s.lifeQuestion : 'other' },
        { name: 'urgent', label: 'Urgent: nummers gaan voor alle andere', type: 'checkbox' },
        { name: 'sensitive', label: 'Gevoelig: deelt zijn letter met een gewone dienst', type: 'checkbox' },
        { name: 'locationIds', label: 'Locaties', type: 'checks', options: () => locations.filter((l) => l.active).map((l) => [l.id, l.name]) },
      ],
      body: (b, s) => {
        // Emptying the letter of a service that had its own makes it follow its agency's letter again.
        if (s && !b.ticketPrefix && s.ownTicketPrefix) b.useAgencyPrefix = true;
        return b;
      },
      create: (b) => api('POST', '/api/v1/services', b),
      update: (s, b) => api('PATCH', `/api/v1/services/${s.id}`, b),
      deactivate: (s) => api('DELETE', `/api/v1/services/${s.id}`),
      activate: (s) => api('PATCH', `/api/v1/services/${s.id}`, { active: true }),
    },
    staff: {
      title: 'Medewerkers', one: 'medewerker', hash: 'medewerkers',
      load: async () => (await api('GET', '/api/v1/staff?includeInactive=true')).data.items,
      columns: [['Naam', (m) => esc(m.displayName)], ['Gebruikersnaam', (m) => esc(m.username)],
        ['Organisatie', (m) => esc(name(agencies, m.agencyId))], ['Rol', (m) => esc(label(ROLES, m.role))],
        ['Diensten', (m) => esc((m.serviceIds || []).map((id) => name(services, id)).join(', ') || '—')],
        ['Werkgebied', (m) => esc(m.role !== 'coordinator' || !m.scope ? '—' : [m.scope.allLocations ? 'alle locaties' : m.scope.locationIds.map((id) => name(locations, id)).join(', ') || 'geen locatie',
          m.scope.ownAgencyOnly ? 'eigen organisatie' : ''].filter(Boolean).join('; '))], ['Status', (m) => status(m)]],
      fields: (m) => [
        { name: 'agencyId', label: 'Organisatie', type: 'select', createOnly: true,
          options: () => agencies.filter((a) => a.active).map((a) => [a.id, a.name]) },
        { name: 'username', label: 'Gebruikersnaam', createOnly: true, autocomplete: 'off',
          hint: '2–64 kleine letters, cijfers, punten of streepjes. Later niet te wijzigen.' },
        { name: 'displayName', label: 'Naam' },
        { name: 'role', label: 'Rol', type: 'select', options: () => ROLES, value: m ? m.role : 'staff' },
        { name: 'serviceIds', label: 'Diensten', type: 'checks', options: () => staffServices(m) },
        // A coordinator's scope: some locations (none ticked: all) and/or their own agency only.
        { name: 'scopeLocationIds', label: 'Werkgebied van een coördinator: locaties', type: 'checks',
          options: () => locations.filter((l) => l.active).map((l) => [l.id, l.name]),
          value: m && m.scope && !m.scope.allLocations ? m.scope.locationIds : [],
          hint: 'Alleen voor de rol coördinator. Niets aangevinkt: alle locaties.' },
        { name: 'scopeOwnAgencyOnly', label: 'Coördinator alleen voor de eigen organisatie', type: 'checkbox',
          value: !!(m && m.scope && m.scope.ownAgencyOnly) },
        { name: 'password', label: m ? 'Nieuw wachtwoord' : 'Wachtwoord', type: 'password',
          hint: m ? 'Leeg laten om het wachtwoord te houden. Een nieuw wachtwoord logt de medewerker overal uit.'
            : 'Minstens 10 tekens. Typ er een of laat Loket er een maken.' },
      ],
      body: (b, m) => {
        const ids = b.scopeLocationIds || [], own = !!b.scopeOwnAgencyOnly;
        delete b.scopeLocationIds; delete b.scopeOwnAgencyOnly;
        if ((b.role || (m && m.role)) === 'coordinator') b.scope = ids.length ? { locationIds: ids, ownAgencyOnly: own } : { allLocations: true, ownAgencyOnly: own };
        return b;
      },
      // The scope is set on the account once it exists (the API takes it on a change).
      create: async (b) => {
        const scope = b.scope;
        delete b.scope;
        const created = await api('POST', '/api/v1/staff', b);
        return scope ? api('PATCH', `/api/v1/staff/${created.data.id}`, { scope }) : created;
      },
      update: (m, b) => api('PATCH', `/api/v1/staff/${m.id}`, b),
      deactivate: (m) => api('DELETE', `/api/v1/staff/${m.id}`),
      activate: (m) => api('PATCH', `/api/v1/staff/${m.id}`, { active: true }),
      after: (m, b) => {
        if (b.password) {
          secret = { title: `Wachtwoord van ${m.displayName} (${m.username})`, lines: [['Wachtwoord', b.password]],
            hint: 'Geef het wachtwoord persoonlijk door. Loket bewaart het niet leesbaar en toont het niet opnieuw.' };
        }
      },
    },
    kiosks: {
      title: 'Kiosken', one: 'kiosk', hash: 'kiosken', perLocation: true, noEdit: true,
      load: async () => (place() ? (await api('GET', `/api/v1/locations/${place()}/kiosks?includeInactive=true`)).data.items : []),
      columns: [['Naam', (k) => esc(k.name)], ['Geregistreerd', (k) => esc(C.when(k.createdAt))],
        ['Status', (k) => (k.active ? 'Actief' : 'Ingetrokken')]],
      fields: () => [{ name: 'name', label: 'Naam van de kiosk', hint: 'Waar hij staat, bijvoorbeeld "Hal links".' }],
      createLabel: 'Kiosk registreren',
      create: (b) => api('POST', `/api/v1/locations/${place()}/kiosks`, b),
      after: (k) => {
        if (k.deviceToken) {
          secret = { title: `Kiosk "${k.name}" is geregistreerd`,
            lines: [['Kioskadres', location.origin + k.kioskPath], ['Apparaatsleutel', k.deviceToken]],
            hint: 'Kopieer het kioskadres nu en open het op de kiosk. Loket bewaart alleen een vingerafdruk van de sleutel en kan hem niet opnieuw tonen.' };
        }
      },
    },
    displays: { title: 'Schermen', hash: 'schermen', load: async () => locations.filter((l) => l.active) },
  };
  const byHash = (h) => Object.keys(SECTIONS).find((k) => SECTIONS[k].hash === h);

  function staffServices(m) {
    const agency = m ? m.agencyId : ($('f-agencyId') ? $('f-agencyId').value : '');
    return services.filter((s) => s.agencyId === agency && (s.active || (m && m.serviceIds.includes(s.id)))).map((s) => [s.id, s.name]);
  }

  // ---- loading and rendering ----------------------------------------------------------------------------------
  async function refs() {
    const [a, l, s] = await Promise.all([api('GET', '/api/v1/agencies?includeInactive=true'), api('GET', '/api/v1/locations?includeInactive=true'),
      api('GET', '/api/v1/services?includeInactive=true')]);
    agencies = a.data.items; locations = l.data.items; services = s.data.items;
  }

  async function open(key, keepSecret) {
    tab = key;
    editing = null; confirming = null;
    if (!keepSecret) secret = null;
    for (const a of document.querySelectorAll('#tabs a')) {
      if (a.dataset.tab === key) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    await refs();
    items = await SECTIONS[key].load();
    render();
  }

  function render() {
    const sec = SECTIONS[tab];
    document.title = `${sec.title} · Beheer · Loket`;
    let html = `<h2 id="h-sec">${esc(sec.title)}</h2>`;
    if (sec.perLocation) {
      const here = place();
      html += `<div class="row"><div class="field"><label for="loc">Locatie</label><select id="loc">${locations.filter((l) => l.active)
        .map((l) => `<option value="${esc(l.id)}"${l.id === here ? ' selected' : ''}>${esc(l.name)}</option>`).join('')}</select></div></div>`;
    }
    if (secret) {
      html += `<div class="secret" id="secret" role="alert"><h3>${esc(secret.title)}</h3>${secret.lines.map(([k, v], i) =>
        `<p>${esc(k)}: <code id="secret-${i}">${esc(v)}</code> <button type="button" class="btn" data-copy="secret-${i}">Kopieer ${esc(k.toLowerCase())}</button></p>`).join('')}
<p class="hint">${esc(secret.hint)}</p><p><button type="button" class="btn" id="secret-done">Ik heb het genoteerd</button></p></div>`;
    }
    html += tab === 'displays' ? displays() : form(sec) + table(sec);
    $('panel').innerHTML = html;
    if ($('loc')) $('loc').addEventListener('change', () => { localStorage.setItem(PLACE, $('loc').value); open(tab).catch(C.fail); });
    if ($('f-agencyId') && tab === 'staff' && !editing) $('f-agencyId').addEventListener('change', redrawServices);
    if ($('f-edit')) $('f-edit').addEventListener('submit', save);
  }

  function table(sec) {
    if (!items.length) return `<p class="muted" id="empty">Nog geen ${esc(sec.title.toLowerCase())}.</p>`;
    const head = sec.columns.map(([h]) => `<th scope="col">${esc(h)}</th>`).join('') + '<th scope="col">Acties</th>';
    const rows = items.map((x) => {
      const title = x.name || x.displayName;
      let acts = '';
      if (!sec.noEdit && x.active) acts += `<button type="button" class="btn" data-act="edit" data-id="${esc(x.id)}" aria-label="Wijzig ${esc(title)}">Wijzigen</button>`;
      if (tab === 'kiosks') {
        if (x.active && confirming === x.id) {
          acts += `<span id="confirm-${esc(x.id)}">Zeker weten? De kiosk werkt dan niet meer als kiosk. </span>`
            + `<button type="button" class="btn danger" data-act="revoke" data-id="${esc(x.id)}" aria-describedby="confirm-${esc(x.id)}">Ja, intrekken</button>`
            + `<button type="button" class="btn" data-act="keep" data-id="${esc(x.id)}">Nee</button>`;
        } else if (x.active) {
          acts += `<button type="button" class="btn danger" data-act="ask" data-id="${esc(x.id)}" aria-label="Trek ${esc(title)} in">Intrekken</button>`;
        }
      } else if (x.active) {
        acts += `<button type="button" class="btn danger" data-act="deactivate" data-id="${esc(x.id)}" aria-label="Deactiveer ${esc(title)}">Deactiveren</button>`;
      } else {
        acts += `<button type="button" class="btn" data-act="activate" data-id="${esc(x.id)}" aria-label="Activeer ${esc(title)}">Activeren</button>`;
      }
      return `<tr data-id="${esc(x.id)}"${x.active ? '' : ' class="inactive"'}>${sec.columns.map(([, f]) => `<td>${f(x)}</td>`).join('')}<td><div class="actions">${acts}</div></td></tr>`;
    }).join('');
    const caption = sec.perLocation ? `<caption>${esc(sec.title)} van ${esc(name(locations, place()))}</caption>` : '';
    return `<div class="scroll"><table id="list"${caption ? '' : ' aria-labelledby="h-sec"'}>${caption}<thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></div>`;
  }

  function form(sec) {
    if (!sec.fields) return '';
    if (sec.perLocation && !place()) return '<p>Maak eerst een locatie aan.</p>';
    const title = editing ? `${sec.one[0].toUpperCase()}${sec.one.slice(1)} wijzigen: ${editing.name || editing.displayName}` : (sec.createLabel || `Nieuwe ${sec.one}`);
    const fields = sec.fields(editing).filter((f) => (editing ? !f.createOnly : !f.editOnly));
    return `<form id="f-edit" class="card form" novalidate aria-labelledby="h-form"><h3 id="h-form">${esc(title)}</h3>
<div class="row">${fields.map((f) => field(f, editing ? (f.value !== undefined ? f.value : editing[f.name]) : f.value)).join('')}</div>
<p id="f-err" class="error" role="alert"></p>
<div class="row"><button type="submit" class="btn primary" id="f-save">${editing ? 'Opslaan' : esc(sec.createLabel || 'Toevoegen')}</button>
${editing ? '<button type="button" class="btn" id="f-cancel" data-act="cancel">Annuleren</button>' : ''}</div></form>`;
  }

  function field(f, value) {
    const id = `f-${f.name}`, err = `${id}-err`, hint = f.hint ? `${id}-hint` : '';
    const described = `aria-describedby="${[hint, err].filter(Boolean).join(' ')}"`;
    const hintP = f.hint ? `<p id="${hint}" class="hint">${esc(f.hint)}</p>` : '';
    const errP = `<p id="${err}" class="error"></p>`;
    switch (f.type) {
      case 'checkbox':
        return `<div class="field check" data-field="${f.name}"><input type="checkbox" id="${id}"${value ? ' checked' : ''} ${described}><label for="${id}">${esc(f.label)}</label>${errP}</div>`;
      case 'select':
        return `<div class="field" data-field="${f.name}"><label for="${id}">${esc(f.label)}</label><select id="${id}" ${described}>`
          + `${value ? '' : '<option value="">— kies —</option>'}${f.options().map(([v, t]) => `<option value="${esc(v)}"${v === value ? ' selected' : ''}>${esc(t)}</option>`).join('')}</select>${hintP}${errP}</div>`;
      case 'checks': {
        const chosen = new Set(value || []);
        const opts = f.options();
        return `<fieldset class="field wide" data-field="${f.name}" id="${id}" ${described}><legend>${esc(f.label)}</legend>`
          + `<div class="checks">${opts.length ? opts.map(([v, t], i) => `<label for="${id}-${i}"><input type="checkbox" id="${id}-${i}" name="${f.name}" value="${esc(v)}"${chosen.has(v) ? ' checked' : ''}>${esc(t)}</label>`).join('')
            : '<p class="muted">Geen keuze (kies eerst een organisatie).</p>'}</div>${hintP}${errP}</fieldset>`;
      }
      case 'translations': {
        const t = value || {};
        return `<fieldset class="field wide" data-field="${f.name}" ${described}><legend>${esc(f.label)}</legend><div class="row">`
          + LANGS.map(([code, lang]) => `<div class="field"><label for="${id}-${code}">${esc(lang)}</label><input id="${id}-${code}" lang="${code}" dir="${code === 'ar' ? 'rtl' : 'ltr'}" maxlength="200" value="${esc(t[code] || '')}"></div>`).join('')
          + `</div>${hintP}${errP}</fieldset>`;
      }
      case 'password':
        return `<div class="field" data-field="${f.name}"><label for="${id}">${esc(f.label)}</label><input id="${id}" type="text" autocomplete="new-password" spellcheck="false" ${described}>`
          + `<button type="button" class="btn" id="f-generate" data-act="generate">Maak een wachtwoord</button>${hintP}${errP}</div>`;
      default:
        return `<div class="field" data-field="${f.name}"><label for="${id}">${esc(f.label)}</label><input id="${id}" type="${f.type === 'number' ? 'number' : 'text'}"`
          + `${f.min !== undefined ? ` min="${f.min}" max="${f.max}"` : ''}${f.maxlength ? ` maxlength="${f.maxlength}"` : ''} autocomplete="${f.autocomplete || 'off'}" spellcheck="false"`
          + ` value="${esc(value ?? '')}" ${described}>${hintP}${errP}</div>`;
    }
  }

  function redrawServices() {
    const f = SECTIONS.staff.fields(null).find((x) => x.name === 'serviceIds');
    const box = document.querySelector('[data-field="serviceIds"]');
    const tmp = document.createElement('div');
    tmp.innerHTML = field(f, []);
    box.replaceWith(tmp.firstElementChild);
  }

  function displays() {
    if (!items.length) return '<p class="muted">Nog geen locaties.</p>';
    const rows = items.map((l) => {
      const d = `${location.origin}/display/${encodeURIComponent(l.code)}`, k = `${location.origin}/kiosk/${encodeURIComponent(l.code)}`;
      return `<tr><td>${esc(l.name)}</td><td><a href="${esc(d)}">${esc(d)}</a></td><td><a href="${esc(k)}">${esc(k)}</a></td></tr>`;
    }).join('');
    return `<p>Oproepschermen hoeven niet geregistreerd te worden: open het schermadres van de locatie op het scherm (volledig scherm).
Het scherm toont alleen nummers en balies. Een kiosk zonder registratie werkt ook, maar telt mee in de limiet per adres; registreer hem onder Kiosken.</p>
<div class="scroll"><table id="list"><caption>Adressen per locatie</caption><thead><tr><th scope="col">Locatie</th><th scope="col">Oproepscherm</th><th scope="col">Kiosk (zonder registratie)</th></tr></thead><tbody>${rows}</tbody></table></div>`;
  }

  // ---- reading the form and showing problems -------------------------------------------------------------------
  function values(sec) {
    const b = {};
    for (const f of sec.fields(editing)) {
      if (editing ? f.createOnly : f.editOnly) continue;
      const el = $(`f-${f.name}`);
      if (f.type === 'checkbox') b[f.name] = el.checked;
      else if (f.type === 'checks') b[f.name] = [...document.querySelectorAll(`input[name="${f.name}"]:checked`)].map((x) => x.value);
      else if (f.type === 'translations') {
        const t = {};
        for (const [code] of LANGS) { const v = $(`f-${f.name}-${code}`).value.trim(); if (v) t[code] = v; }
        b[f.name] = t;
      } else if (f.type === 'number') { if (el.value !== '') b[f.name] = Number(el.value); }
      else if (f.type === 'password') { if (el.value) b[f.name] = el.value; }
      else { const v = el.value.trim(); if (v) b[f.name] = v; }
    }
    return sec.body ? sec.body(b, editing) : b;
  }

  // Server reasons are English; the frequent ones in plain Dutch, anything else as it came.
  const REASONS = [
    [/^is required$/, () => 'Vul dit in.'], [/^must not be empty$/, () => 'Vul dit in.'],
    [/^must be at most (\d+) characters$/, (m) => `Hoogstens ${m[1]} tekens.`],
    [/^must be at least (\d+) characters$/, (m) => `Minstens ${m[1]} tekens.`],
    [/^must be 1–(\d+) lowercase letters, digits or dashes/, (m) => `1 tot ${m[1]} kleine letters, cijfers of streepjes, beginnend met een letter of cijfer.`],
    [/^must be one capital letter A–Z$/, () => 'Eén hoofdletter A–Z.'],
    [/^must be between (\d+) and (\d+)$/, (m) => `Een getal van ${m[1]} tot en met ${m[2]}.`],
    [/^is not a valid id$/, () => 'Maak een keuze.'],
    [/^must be helper, staff, coordinator or admin$/, () => 'Kies een rol.'],
    [/^must be 2–64 lowercase letters/, () => '2 tot 64 kleine letters, cijfers, punten, streepjes of liggende streepjes.'],
    [/^must be existing services of the staff member's agency$/, () => 'Alleen diensten van de eigen organisatie.'],
    [/^a helper serves no services$/, () => 'Een helper heeft geen diensten.'],
    [/^must be shared with a non-sensitive service/, () => 'Een gevoelige dienst moet op elke locatie zijn letter delen met een gewone dienst.'],
    [/^must be an IANA time zone/, () => 'Een tijdzone zoals Europe/Amsterdam.'],
    [/^cannot be changed/, () => 'Kan niet gewijzigd worden.'],
    [/^is already in use$/, () => 'Is al in gebruik; kies een andere.'],
  ];
  const reason = (r) => { for (const [re, f] of REASONS) { const m = re.exec(r || ''); if (m) return f(m); } return r; };

  function clearProblems() {
    for (const e of document.querySelectorAll('#f-edit .error')) e.textContent = '';
    for (const e of document.querySelectorAll('#f-edit [aria-invalid]')) e.removeAttribute('aria-invalid');
  }

  function showProblem(e) {
    const p = (e && e.problem) || {};
    let params = Array.isArray(p.invalidParams) ? p.invalidParams.slice() : [];
    // A taken username is a conflict (409) without field list; it still belongs next to its field.
    if (!params.length && e.status === 409 && /username/i.test(p.detail || '')) params = [{ name: 'username', reason: 'Deze gebruikersnaam bestaat al.' }];
    let first = null;
    const loose = [];
    for (const x of params) {
      const box = document.querySelector(`#f-edit [data-field="${x.name}"]`);
      if (!box) { loose.push(`${x.name}: ${reason(x.reason)}`); continue; }
      box.querySelector('.error').textContent = reason(x.reason);
      const input = box.matches('fieldset') ? box.querySelector('input') : box.querySelector('input, select');
      if (input && !box.matches('fieldset')) input.setAttribute('aria-invalid', 'true');
      first = first || input;
    }
    const summary = params.length && !loose.length ? 'Niet opgeslagen: controleer de gemarkeerde velden.'
      : `Niet opgeslagen: ${[loose.join('; '), params.length ? '' : C.problemText(e)].filter(Boolean).join(' ')}`;
    $('f-err').textContent = summary;
    flash(summary, true);
    if (first) first.focus();
  }

  async function save(ev) {
    ev.preventDefault();
    const sec = SECTIONS[tab];
    clearProblems();
    const body = values(sec);
    const button = $('f-save');
    button.disabled = true;
    try {
      const { data } = editing ? await sec.update(editing, body) : await sec.create(body);
      const what = data.name || data.displayName || sec.one;
      secret = null;
      if (sec.after) sec.after(data, body);
      const done = editing ? `${what} is gewijzigd.` : `${what} is toegevoegd.`;
      await open(tab, true);
      flash(done);
      const next = $('secret') ? $('secret').querySelector('button') : $('f-edit') && $('f-edit').querySelector('input, select');
      if (next) next.focus();
    } catch (e) {
      if (e.status === 401) return;
      showProblem(e);
    } finally {
      if ($('f-save')) $('f-save').disabled = false;
    }
  }

  function generatePassword() {
    // 16 characters from an alphabet without look-alikes (0/O, 1/l/I): about 90 bits, easy to read out.
    const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
  }

  async function act(button) {
    const sec = SECTIONS[tab];
    const x = items.find((i) => i.id === button.dataset.id);
    const what = x && (x.name || x.displayName);
    switch (button.dataset.act) {
      case 'edit':
        editing = x; secret = null; render();
        $('f-edit').querySelector('input, select').focus();
        return;
      case 'cancel':
        editing = null; render(); $('f-edit').querySelector('input, select').focus();
        return;
      case 'generate':
        $('f-password').value = generatePassword();
        $('f-password').focus(); $('f-password').select();
        flash('Er is een wachtwoord gemaakt. Het wordt ingesteld als u opslaat.');
        return;
      case 'ask':
        confirming = x.id; render(); document.querySelector(`[data-act="revoke"][data-id="${x.id}"]`).focus();
        return;
      case 'keep':
        confirming = null; render(); document.querySelector(`[data-act="ask"][data-id="${x.id}"]`).focus();
        return;
      case 'revoke':
        await api('DELETE', `/api/v1/kiosks/${x.id}`);
        await open(tab);
        flash(`Kiosk ${what} is ingetrokken; zijn sleutel werkt niet meer.`);
        $('h-sec').setAttribute('tabindex', '-1'); $('h-sec').focus();
        return;
      case 'deactivate':
        await sec.deactivate(x);
        await open(tab);
        flash(`${what} is gedeactiveerd.${tab === 'staff' ? ' De medewerker is overal uitgelogd.' : ''}`);
        focusRow(x.id, 'activate');
        return;
      case 'activate':
        await sec.activate(x);
        await open(tab);
        flash(`${what} is weer actief.`);
        focusRow(x.id, 'deactivate');
        return;
      default:
    }
  }

  function focusRow(id, act) {
    const b = document.querySelector(`[data-act="${act}"][data-id="${id}"]`);
    if (b) b.focus();
  }

  async function copy(button) {
    const text = $(button.dataset.copy).textContent;
    try {
      await navigator.clipboard.writeText(text);
      flash('Gekopieerd.');
    } catch (e) {
      // No clipboard (e.g. not over HTTPS): select the text so Ctrl+C copies it.
      const range = document.createRange();
      range.selectNodeContents($(button.dataset.copy));
      const sel = getSelection(); sel.removeAllRanges(); sel.addRange(range);
      flash('Kopiëren lukte niet automatisch: de tekst is geselecteerd, druk op Ctrl+C.');
    }
  }

  function route() {
    const key = byHash(location.hash.slice(1)) || 'agencies';
    open(key).catch(C.fail);
  }

  $('panel').addEventListener('click', (e) => {
    const b = e.target.closest('button');
    if (!b) return;
    if (b.dataset.copy) { copy(b); return; }
    if (b.id === 'secret-done') { secret = null; render(); $('h-sec').setAttribute('tabindex', '-1'); $('h-sec').focus(); return; }
    if (b.dataset.act) act(b).catch((err) => { flash(C.problemText(err), true); });
  });
  window.addEventListener('hashchange', () => { if (C.me()) route(); });

  C.start({ minRole: 'admin', ready: async () => route() });
})();
