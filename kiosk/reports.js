// The reports page (/coordinator/reports): filters, key figures, server-rendered SVG charts with their tables beside
// them, and CSV downloads. Every number comes from the anonymous visit records (README "Reports").
'use strict';
(() => {
  const C = window.LoketConsole;
  const $ = (id) => document.getElementById(id);
  const esc = C.esc;
  let choices = { locations: [], agencies: [], services: [] };
  const DIMENSIONS = { topic: 'Onderwerp', layer: 'Overheidslaag', help: 'Geboden hulp' };

  const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  const number = (n) => new Intl.NumberFormat('nl-NL').format(n);
  const minutes = (s) => (s === null || s === undefined) ? '–'
    : `${new Intl.NumberFormat('nl-NL', { maximumFractionDigits: 1 }).format(s / 60)} min`;
  const percent = (x) => (x === null || x === undefined) ? '–'
    : `${new Intl.NumberFormat('nl-NL', { maximumFractionDigits: 1 }).format(x * 100)}%`;

  function options(select, items, all) {
    const keep = select.value;
    select.innerHTML = `<option value="">${esc(all)}</option>` + items.map((i) => `<option value="${esc(i.id)}">${esc(i.name)}</option>`).join('');
    if (items.some((i) => i.id === keep)) select.value = keep;
  }

  function services() {
    const agency = $('r-agency').value;
    options($('r-service'), choices.services.filter((s) => !agency || s.agencyId === agency), 'Alle diensten');
  }

  function query() {
    const q = new URLSearchParams({ from: $('r-from').value, to: $('r-to').value });
    for (const [id, name] of [['r-location', 'locationId'], ['r-agency', 'agencyId'], ['r-service', 'serviceId']]) {
      if ($(id).value) q.set(name, $(id).value);
    }
    return q.toString();
  }

  function fieldError(id, text) {
    $(id).setAttribute('aria-invalid', text ? 'true' : 'false');
    $(`${id}-err`).textContent = text || '';
  }

  function valid() {
    const from = $('r-from').value, to = $('r-to').value;
    fieldError('r-from', from ? '' : 'Kies een begindatum.');
    fieldError('r-to', !to ? 'Kies een einddatum.' : (from && to < from ? 'De einddatum ligt vóór de begindatum.' : ''));
    const ok = $('r-from').getAttribute('aria-invalid') !== 'true' && $('r-to').getAttribute('aria-invalid') !== 'true';
    if (!ok) C.flash('Controleer de periode.', true);
    return ok;
  }

  /** Puts a server-rendered SVG into the page as markup (so its <title> and <desc> reach screen readers). */
  function showChart(id, svgText) {
    const doc = new DOMParser().parseFromString(svgText, 'image/svg+xml');
    const svg = doc.documentElement;
    if (svg.nodeName !== 'svg') { $(id).textContent = 'De grafiek kon niet worden getoond; de tabel heeft dezelfde cijfers.'; return; }
    $(id).replaceChildren(document.importNode(svg, true));
  }

  function rows(tbody, html, columns) {
    $(tbody).querySelector('tbody').innerHTML = html || `<tr><td colspan="${columns}">Geen gegevens in deze periode.</td></tr>`;
  }

  function figures(t) {
    const items = [
      ['Geholpen bezoekers', number(t.served)], ['Inloop', number(t.walkIns)], ['Met afspraak', number(t.appointments)],
      ['Niet gekomen', number(t.noShows)], ['Afspraken geannuleerd', number(t.cancelled)], ['Spoed', percent(t.urgentShare)],
      ['Wachttijd mediaan (p50)', minutes(t.waitingP50Seconds)], ['Wachttijd p90', minutes(t.waitingP90Seconds)],
      ['Behandeltijd mediaan', minutes(t.serviceP50Seconds)],
    ];
    $('figures').innerHTML = items.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('');
  }

  let generation = 0;

  async function load() {
    if (!valid()) return;
    const q = query();
    const from = $('r-from').value, to = $('r-to').value;
    // Only the latest request may fill the page: an earlier one that answers later is dropped.
    const mine = ++generation;
    C.flash('Rapportage wordt geladen…');
    try {
      const [visits, visitsSvg, handovers, handoversSvg, outcomes, outcomesSvg] = await Promise.all([
        C.api('GET', `/api/v1/reports/visits?${q}`), C.api('GET', `/api/v1/reports/visits?${q}&format=svg`, undefined, { text: true }),
        C.api('GET', `/api/v1/reports/handovers?${q}`), C.api('GET', `/api/v1/reports/handovers?${q}&format=svg`, undefined, { text: true }),
        C.api('GET', `/api/v1/reports/outcomes?${q}`), C.api('GET', `/api/v1/reports/outcomes?${q}&format=svg`, undefined, { text: true }),
      ]);
      if (mine !== generation) return;
      figures(visits.data.totals);
      showChart('chart-visits', visitsSvg.data);
      rows('t-visits', visits.data.chart.rows.map((r) => `<tr><th scope="row">${esc(r.label)}</th><td class="num">${number(r.walkIns)}</td>`
        + `<td class="num">${number(r.appointments)}</td><td class="num">${number(r.noShows)}</td></tr>`).join(''), 4);
      showChart('chart-handovers', handoversSvg.data);
      rows('t-handovers', handovers.data.items.map((r) => `<tr><td>${esc(r.fromAgency)}</td><td>${esc(r.toAgency)}</td>`
        + `<td class="num">${number(r.count)}</td></tr>`).join(''), 3);
      showChart('chart-outcomes', outcomesSvg.data);
      rows('t-outcomes', outcomes.data.items.map((r) => `<tr><td>${esc(DIMENSIONS[r.dimension] || r.dimension)}</td><td>${esc(r.label)}</td>`
        + `<td class="num">${number(r.count)}</td></tr>`).join('')
        + `<tr><td>–</td><td>Geen uitkomst vastgelegd</td><td class="num">${number(outcomes.data.unrecorded)}</td></tr>`, 3);
      for (const name of ['visits', 'handovers', 'outcomes']) $(`csv-${name}`).href = `/api/v1/reports/${name}?${q}&format=csv`;
      C.flash(`Rapportage van ${from} tot en met ${to}: ${number(visits.data.totals.served)} geholpen bezoekers.`);
    } catch (e) {
      if (mine === generation) C.fail(e);
    }
  }

  async function ready() {
    const today = new Date();
    if (!$('r-from').value) $('r-from').value = iso(new Date(today.getFullYear(), today.getMonth(), 1));
    if (!$('r-to').value) $('r-to').value = iso(today);
    const { data } = await C.api('GET', '/api/v1/reports/filters');
    choices = data;
    options($('r-location'), choices.locations, 'Alle locaties');
    options($('r-agency'), choices.agencies, 'Alle organisaties');
    services();
    await load();
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('r-agency').addEventListener('change', services);
    $('f-filter').addEventListener('submit', (e) => { e.preventDefault(); load(); });
    C.start({ minRole: 'coordinator', ready });
  });
})();
