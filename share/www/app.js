// app.js: gnutd's web UI. Calls the control API (POST /rpc, {method,
// params}, bearer token) and renders search results, downloads, shares and
// peers. Every name that comes from the network or the disk is put in the
// page as text (textContent), never as HTML.
'use strict';

const TOKEN_KEY = 'gnutd-token';
const POLL_MS = 1000;
const SEARCH_POLL_LIMIT = 120; // polls of one search's hits (about two minutes)

const $ = (id) => document.getElementById(id);
let token = localStorage.getItem(TOKEN_KEY);
let view = 'search';
let timer = null;
let generation = 0; // a new view or token starts a new polling loop; older ones end

// el('li', {className: 'x'}, child, 'text'...): an element; strings become text nodes.
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  for (const c of children)
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function button(label, onclick, className) {
  return el('button', { type: 'button', className: className || '', onclick }, label);
}

function plural(n, word) {
  return n + ' ' + word + (n === 1 ? '' : 's');
}

function formatSize(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = bytes, u = 0;
  while (n >= 1024 && u < units.length - 1) { n /= 1024; u++; }
  return (u === 0 ? String(n) : n.toFixed(1)) + ' ' + units[u];
}

function formatEta(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 60) return seconds + ' s';
  if (seconds < 3600) return Math.floor(seconds / 60) + ' min ' + (seconds % 60) + ' s';
  return Math.floor(seconds / 3600) + ' h ' + Math.floor((seconds % 3600) / 60) + ' min';
}

function showError(message) { $('error').textContent = message || ''; }

class Unauthorized extends Error {}

async function rpc(method, params) {
  const reply = await fetch('/rpc', {
    method: 'POST',
    headers: { 'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json' },
    body: JSON.stringify({ method, params: params || {} }),
    cache: 'no-store',
  });
  if (reply.status === 401) throw new Unauthorized('the token was refused');
  const body = await reply.json();
  if (body.error) throw new Error(method + ': ' + body.error.message);
  return body.result;
}

// Runs an action from a button or form; a refused token brings back the login.
async function guarded(action) {
  try {
    await action();
    showError('');
  } catch (e) {
    if (e instanceof Unauthorized) askToken(e.message);
    else showError(e.message);
  }
}

/* ---- magnets ---- */

// A button that asks gnutd for the magnet of one thing ({hit}, {download}
// or {path}), shows it in the magnet box and copies it where the browser
// allows (a secure context: localhost or HTTPS).
function magnetButton(params) {
  return button('Magnet', () => guarded(async () => {
    const { magnet } = await rpc('magnet', params);
    showMagnet(magnet);
  }));
}

async function showMagnet(uri) {
  const ok = typeof uri === 'string' && uri.startsWith('magnet:?');
  $('magnet-uri').value = ok ? uri : '';
  $('magnet-open').href = ok ? uri : '#';
  $('magnet-box').hidden = !ok;
  $('magnet-info').textContent = '';
  if (!ok) return;
  $('magnet-uri').select();
  try {
    await navigator.clipboard.writeText(uri);
    $('magnet-info').textContent = 'Copied.';
  } catch (e) {
    $('magnet-info').textContent = 'Selected: copy it by hand.';
  }
}

/* ---- the token ---- */

function askToken(message) {
  token = null;
  localStorage.removeItem(TOKEN_KEY);
  stopPolling();
  $('login').hidden = false;
  $('login-error').textContent = message || '';
  for (const v of document.querySelectorAll('.view')) v.hidden = true;
  $('token').focus();
}

async function login(event) {
  event.preventDefault();
  token = $('token').value.trim();
  try {
    await rpc('status');
  } catch (e) {
    askToken(e instanceof Unauthorized ? 'That token was refused.' : e.message);
    return;
  }
  localStorage.setItem(TOKEN_KEY, token);
  $('token').value = '';
  $('login').hidden = true;
  show(view);
}

/* ---- views ---- */

const refreshers = {
  search: () => renderResults(),
  downloads: refreshDownloads,
  shares: refreshShares,
  peers: refreshPeers,
  settings: async () => {}, // read once when shown, so typing is not overwritten
};

function stopPolling() {
  clearTimeout(timer);
  timer = null;
  generation++;
}

