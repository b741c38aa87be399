// Loket kiosk: the "listen" button reads the screen aloud in the chosen language. kiosk.js loads this module only
// when the button is pressed, so the kiosk's first load stays within its budget. The audio is rendered by the server
// (espeak-ng into small Ogg Opus files) for texts it knows by key, so every kiosk sounds the same whatever voices
// its browser has; numbers are spoken only for tickets really taken here.
const audio = new Audio();
const b = document.body.dataset; // for monitoring and the browser tests: what was played
let queue = [];
let playing = false;

function next() {
  const url = queue.shift();
  if (!url) {
    playing = false;
    b.speech = 'ended';
    return;
  }
  audio.src = url;
  audio.play().catch(next);
}
audio.addEventListener('ended', next);
audio.addEventListener('error', next);
audio.addEventListener('playing', () => {
  b.speech = 'playing';
  b.spoken = String(Number(b.spoken || 0) + 1);
});

const el = (id) => document.getElementById(id);
const shown = (id) => el(id) && !el(id).hidden && el(id).textContent.trim() !== '';
const LARGEST_N = 500; // the server speaks {n} up to this

// Pressing "listen" while it speaks stops it; otherwise it reads the visible screen from the top.
export function listen({ lang, T, group, ticket, loc }) {
  if (playing) {
    audio.pause();
    queue = [];
    playing = false;
    b.speech = 'stopped';
    return;
  }
  const base = `/api/v1/speech/${encodeURIComponent(lang)}/`;
  const urls = [];
  const add = (k, n) => {
    if (k && T[k]) urls.push(base + encodeURIComponent(k) + (n == null ? '' : '?n=' + Math.min(Math.max(1, n), LARGEST_N)));
  };
  // The services to choose from, by name (never on the number screen: who stands near would hear why one came).
  const service = (id) => {
    if (id) urls.push(`/api/v1/services/${encodeURIComponent(id)}/speech?lang=${encodeURIComponent(lang)}`);
  };
  // A message screen shows a text by value: find its key.
  const keyOf = (text) => Object.keys(T).find((k) => !k.startsWith('_') && T[k] === text);
  switch (b.screen) {
    case 'home':
      add('kiosk.title');
      add('kiosk.intro');
      if (shown('closed')) add('kiosk.closed');
      for (const tile of document.querySelectorAll('#tiles .tile')) {
        const g = tile.dataset.group === 'other' ? 'unknown' : tile.dataset.group;
        add('lq.' + g);
        add('lq.' + g + '.hint');
      }
      break;
    case 'list':
      add('lq.' + group);
      add('kiosk.pick');
      for (const s of document.querySelectorAll('#services [data-svc]')) service(s.dataset.svc);
      break;
    case 'confirm':
      service(new URLSearchParams(location.search).get('service'));
      add('kiosk.take');
      break;
    case 'ticket': {
      if (!ticket) break;
      urls.push(`/api/v1/locations/${encodeURIComponent(loc)}/numbers/${encodeURIComponent(ticket.number)}/speech?lang=${encodeURIComponent(lang)}`);
      const p = ticket.position;
      if (p != null) p <= 1 ? add('next') : add('position', p);
      const w = ticket.estimatedWaitMinutes;
      if (w == null) add('waitUnknown');
      else if (w < 1) add('waitSoon');
      else {
        let cat = 'other';
        try { cat = new Intl.PluralRules(lang).select(w); } catch (e) { /* unknown locale */ }
        add(T['wait.' + cat] ? 'wait.' + cat : 'wait.other', w);
      }
      if (shown('tk-take')) add('kiosk.takeTicket');
      add('kiosk.watch');
      break;
    }
    case 'msg':
      add(keyOf(el('h-msg').textContent));
      if (shown('m-sub')) add(keyOf(el('m-sub').textContent));
      break;
  }
  add('help');
  queue = urls;
  playing = true;
  next();
}
