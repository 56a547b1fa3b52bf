// Relay dashboard: plain ES modules, no build step. Every value shown goes through textContent (h()), never innerHTML.
const API = '/api/dashboard';
const view = document.getElementById('view');
const CLASSES = ['RATE_LIMITED', 'QUOTA', 'TRANSIENT', 'TIMEOUT', 'NETWORK', 'AUTH', 'MODEL_UNAVAILABLE',
  'CONTEXT_LENGTH', 'CONTENT_FILTERED', 'INVALID_REQUEST', 'TRUNCATED', 'DEADLINE', 'CIRCUIT_OPEN', 'UNKNOWN'];
let timer = null;
let charts = [];

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'className') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function headers(admin) {
  const hd = { 'Content-Type': 'application/json' };
  const key = sessionStorage.getItem('relay.apiKey');
  if (key) hd['Authorization'] = 'Bearer ' + key;
  const adm = sessionStorage.getItem('relay.adminKey');
  if (admin && adm) hd['X-Relay-Admin-Key'] = adm;
  return hd;
}

async function api(path, opts = {}) {
  const res = await fetch(API + path, { method: opts.method || 'GET', headers: headers(opts.admin),
    body: opts.body ? JSON.stringify(opts.body) : undefined });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const msg = (body.error && body.error.message) || ('HTTP ' + res.status);
    notice(msg);
    throw new Error(msg);
  }
  notice(null);
  return body;
}

function notice(msg) {
  const n = document.getElementById('notice');
  n.hidden = !msg;
  n.textContent = msg || '';
}

const time = (ms) => ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : '';
const cell = (v, cls) => h('td', { className: cls || (typeof v === 'string' ? v : null) }, v ?? '');

function table(id, cols, rows, rowFn) {
  return h('table', { id }, h('thead', {}, h('tr', {}, cols.map((c) => h('th', {}, c)))),
    h('tbody', {}, rows.map(rowFn)));
}

function chart(el, option) {
  const c = echarts.init(el);
  c.setOption(Object.assign({ animation: false, grid: { left: 48, right: 16, top: 40, bottom: 30 } }, option));
  charts.push(c);
  return c;
}

// ---- Overview ----------------------------------------------------------------------------------------------------
async function overview() {
  const d = await api('/overview?window_ms=3600000');
  const series = d.series || [];
  const reqEl = h('div', { id: 'chart-requests', className: 'chart' });
  const rateEl = h('div', { id: 'chart-rates', className: 'chart' });
  const latEl = h('div', { id: 'chart-latency', className: 'chart' });
  const statusRows = (d.providers || []).map((p) => p.status_json || {}).filter((s) => !s.mocker);
  const lastErr = Object.fromEntries((d.last_errors || []).map((e) => [e.provider, e.outcome]));
  view.replaceChildren(
    h('h2', {}, 'Overview ', h('span', { className: 'muted' }, 'last hour')),
    h('div', { className: 'cards' },
      h('div', { className: 'card' }, h('h3', {}, 'Requests per minute'), reqEl),
      h('div', { className: 'card' }, h('h3', {}, 'Success and fallback rate'), rateEl),
      h('div', { className: 'card' }, h('h3', {}, 'Latency per provider (successful attempts)'), latEl),
      h('div', { className: 'card' }, h('h3', {}, 'Providers (processor status)'),
        table('providers-table', ['provider', 'circuit', 'in flight / permits', 'queued', 'last error'],
          statusRows, (s) => h('tr', {}, cell(s.provider, 'name'), h('td', { className: s.circuit_state }, s.circuit_state,
            h('div', { className: 'muted' }, Object.entries(s.circuits || {}).filter(([m]) => m !== '*')
              .map(([m, st]) => `${m}: ${st}`).join(', '))),
            cell(`${s.in_flight ?? '?'} / ${s.permits ?? '?'}`, 'num'), cell(s.queued, 'num'),
            cell(s.last_error_class || lastErr[s.provider] || '')))),
      h('div', { className: 'card' }, h('h3', {}, 'Queue depth (consumer lag per hop topic)'),
        table('queue-table', ['topic', 'lag'], Object.entries(d.queue_depth || {}),
          ([t, n]) => h('tr', {}, cell(t, 'name'), cell(n, 'num'))))));
  const xs = series.map((s) => time(s.t).slice(11, 16));
  chart(reqEl, { tooltip: { trigger: 'axis' }, legend: {}, xAxis: { type: 'category', data: xs },
    yAxis: { type: 'value' }, series: [
      { name: 'requests', type: 'bar', data: series.map((s) => s.total) },
      { name: 'failed', type: 'bar', data: series.map((s) => s.failed) }] });
  chart(rateEl, { tooltip: { trigger: 'axis' }, legend: {}, xAxis: { type: 'category', data: xs },
    yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value} %' } }, series: [
      { name: 'success %', type: 'line', data: series.map((s) => s.total ? Math.round(100 * s.succeeded / s.total) : 0) },
      { name: 'fallback %', type: 'line', data: series.map((s) => s.total ? Math.round(100 * s.fell_back / s.total) : 0) }] });
  const lat = d.latency || [];
  chart(latEl, { tooltip: { trigger: 'axis' }, legend: {}, xAxis: { type: 'category', data: lat.map((l) => l.provider) },
    yAxis: { type: 'value', name: 'ms' }, series: [
      { name: 'p50', type: 'bar', data: lat.map((l) => l.p50) },
      { name: 'p95', type: 'bar', data: lat.map((l) => l.p95) }] });
}

