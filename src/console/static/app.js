// The operator's console: plain DOM and fetch against banwall's own API, no framework and nothing
// fetched from elsewhere (the page's Content-Security-Policy allows only this origin).
// Everything a client sent (names, URLs, SNI) is untrusted: it is only ever set as textContent.
/* global document, window, fetch, EventSource, sessionStorage, URLSearchParams, FormData */

const $ = (sel) => document.querySelector(sel);
const FEED_MAX = 50;
let csrf = sessionStorage.getItem('banwall-csrf') ?? '';
let nextCursor;
let lastSearch;
let feed;
let pendingRefresh;

async function api(path, options = {}) {
  const headers = { accept: 'application/json', ...(options.headers ?? {}) };
  if (options.method === 'POST') headers['x-csrf-token'] = csrf;
  const res = await fetch(path, { credentials: 'same-origin', ...options, headers });
  let body = null;
  try {
    body = await res.json();
  } catch {
    // not JSON (an empty 204)
  }
  if (res.status === 401) showLogin();
  return { status: res.status, ok: res.ok, body };
}

function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (className) e.className = className;
  return e;
}

function cell(value) {
  if (!(value instanceof window.Node)) return el('td', value);
  const td = document.createElement('td');
  td.append(value);
  return td;
}

/**
 * The table `#id`, its header row built from `heads` and each body row from `cells(item)` (text or a
 * node per column): a table's columns are declared once, here, beside what fills them.
 */
function table(id, heads, cells) {
  const t = $(`#${id}`);
  const head = document.createElement('tr');
  for (const h of heads) head.append(el('th', h));
  t.createTHead().append(head);
  const body = t.createTBody();
  const row = (item) => {
    const tr = document.createElement('tr');
    for (const c of cells(item)) tr.append(cell(c));
    return tr;
  };
  return { body, row, fill: (items) => body.replaceChildren(...items.map(row)) };
}

function time(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString();
}

/** An event's cells: the live feed's few (`full` false) or a search result's all. */
function eventCells(e, full) {
  // A stored row may stand for identical repeats (events.store.foldWindow): show how many.
  const target = e.count > 1 ? `${e.target} ×${e.count}` : e.target;
  const cells = [time(e.time), e.client, `${e.layer}/${e.protocol}`, el('span', target, 'target')];
  if (full) cells.push(e.kind);
  cells.push(full ? `${e.app} / ${e.category}` : e.app);
  if (full) cells.push(e.rule ? `${e.rule} (${e.source})` : '');
  cells.push(el('span', e.answer, e.decision === 'blocked' ? 'blocked' : ''));
  return cells;
}

const upstreamTable = table('upstreams', ['Upstream', 'Health', 'Latency'], (u) => [
  u.url,
  el('span', u.healthy ? 'healthy' : 'down', u.healthy ? 'allowed' : 'blocked'),
  `${u.latencyMs ?? '?'} ms`,
]);
const listTable = table(
  'lists',
  ['List', 'App / category', 'Entries', 'Bad lines', 'Last refresh', 'Last error'],
  (l) => [
    l.name,
    `${l.app} / ${l.category}`,
    l.entries,
    l.badLines,
    l.lastSuccess ? time(l.lastSuccess) : 'never',
    l.lastError ?? (l.refreshFailures ? `${l.refreshFailures} failed refreshes` : ''),
  ],
);
const feedTable = table('feed', ['Time', 'Client', 'Layer', 'Target', 'App', 'Answer'], (e) =>
  eventCells(e, false),
);
const resultTable = table(
  'results',
  ['Time', 'Client', 'Layer', 'Target', 'Kind', 'App / category', 'Rule', 'Answer'],
  (e) => eventCells(e, true),
);

function showLogin() {
  $('#login-view').hidden = false;
  $('#app-view').hidden = true;
  $('#logout').hidden = true;
  feed?.close();
  feed = undefined;
}

function showApp() {
  $('#login-view').hidden = true;
  $('#app-view').hidden = false;
  $('#logout').hidden = false;
  void refresh();
  startFeed();
  void loadTop();
}

