// The optional outcome of a visit at the desk page's finish step (reports, README "Reports"): what the question was
// about, which government layer, what help was given — the Informatiepunt Digitale Overheid's registration. Loaded by
// staff.js after the page; adds a collapsed choice next to the desk actions and hands staff.js the chosen codes for
// the finish request (`LoketOutcome.body()`). The choice is a fixed list: nothing personal is recorded here.
'use strict';
window.LoketOutcome = (() => {
  const LABELS = { topic: 'Onderwerp', layer: 'Overheidslaag', help: 'Geboden hulp' };
  let box = null;

  async function build() {
    const actions = document.querySelector('.current .actions');
    if (!actions) return;
    let items = [];
    try {
      const r = await fetch('/api/v1/outcome-categories', { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
      if (!r.ok) return;
      items = (await r.json()).items || [];
    } catch (e) { return; }
    box = document.createElement('details');
    box.className = 'outcome';
    box.id = 'outcome';
    const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
    let html = '<summary>Uitkomst vastleggen (niet verplicht)</summary><div class="form">';
    for (const dim of Object.keys(LABELS)) {
      const own = items.filter((i) => i.dimension === dim);
      html += `<label for="o-${dim}">${LABELS[dim]}</label><select id="o-${dim}" data-dimension="${dim}"><option value="">—</option>`
        + own.map((i) => `<option value="${esc(i.code)}">${esc(i.label)}</option>`).join('') + '</select>';
    }
    box.innerHTML = html + '<p class="hint">Wordt opgeslagen bij Afronden, zonder persoonsgegevens.</p></div>';
    actions.after(box);
  }

  /** The finish request's body with the chosen categories (or undefined when none), and clears the choice. */
  function body() {
    if (!box) return undefined;
    const codes = [...box.querySelectorAll('select')].map((s) => s.value).filter(Boolean);
    for (const s of box.querySelectorAll('select')) s.value = '';
    box.open = false;
    return codes.length ? { outcomeCategories: codes } : undefined;
  }

  build();
  return { body };
})();