async function tick(loop) {
  await guarded(async () => {
    await refreshStatus();
    await refreshers[view]();
    if (view === 'search') await pollHits();
  });
  if (token && loop === generation) timer = setTimeout(() => tick(loop), POLL_MS);
}

function show(name) {
  view = name;
  for (const b of document.querySelectorAll('#tabs button'))
    b.classList.toggle('active', b.dataset.view === name);
  for (const v of document.querySelectorAll('.view')) v.hidden = v.id !== 'view-' + name;
  stopPolling();
  if (token && name === 'settings') guarded(loadLimits);
  if (token) tick(generation);
}

async function refreshStatus() {
  const s = await rpc('status');
  $('status').textContent = s.mode + ' · ' + plural(s.peers, 'peer') + ' · ' +
    s.shared_files + ' shared · ↓ ' + formatSize(s.bytes_down) + ' ↑ ' + formatSize(s.bytes_up);
}

/* ---- search ---- */

const search = { id: null, after: 0, polls: 0, groups: new Map(), hits: 0 };

async function startSearch(event) {
  event.preventDefault();
  const query = $('query').value.trim();
  if (!query) return;
  await guarded(async () => {
    if (search.id !== null) await rpc('search.stop', { search_id: search.id }).catch(() => {});
    const started = await rpc('search.start', { query });
    Object.assign(search, { id: started.search_id, after: 0, polls: 0, groups: new Map(), hits: 0 });
    renderResults();
  });
}

// A hit joins the group of its URN (or of name and size when it has none).
function addHit(hit) {
  const key = hit.urn || 'name:' + hit.name + ':' + hit.size;
  let g = search.groups.get(key);
  if (!g) {
    g = { key, name: hit.name, size: hit.size, urn: hit.urn, hits: [], sources: new Set() };
    search.groups.set(key, g);
  }
  g.hits.push(hit);
  g.sources.add(hit.host + ':' + hit.port);
}

async function pollHits() {
  if (search.id === null || search.polls >= SEARCH_POLL_LIMIT) return;
  search.polls++;
  const id = search.id;
  const hits = await rpc('search.hits', { search_id: id, after: search.after });
  if (id !== search.id) return; // a new search started meanwhile
  for (const h of hits) {
    addHit(h);
    search.after = Math.max(search.after, h.id);
  }
  search.hits += hits.length;
  if (hits.length) renderResults();
  $('search-info').textContent = plural(search.hits, 'hit') + ' in ' +
    plural(search.groups.size, 'file') +
    (search.polls >= SEARCH_POLL_LIMIT ? ' (finished)' : ' (searching…)');
}

const sorters = {
  sources: (a, b) => b.sources.size - a.sources.size || a.name.localeCompare(b.name),
  name: (a, b) => a.name.localeCompare(b.name),
  size: (a, b) => b.size - a.size,
};

function renderResults() {
  const groups = [...search.groups.values()].sort(sorters[$('sort').value]);
  $('results').replaceChildren(...groups.map((g) => el('li', { className: 'result' },
    el('span', { className: 'name' }, g.name),
    el('span', { className: 'meta' }, formatSize(g.size) + ' · ' + plural(g.sources.size, 'source')),
    el('span', { className: 'actions' },
      button('Download', (e) => download(g, e.target), 'primary'),
      magnetButton({ hit: g.hits[0].id })))));
}

async function download(group, btn) {
  btn.disabled = true;
  await guarded(async () => {
    await rpc('download.start', { target: String(group.hits[0].id) });
    btn.textContent = 'Started';
  });
}

/* ---- downloads ---- */

const ACTIVE = new Set(['queued', 'connecting', 'downloading', 'verifying', 'waiting']);

function downloadActions(d) {
  const act = (method, label) => button(label, () => guarded(async () => {
    await rpc(method, { id: d.id });
    await refreshDownloads();
  }));
  const actions = [];
  if (ACTIVE.has(d.state)) actions.push(act('download.pause', 'Pause'));
  if (d.state === 'paused') actions.push(act('download.resume', 'Resume'));
  if (d.state === 'failed') actions.push(act('download.retry', 'Retry'));
  if (d.state !== 'complete' && d.state !== 'cancelled') actions.push(act('download.cancel', 'Cancel'));
  return actions;
}