async function refresh() {
  const ready = await api('/readyz');
  const badge = $('#ready');
  const isReady = ready.body?.ready === true;
  badge.textContent = isReady ? 'ready' : 'not ready';
  badge.className = `badge ${isReady ? 'ok' : 'bad'}`;
  $('#ready-reason').textContent = isReady
    ? 'Serving: a policy is loaded and an upstream answers.'
    : (ready.body?.reason ?? '');
  const s = await api('/api/status');
  if (!s.ok) return;
  const st = s.body;
  $('#generation').textContent = `policy generation ${st.policy?.generation ?? '?'} · v${st.version}`;
  const dl = $('#status');
  dl.replaceChildren();
  const facts = [
    ['Uptime', `${Math.round((st.uptimeSeconds ?? 0) / 60)} min`],
    ['Policy generation', st.policy?.generation],
    ['Cache entries', st.cache?.entries],
    ...Object.entries(st.queries ?? {}).map(([k, v]) => [`Queries ${k}`, v]),
  ];
  const canaries = st.canaries;
  if (canaries) {
    const failing = canaries.failing ?? [];
    facts.push([
      'Canaries',
      `${canaries.probes} probes, ${failing.length ? `${failing.length} failing` : 'every ban holds'}`,
    ]);
  }
  for (const [k, v] of facts) dl.append(el('dt', k), el('dd', v));
  const bad = $('#canaries-failing');
  bad.replaceChildren(
    ...(canaries?.failing ?? []).map((f) =>
      el(
        'li',
        `${f.app}/${f.category} over ${f.layer}: ${f.target} (list ${f.list}): ${f.reason}`,
        'blocked',
      ),
    ),
  );
  upstreamTable.fill(st.upstreams ?? []);
  listTable.fill(st.lists ?? []);
}

function startFeed() {
  feed?.close();
  feed = new EventSource('/api/events/stream');
  const state = $('#feed-state');
  feed.onopen = () => (state.textContent = '(live)');
  feed.onerror = () => (state.textContent = '(reconnecting…)');
  feed.addEventListener('event', (m) => {
    const e = JSON.parse(m.data);
    const tbody = feedTable.body;
    tbody.prepend(feedTable.row(e));
    while (tbody.children.length > FEED_MAX) tbody.lastElementChild.remove();
    // New blocks move the counters and the top lists: refresh them, at most once a second.
    if (pendingRefresh === undefined) {
      pendingRefresh = window.setTimeout(() => {
        pendingRefresh = undefined;
        void refresh();
        void loadTop();
      }, 1000);
    }
  });
}

