// Loket kiosk, "I have an appointment": loaded by kiosk.js on the first tap of that button, with its stylesheet and
// the texts of the chosen language (/assets/i18n/xx.json), so the kiosk's first load stays within its budget.
// The reference is typed on large keys (the references' alphabet: no 0/O, 1/I/L), or a USB scanner reads the QR
// code of the confirmation and types it (or a URL ending in it) as fast keystrokes followed by Enter into the
// field, which keeps the focus. The server reads both. A second check-in gives the same ticket.
// The same screen takes a contact code ("I have a contact code", same alphabet and length): a number offered first
// to the visitor's contact person (POST …/contact-tickets), so that entry costs the first load nothing either.
// Its ticket, shown and printed, repeats the contact code (the code only: never the contact person's name), so the
// visitor keeps it for the next visit.
'use strict';
(() => {
  const K = window.loketKiosk;
  const $ = (id) => document.getElementById(id);
  const KEYS = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
  const device = new URLSearchParams(location.search).get('device');
  let T = {}; // the check-in texts of `tLang`
  let tLang = '';
  let key = null; // Idempotency-Key of the check-in being sent: reused when it is retried after a network error
  let busy = false;
  let contact = false; // the screen takes a contact code instead of an appointment's reference

  const rtl = () => document.documentElement.dir === 'rtl';
  const t = (k, vars) => (T[k] || '').replace(/\{(\w+)\}/g, (_, v) => (rtl() ? '\u2068' + vars[v] + '\u2069' : vars[v]));

  const css = document.createElement('link');
  css.rel = 'stylesheet';
  css.href = '/assets/checkin.css';
  document.head.appendChild(css);

  // The screen, next to the kiosk's own. The field's direction stays ltr (a code), its label follows the language.
  const sec = document.createElement('section');
  sec.id = 's-checkin';
  sec.className = 'screen checkin';
  sec.hidden = true;
  sec.setAttribute('aria-labelledby', 'h-checkin');
  sec.innerHTML = `<div class="head"><button type="button" class="btn back" data-go="home"><svg class="ico" aria-hidden="true"><use href="#i-back"/></svg><span data-t="kiosk.back"></span></button>
<h1 id="h-checkin" tabindex="-1" data-c="checkin.title" data-k="title"></h1></div>
<form id="ci-form" autocomplete="off" novalidate>
<label for="ci-ref" class="intro" data-c="checkin.intro" data-k="intro"></label>
<div class="ci-row" dir="ltr"><input id="ci-ref" class="ci-ref" maxlength="500" autocapitalize="characters" spellcheck="false" inputmode="none" aria-describedby="ci-err">
<button type="button" id="ci-del" class="btn key del"><span aria-hidden="true">&#9003;</span><span class="sr" data-c="checkin.delete"></span></button>
<button type="submit" class="btn primary go" data-c="checkin.go" data-k="go"></button></div>
<p id="ci-err" class="ci-err" role="alert"></p>
<button type="button" id="ci-mode" class="btn"></button>
<div class="keys" dir="ltr">${Array.from(KEYS, (c) => `<button type="button" class="btn key" data-key="${c}">${c}</button>`).join('')}</div>
</form>`;
  document.querySelector('#s-ticket').before(sec);
  // Where a checked-in visitor goes when called: the room, else "checked in for your appointment".
  const room = document.createElement('p');
  room.id = 'tk-room';
  room.className = 'svc';
  $('tk-svc').after(room);
  // A ticket drawn with a contact code repeats the code, on screen and on paper.
  const code = document.createElement('p');
  code.id = 'tk-code';
  code.className = 'svc tk-code';
  room.after(code);

  function paintCode(k) {
    code.hidden = !(k && k.contactCode);
    code.textContent = k && k.contactCode ? t('contact.ticketCode', { code: k.contactCode }) : '';
  }
  // kiosk.js shows later tickets (a plain number) without asking this file: a new number on the ticket screen
  // repaints the lines this file adds, so no code or room of an earlier visitor stays on it.
  new MutationObserver(() => render()).observe($('tk-num'), { childList: true, characterData: true, subtree: true });

  async function texts() {
    if (tLang === K.lang) return;
    try {
      const r = await fetch(`/assets/i18n/${encodeURIComponent(K.lang)}.json`);
      if (r.ok) { T = await r.json(); tLang = K.lang; }
    } catch (e) { /* keep the texts there are */ }
  }

  function render() {
    for (const el of sec.querySelectorAll('[data-k]')) el.dataset.c = (contact ? 'contact.' : 'checkin.') + el.dataset.k;
    for (const el of sec.querySelectorAll('[data-c]')) el.textContent = t(el.dataset.c);
    $('ci-mode').textContent = t(contact ? 'checkin.title' : 'contact.open');
    const back = sec.querySelector('[data-t]');
    back.textContent = K.data.texts[back.dataset.t] || '';
    const k = K.ticket;
    room.hidden = !(k && k.appointmentId);
    paintCode(k);
    if (k && k.appointmentId) {
      $('tk-svc').textContent = '';
      room.textContent = k.roomName ? t('checkin.room', { room: k.roomName }) : t('checkin.done');
    }
  }
  // Called by kiosk.js after every render (a language change): fetch this language's texts, then show them.
  K.render = () => { texts().then(render); };

  K.open = async (asContact = false) => {
    contact = asContact;
    await texts();
    render();
    $('ci-ref').value = '';
    $('ci-err').textContent = '';
    key = null;
    K.show('checkin', false);
    $('ci-ref').focus({ preventScroll: true });
  };

  async function submit() {
    const ref = $('ci-ref').value.trim();
    if (busy) return;
    if (!ref) { $('ci-err').textContent = t('checkin.empty'); return; }
    busy = true;
    document.body.classList.add('busy');
    key = key || K.newKey();
    const headers = { 'Content-Type': 'application/json', 'Idempotency-Key': key };
    if (device) headers['Loket-Device'] = device;
    try {
      const loc = encodeURIComponent(K.data.location.id);
      const r = await K.send(contact ? `/api/v1/locations/${loc}/contact-tickets` : `/api/v1/locations/${loc}/check-ins`, headers,
        JSON.stringify(contact ? { code: ref, language: K.lang } : { reference: ref, language: K.lang }));
      if (r.status < 500) key = null;
      if (r.status === 201 || r.status === 200) {
        const k = await r.json();
        paintCode(k); // before showTicket: a kiosk with print=auto prints from there
        K.showTicket(k);
        return render();
      }
      if (r.status >= 500) return K.goOffline();
      const p = await r.json().catch(() => ({}));
      // The problem's type names the case (unknown, cancelled, not-today, over, closed); 422: not a reference at all.
      const kind = String(p.type || '').split(/check-in-|contact-/)[1] || (r.status === 422 ? 'invalid' : r.status === 429 ? 'busy' : 'failed');
      $('ci-err').textContent = (contact && t('contact.' + kind)) || t('checkin.' + kind) || t('checkin.failed');
      $('ci-ref').select();
    } catch (e) {
      K.goOffline();
    } finally {
      busy = false;
      document.body.classList.remove('busy');
    }
  }

  $('ci-form').addEventListener('submit', (e) => { e.preventDefault(); submit(); });
  sec.addEventListener('click', (e) => {
    const b = e.target.closest('button');
    if (!b || busy) return;
    const f = $('ci-ref');
    if (b.dataset.key && f.value.length < 12) f.value += b.dataset.key;
    if (b.id === 'ci-del') f.value = f.value.slice(0, -1);
    if (b.dataset.key || b.id === 'ci-del') $('ci-err').textContent = '';
    if (b.id === 'ci-mode') K.open(!contact);
  });
  // A scanner types into whatever has the focus (after a key was tapped, a key button): send it to the field.
  document.addEventListener('keydown', (e) => {
    if (document.body.dataset.screen === 'checkin' && document.activeElement !== $('ci-ref') && e.key.length === 1 && !e.ctrlKey && !e.altKey) {
      $('ci-ref').focus();
    }
  }, true);

  K.open();
})();