// ---- Logs --------------------------------------------------------------------------------------------------------
const FILTERS = [['status', 'status', ['', 'SUCCEEDED', 'FAILED', 'PENDING']], ['provider', 'provider'], ['model', 'model'],
  ['class', 'failure class', [''].concat(CLASSES)], ['fallback', 'fallback index'], ['from', 'from (ISO)'],
  ['to', 'to (ISO)'], ['batch', 'batch'], ['tenant', 'tenant'], ['meta', 'metadata k=v'], ['q', 'search prompt']];

function filterBar(params, onApply) {
  const inputs = {};
  const bar = h('form', { className: 'filters', id: 'filters' });
  for (const [name, label, options] of FILTERS) {
    const el = options
      ? h('select', { id: 'f-' + name, 'aria-label': label }, options.map((o) => h('option', { value: o }, o || label)))
      : h('input', { id: 'f-' + name, placeholder: label, 'aria-label': label });
    el.value = params.get(name) || '';
    inputs[name] = el;
    bar.append(el);
  }
  bar.append(h('button', { id: 'f-apply', type: 'submit', className: 'primary' }, 'Apply'));
  bar.addEventListener('submit', (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    for (const [k, el] of Object.entries(inputs)) if (el.value) p.set(k, el.value);
    onApply(p);
  });
  return bar;
}

function apiParams(p) {
  const q = new URLSearchParams(p);
  for (const k of ['from', 'to']) {
    if (q.get(k) && isNaN(Number(q.get(k)))) q.set(k, String(Date.parse(q.get(k))));
  }
  return q;
}

function jobRows(jobs) {
  return table('logs-table', ['submitted', 'job', 'status', 'provider / model', 'fallback', 'class', 'latency',
    'attempts', 'tenant', 'batch', 'prompt'], jobs, (j) => h('tr', { className: 'job-row', 'data-job-id': j.job_id,
    onclick: () => { location.hash = '#/job/' + encodeURIComponent(j.job_id); } },
  cell(time(j.submitted_at), 'time'), cell(j.job_id, 'id'), cell(j.status),
  cell(j.provider ? `${j.provider}/${j.model}` : '', 'target'), cell(j.fallback_index, 'num'),
  cell(j.failure_class || ''), cell(j.latency_ms != null ? j.latency_ms + ' ms' : '', 'num'),
  cell(j.attempt_count, 'num'), cell(j.tenant, 'tenant'), cell(j.batch_id, 'batch'), cell(j.prompt, 'prompt')));
}

async function logs(params) {
  const live = h('input', { type: 'checkbox', id: 'f-live', checked: params.get('live') !== '0' });
  const holder = h('div', { id: 'logs' });
  const info = h('span', { className: 'muted', id: 'logs-info' });
  const load = async () => {
    const d = await api('/jobs?' + apiParams(params).toString());
    holder.replaceChildren(jobRows(d.jobs));
    info.textContent = `${d.jobs.length} jobs, newest first (query ${d.query_ms.toFixed(1)} ms)`
      + (d.content_logging ? '' : ' · content logging is off');
  };
  view.replaceChildren(h('h2', {}, 'Logs'),
    filterBar(params, (p) => { location.hash = '#/logs?' + p.toString(); }),
    h('div', { className: 'filters' }, h('label', {}, live, ' live'), info), holder);
  await load();
  timer = setInterval(() => { if (live.checked) load().catch(() => {}); }, 2000);
}