function bars(svg, items, label) {
  const max = Math.max(1, ...items.map((i) => i.count));
  const h = 22;
  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 400 ${Math.max(1, items.length) * h}`);
  svg.setAttribute('height', String(Math.max(1, items.length) * h));
  const ns = 'http://www.w3.org/2000/svg';
  items.forEach((item, i) => {
    const rect = document.createElementNS(ns, 'rect');
    rect.setAttribute('x', '150');
    rect.setAttribute('y', String(i * h + 3));
    rect.setAttribute('height', String(h - 6));
    rect.setAttribute('width', String(Math.max(1, (item.count / max) * 200)));
    const name = document.createElementNS(ns, 'text');
    name.setAttribute('x', '0');
    name.setAttribute('y', String(i * h + 15));
    name.textContent = label(item).slice(0, 22);
    const count = document.createElementNS(ns, 'text');
    count.setAttribute('x', String(155 + (item.count / max) * 200));
    count.setAttribute('y', String(i * h + 15));
    count.textContent = String(item.count);
    svg.append(rect, name, count);
  });
}

async function loadTop() {
  const since = $('#top-window').value;
  const [apps, clients] = await Promise.all([
    api(`/api/events/summary?by=app&decision=blocked&limit=10&since=${encodeURIComponent(since)}`),
    api(`/api/events/summary?by=client&decision=blocked&limit=10&since=${encodeURIComponent(since)}`),
  ]);
  bars($('#top-apps'), apps.body?.counts ?? [], (i) => i.key || '(none)');
  bars($('#top-clients'), clients.body?.counts ?? [], (i) => i.key);
}

async function search(append) {
  const params = append ? new URLSearchParams(lastSearch) : new URLSearchParams();
  if (!append) {
    for (const [k, v] of new FormData($('#search'))) if (v !== '') params.set(k, String(v));
    lastSearch = params.toString();
  } else {
    params.set('cursor', String(nextCursor));
  }
  params.set('limit', '50');
  const r = await api(`/api/events?${params}`);
  $('#search-error').textContent = r.ok ? '' : (r.body?.error ?? `error ${r.status}`);
  if (!r.ok) return;
  if (append) resultTable.body.append(...r.body.events.map(resultTable.row));
  else resultTable.fill(r.body.events);
  nextCursor = r.body.next;
  $('#more').hidden = nextCursor === undefined;
}

async function explain() {
  const params = new URLSearchParams({ name: $('#explain-name').value.trim() });
  const client = $('#explain-client').value.trim();
  if (client) params.set('client', client);
  const r = await api(`/api/explain?${params}`);
  const out = $('#explain-result');
  out.replaceChildren();
  if (!r.ok) {
    out.append(el('p', r.body?.error ?? `error ${r.status}`, 'error'));
    return;
  }
  const x = r.body;
  const decision = x.decision ?? (x.blocked ? 'BLOCKED' : 'ALLOWED');
  out.append(el('p', `${decision}`, /BLOCK/i.test(decision) ? 'blocked' : 'allowed'));
  out.append(el('p', `group ${x.group ?? ''}`, 'muted'));
  const rules = [...(x.blockRules ?? x.rules ?? []), ...(x.allowRules ?? [])];
  const list = el('ul');
  for (const rule of rules) {
    const where = `${rule.file ?? rule.source ?? ''}${rule.line ? `:${rule.line}` : ''}`;
    list.append(el('li', `${rule.list ?? ''}: ${rule.rule ?? ''} (${where})`));
  }
  out.append(list);
  const pre = el('pre', JSON.stringify(x, null, 2));
  pre.className = 'muted raw';
  out.append(pre);
}

async function login(ev) {
  ev.preventDefault();
  // The token goes once, as a bearer header; the session lives in an HttpOnly cookie from then on.
  const r = await api('/api/session', {
    method: 'POST',
    headers: { authorization: `Bearer ${$('#token').value}` },
  });
  $('#token').value = '';
  if (!r.ok) {
    $('#login-error').textContent = r.body?.error ?? 'login refused';
    return;
  }
  csrf = r.body.csrf;
  sessionStorage.setItem('banwall-csrf', csrf);
  $('#login-error').textContent = '';
  showApp();
}

/** A search filter's fixed values (its `data-choices`), after `any` (no filter). */
function fillChoices(select) {
  select.append(el('option', 'any'), ...select.dataset.choices.split(' ').map((v) => el('option', v)));
  select.options[0].value = '';
}

async function init() {
  for (const select of document.querySelectorAll('select[data-choices]')) fillChoices(select);
  $('#login').addEventListener('submit', (e) => void login(e));
  $('#logout').addEventListener('click', async () => {
    await api('/api/session/logout', { method: 'POST' });
    sessionStorage.removeItem('banwall-csrf');
    showLogin();
  });
  $('#reload').addEventListener('click', async () => {
    const r = await api('/api/reload', { method: 'POST' });
    $('#reload-result').textContent = r.ok
      ? `reloaded: generation ${r.body.generation}`
      : `refused: ${(r.body?.errors ?? [r.body?.error]).join('; ')}`;
    void refresh();
  });
  $('#top-window').addEventListener('change', () => void loadTop());
  $('#search').addEventListener('submit', (e) => {
    e.preventDefault();
    void search(false);
  });
  $('#more').addEventListener('click', () => void search(true));
  $('#explain').addEventListener('submit', (e) => {
    e.preventDefault();
    void explain();
  });
  const s = await api('/api/session');
  if (s.ok && s.body?.authenticated) {
    csrf = s.body.csrf;
    sessionStorage.setItem('banwall-csrf', csrf);
    showApp();
  } else {
    showLogin();
  }
  window.setInterval(() => {
    if (!$('#app-view').hidden) {
      void refresh();
      void loadTop();
    }
  }, 10_000);
}

void init();