function downloadItem(d) {
  const progress = el('progress', { max: d.size || 1, value: d.done });
  const meta = d.state + ' · ' + formatSize(d.done) + ' of ' + formatSize(d.size) +
    (d.state === 'downloading' ? ' · ' + formatSize(d.rate) + '/s · ETA ' + formatEta(d.eta) : '') +
    ' · ' + d.active_sources + '/' + d.sources + ' sources';
  const li = el('li', { className: 'download' },
    el('span', { className: 'name' }, d.name), progress,
    el('span', { className: 'meta state-' + d.state }, meta),
    el('span', { className: 'actions' }, ...downloadActions(d), magnetButton({ download: d.id })));
  li.dataset.state = d.state;
  if (d.error) li.append(el('span', { className: 'error' }, d.error));
  return li;
}

async function refreshDownloads() {
  const list = await rpc('downloads');
  $('downloads').replaceChildren(...list.map(downloadItem));
  $('downloads-empty').hidden = list.length > 0;
}

/* ---- shares ---- */

async function refreshShares() {
  const files = await rpc('shares');
  $('shares-info').textContent = plural(files.length, 'shared file');
  $('shares').replaceChildren(...files.map((f) => el('li', {},
    el('span', { className: 'name' }, f.path),
    el('span', { className: 'meta' }, formatSize(f.size) + (f.urn ? ' · ' + f.urn : '')),
    el('span', { className: 'actions' }, magnetButton({ path: f.path })))));
}

async function addShare(event) {
  event.preventDefault();
  await guarded(async () => {
    await rpc('share.add', { path: $('share-path').value.trim() });
    $('share-path').value = '';
    await refreshShares();
  });
}

async function removeShare() {
  await guarded(async () => {
    await rpc('share.remove', { path: $('share-path').value.trim() });
    $('share-path').value = '';
    await refreshShares();
  });
}

/* ---- settings ---- */

const KIB = 1024;

async function loadLimits() {
  const l = await rpc('limits');
  $('upload-limit').value = Math.round(l.upload_limit / KIB);
  $('download-limit').value = Math.round(l.download_limit / KIB);
}

async function saveLimits(event) {
  event.preventDefault();
  await guarded(async () => {
    const l = await rpc('limits.set', {
      upload_limit: Number($('upload-limit').value) * KIB,
      download_limit: Number($('download-limit').value) * KIB,
    });
    $('limits-info').textContent = 'Saved: up ' + (l.upload_limit ? formatSize(l.upload_limit) + '/s' : 'no limit') +
      ', down ' + (l.download_limit ? formatSize(l.download_limit) + '/s' : 'no limit');
  });
}

/* ---- peers ---- */

async function refreshPeers() {
  const peers = await rpc('peers');
  $('peers').replaceChildren(...peers.map((p) => el('li', {},
    el('span', { className: 'name' }, p.host + ':' + p.port),
    el('span', { className: 'meta' }, (p.mode || '') + (p.tls ? ' · TLS' : '') +
      (p.user_agent ? ' · ' + p.user_agent : '')))));
}

async function connectPeer(event) {
  event.preventDefault();
  await guarded(async () => {
    await rpc('connect', { address: $('peer-address').value.trim() });
    $('peer-address').value = '';
    await refreshPeers();
  });
}

/* ---- start ---- */

document.addEventListener('DOMContentLoaded', () => {
  for (const b of document.querySelectorAll('#tabs button'))
    b.addEventListener('click', () => show(b.dataset.view));
  $('login-form').addEventListener('submit', login);
  $('search-form').addEventListener('submit', startSearch);
  $('sort').addEventListener('change', renderResults);
  $('share-form').addEventListener('submit', addShare);
  $('unshare').addEventListener('click', removeShare);
  $('limits-form').addEventListener('submit', saveLimits);
  $('peer-form').addEventListener('submit', connectPeer);
  $('forget').addEventListener('click', () => askToken(''));
  $('magnet-close').addEventListener('click', () => { $('magnet-box').hidden = true; });
  if (token) show(view);
  else askToken('');
});