// ---- One job -----------------------------------------------------------------------------------------------------
async function job(id) {
  const j = await api('/jobs/' + encodeURIComponent(id));
  const replayBox = h('div', { id: 'replay-box' });
  const attempts = j.attempts || [];
  view.replaceChildren(
    h('h2', {}, 'Job ', h('span', { id: 'job-id' }, j.job_id), ' ', h('span', { id: 'job-status', className: j.status }, j.status)),
    h('div', { className: 'kv card' },
      h('div', {}, 'submitted'), h('div', {}, time(j.submitted_at)),
      h('div', {}, 'chain'), h('div', {}, (j.chain || []).join(' → ')),
      h('div', {}, 'answered by'), h('div', {}, j.provider ? `${j.provider}/${j.model} (fallback index ${j.fallback_index})` : '—'),
      h('div', {}, 'latency'), h('div', {}, j.latency_ms != null ? j.latency_ms + ' ms' : '—'),
      h('div', {}, 'generation'), h('div', {}, j.job_generation ?? j.result_generation ?? 0),
      h('div', {}, 'tenant / batch'), h('div', {}, `${j.tenant || '—'} / ${j.batch_id || '—'}`),
      h('div', {}, 'origin'), h('div', {}, j.origin || '—'),
      h('div', {}, 'metadata'), h('div', {}, j.metadata ? JSON.stringify(j.metadata) : '—')),
    h('h3', {}, 'Attempt timeline'),
    table('attempts-table', ['gen', 'hop', '#', 'provider', 'model', 'key', 'class', 'status', 'latency', 'decision',
      'error'], attempts, (a) => h('tr', { className: 'attempt-row', 'data-hop': a.hop, 'data-provider': a.provider },
      cell(a.generation, 'num'), cell(a.hop, 'num'), cell(a.attempt, 'num'), cell(a.provider, 'provider'),
      cell(a.model, 'model'), cell(a.key_name || '', 'key'), cell(a.outcome), cell(a.http_status, 'num'),
      cell(a.latency_ms + ' ms', 'num'), cell(a.decision, 'decision'), cell(a.error_message || '', 'error'))),
    h('h3', {}, 'Request'), h('pre', { id: 'request' }, j.request_json ? JSON.stringify(j.request_json, null, 2) : 'not stored'),
    h('h3', {}, 'Answer'), h('pre', { id: 'response' }, j.response_json ? JSON.stringify(j.response_json, null, 2)
      : (j.error_json ? JSON.stringify(j.error_json, null, 2) : '—')),
    j.webhook ? h('div', {}, h('h3', {}, 'Webhook'), h('div', {}, `${j.webhook.webhook_id} ${j.webhook.state} → ${j.webhook.url}`)) : null,
    h('h3', {}, 'Replay'),
    h('div', { className: 'filters' },
      h('input', { id: 'replay-chain', placeholder: 'new chain (optional) p/m,p/m', style: 'width:320px' }),
      h('button', { id: 'replay-btn', className: 'primary', onclick: () => dryRun([j.job_id], replayBox) }, 'Replay (dry run first)')),
    replayBox);
}

async function dryRun(ids, box, chainInput) {
  const chain = (chainInput || document.getElementById('replay-chain')).value;
  box.replaceChildren(h('span', { className: 'muted' }, 'planning…'));
  const d = await api('/replay', { method: 'POST', body: { job_ids: ids, chain, execute: false } });
  const replayable = d.rows.filter((r) => r.action === 'REPLAY').length;
  const status = h('div', { id: 'replay-status' });
  box.replaceChildren(
    table('replay-plan', ['job', 'generation', 'action', 'new generation', 'chain', 'class', 'why'], d.rows,
      (r) => h('tr', { className: 'plan-row' }, cell(r.jobId, 'id'), cell(r.generation, 'num'), cell(r.action, 'action'),
        cell(r.newGeneration >= 0 ? r.newGeneration : '', 'num'), cell(r.chain.join(' → '), 'chain'),
        cell(r.errorClass), cell(r.reason || '', 'why'))),
    h('div', { className: 'filters' }, h('button', { id: 'replay-confirm', className: 'primary', disabled: replayable === 0,
      onclick: () => execute(ids, chain, status, replayable) }, `Replay ${replayable} job(s)`)),
    status);
}

async function execute(ids, chain, status, total) {
  const d = await api('/replay', { method: 'POST', admin: true, body: { job_ids: ids, chain, execute: true } });
  const bar = h('span', {});
  const poll = async () => {
    const s = await api('/replay/' + d.run_id);
    const pct = total ? Math.round(100 * s.committed / total) : 100;
    status.replaceChildren(h('span', { className: 'bar' }, h('span', { style: `width:${pct}%` })),
      ` ${s.committed} / ${total} committed · run ${s.id} `, h('span', { className: 'run-state ' + s.state }, s.state),
      s.error ? ' · ' + s.error : '');
    if (s.state === 'running') setTimeout(poll, 500);
  };
  status.replaceChildren(bar);
  poll();
}

// ---- Failed jobs and dead letters --------------------------------------------------------------------------------
async function failed(params) {
  params.set('status', 'FAILED');
  const q = apiParams(params);
  q.set('limit', '200');
  const d = await api('/jobs?' + q.toString());
  const dl = await api('/deadletters?limit=50');
  const box = h('div', { id: 'failed-replay' });
  const chain = h('input', { id: 'failed-chain', placeholder: 'new chain (optional) p/m,p/m', style: 'width:320px' });
  const checks = d.jobs.map((j) => h('input', { type: 'checkbox', className: 'pick', 'data-job-id': j.job_id, checked: true }));
  const picked = () => checks.filter((c) => c.checked).map((c) => c.getAttribute('data-job-id'));
  view.replaceChildren(h('h2', {}, 'Failed jobs'),
    filterBar(params, (p) => { location.hash = '#/failed?' + p.toString(); }),
    table('failed-table', ['', 'submitted', 'job', 'chain', 'class', 'reason', 'tenant', 'batch'], d.jobs,
      (j, i) => h('tr', {}, h('td', {}, checks[i]), cell(time(j.submitted_at), 'time'), cell(j.job_id, 'id'),
        cell((j.chain || []).join(' → '), 'chain'), cell(j.failure_class || ''), cell(j.terminal_reason || '', 'why'),
        cell(j.tenant, 'tenant'), cell(j.batch_id, 'batch'))),
    h('div', { className: 'filters' }, chain,
      h('button', { id: 'failed-dryrun', className: 'primary', onclick: () => dryRun(picked(), box, chain) },
        'Dry run for the selected jobs')),
    box,
    h('h2', {}, 'Dead letters'),
    table('deadletters-table', ['at', 'topic', 'partition', 'offset', 'key', 'bytes', 'error'], dl,
      (x) => h('tr', {}, cell(time(x.at), 'time'), cell(x.topic, 't'), cell(x.part, 'num'), cell(x.record_offset, 'num'),
        cell(x.record_key, 'k'), cell(x.size_bytes, 'num'),
        cell(x.headers_json ? Object.entries(x.headers_json).filter(([k]) => k.includes('error')).map(([k, v]) => `${k}: ${v}`).join('; ') : '', 'err'))));
}

// ---- Batches, webhooks, providers --------------------------------------------------------------------------------
async function batches(params) {
  const id = params.get('batch');
  if (id) {
    const d = await api('/jobs?limit=500&batch=' + encodeURIComponent(id));
    view.replaceChildren(h('h2', {}, 'Batch ', id), jobRows(d.jobs));
    return;
  }
  const rows = await api('/batches');
  view.replaceChildren(h('h2', {}, 'Batches'), table('batches-table', ['batch', 'items', 'progress', 'succeeded',
    'failed', 'pending', 'first submitted', 'last completed'], rows, (b) => {
    const done = b.succeeded + b.failed;
    return h('tr', { className: 'job-row', onclick: () => { location.hash = '#/batches?batch=' + encodeURIComponent(b.batch_id); } },
      cell(b.batch_id, 'id'), cell(b.total, 'num'),
      h('td', {}, h('span', { className: 'bar' }, h('span', { style: `width:${Math.round(100 * done / b.total)}%` })), ` ${done}/${b.total}`),
      cell(b.succeeded, 'num'), cell(b.failed, 'num'), cell(b.pending, 'num'), cell(time(b.first_at), 'time'), cell(time(b.last_at), 'time'));
  }));
}

async function webhooks(params) {
  const rows = await api('/webhooks?' + new URLSearchParams({ state: params.get('state') || '' }).toString());
  view.replaceChildren(h('h2', {}, 'Webhooks'), table('webhooks-table', ['updated', 'job', 'webhook id', 'url', 'state',
    'attempts', ''], rows, (w) => h('tr', {}, cell(time(w.updated_at), 'time'), cell(w.job_id, 'id'), cell(w.webhook_id, 'id'),
    cell(w.url, 'url'), cell(w.state),
    cell((w.attempts_json || []).map((a) => `${time(a.at).slice(11)} ${a.status || ''} ${a.error || ''}`).join(' · '), 'att'),
    h('td', {}, h('button', { className: 'redeliver', onclick: async (e) => {
      await api(`/webhooks/${encodeURIComponent(w.job_id)}/redeliver`, { method: 'POST', admin: true });
      e.target.textContent = 'redelivering…';
    } }, 'Redeliver')))));
}

async function providers() {
  const d = await api('/providers');
  const all = (d.status || []).map((s) => s.status_json || {});
  const status = Object.fromEntries(all.filter((s) => !s.mocker).map((s) => [s.provider, s]));
  view.replaceChildren(h('h2', {}, 'Providers'), h('p', { className: 'muted' }, 'Circuit breakers are per provider '
    + 'and model (circuit_breaker.scope); the state shown is the provider\'s worst.'),
    table('provider-config', ['provider', 'type', 'base url', 'timeout', 'retries', 'concurrency', 'buffer', 'keys (names)',
      'circuit', 'in flight'], d.providers, (p) => h('tr', {}, cell(p.name, 'name'), cell(p.type, 'type'),
      cell(p.base_url || 'default', 'url'), cell(p.request_timeout_ms + ' ms', 'num'), cell(p.max_retries, 'num'),
      cell(p.concurrency, 'num'), cell(p.buffer_size, 'num'),
      cell(p.keys.map((k) => `${k.name}${k.configured ? '' : ' (unset)'}${k.models.length ? ' [' + k.models.join(', ') + ']' : ''}`).join('; '), 'keys'),
      cell((status[p.name] || {}).circuit_state || '?'), cell((status[p.name] || {}).in_flight ?? '?', 'num'))),
    h('h3', {}, 'Mocker rules'),
    table('mocker-rules', ['#', 'rule', 'hits'], d.mocker_rules, (r, i) => h('tr', {}, cell(i, 'num'),
      h('td', {}, h('code', {}, JSON.stringify(r))), cell(mockerHits(all, r.name), 'num'))));
}

// summed over the processor instances that reported hits
function mockerHits(all, name) {
  let n = null;
  for (const s of all) {
    if (s.mocker && s.mocker_hits && s.mocker_hits[name] != null) n = (n || 0) + s.mocker_hits[name];
  }
  return n ?? 0;
}

// ---- Router ------------------------------------------------------------------------------------------------------
async function route() {
  clearInterval(timer);
  timer = null;
  charts.forEach((c) => c.dispose());
  charts = [];
  const [path, query] = (location.hash.slice(1) || '/overview').split('?');
  const params = new URLSearchParams(query || '');
  const parts = path.split('/').filter(Boolean);
  document.querySelectorAll('nav a').forEach((a) => a.classList.toggle('active', a.dataset.view === parts[0]));
  try {
    switch (parts[0]) {
      case 'logs': return await logs(params);
      case 'job': return await job(decodeURIComponent(parts.slice(1).join('/')));
      case 'failed': return await failed(params);
      case 'batches': return await batches(params);
      case 'webhooks': return await webhooks(params);
      case 'providers': return await providers();
      default: {
        await overview();
        timer = setInterval(() => { if ((location.hash || '#/overview').startsWith('#/overview')) refreshOverview(); }, 5000);
      }
    }
  } catch (e) {
    view.replaceChildren(h('p', { className: 'muted' }, 'Could not load this view: ' + e.message));
  }
}

async function refreshOverview() {
  charts.forEach((c) => c.dispose());
  charts = [];
  await overview().catch(() => {});
}

document.getElementById('keys').addEventListener('submit', (e) => {
  e.preventDefault();
  for (const [id, k] of [['api-key', 'relay.apiKey'], ['admin-key', 'relay.adminKey']]) {
    const el = document.getElementById(id);
    if (el.value) sessionStorage.setItem(k, el.value);
    el.value = '';
  }
  route();
});
window.addEventListener('hashchange', route);
window.addEventListener('resize', () => charts.forEach((c) => c.resize()));
route();
