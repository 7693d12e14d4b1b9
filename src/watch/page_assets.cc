#include "watch/page_assets.h"

namespace s3m::watch {

namespace {

constexpr std::string_view kHtml = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>s3migrate</title>
<link rel="stylesheet" href="/style.css">
<script src="/app.js" defer></script>
</head>
<body>
<header><h1>s3migrate</h1><span id="conn" class="muted">connecting…</span></header>
<main>
<section id="cards" class="cards"></section>
<section><h2>Progress</h2><pre id="block" class="block"></pre></section>
<section><h2>Charts</h2><div id="charts"></div></section>
<section class="two">
  <div><h2>States</h2><table id="states"></table></div>
  <div><h2>Archive restores</h2><table id="restores"></table><p id="restore-note" class="muted"></p></div>
</section>
<section><h2>Buckets</h2><table id="buckets"></table></section>
<section><h2>Errors</h2><p id="errors-note"></p><table id="errors"></table></section>
<section><h2>Cost to finish (estimate)</h2><table id="costs"></table></section>
</main>
<footer class="muted">Read-only view of <span id="database"></span>; figures as of <span id="generated"></span>.</footer>
</body>
</html>
)html";

constexpr std::string_view kStyle = R"css(
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f6f7f9}
header{display:flex;gap:1em;align-items:baseline;padding:.6em 1.2em;background:#1f2937;color:#fff}
header h1{font-size:18px;margin:0}
main{padding:0 1.2em 1em;max-width:1300px}
h2{font-size:15px;margin:1.2em 0 .4em}
.muted{color:#6b7280}footer{padding:.6em 1.2em}header .muted{color:#cbd5e1}
.cards{display:flex;flex-wrap:wrap;gap:.6em;margin-top:1em}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:6px;padding:.5em .9em;min-width:9em}
.card .label{font-size:12px;color:#6b7280}.card .value{font-size:20px;font-weight:600}
.block{background:#111827;color:#e5e7eb;padding:.8em;border-radius:6px;overflow:auto;font-size:12px}
.two{display:grid;grid-template-columns:1fr 1fr;gap:1.2em}
@media (max-width:900px){.two{grid-template-columns:1fr}}
table{border-collapse:collapse;background:#fff;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e5e7eb;padding:.25em .6em;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
code{font-size:12px;background:#f3f4f6;padding:0 .3em;border-radius:3px;word-break:break-all}
.chart{width:100%;max-width:760px;background:#fff;border:1px solid #e5e7eb;border-radius:6px;margin:0 .6em .6em 0}
#charts{display:flex;flex-wrap:wrap}
.chart .grid{stroke:#e5e7eb}.chart .tick,.chart .legend{font-size:11px;fill:#4b5563}
.chart .chart-title{font-size:13px;font-weight:600;fill:#111827}.chart .chart-empty{fill:#9ca3af}
.bad{color:#b91c1c}
)css";

constexpr std::string_view kScript = R"js('use strict';
// Builds the page from GET /api/status every 2 s. Every figure shown is also
// in the element's data-metric/data-value attributes (for tests and scrapers).
const token = new URLSearchParams(location.hash.slice(1)).get('token');
const $ = (id) => document.getElementById(id);

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function count(n) { return Number(n).toLocaleString('en-US'); }
// As the CLI prints them (core/number_format.h): GB = 2^30 bytes, as AWS bills.
function bytes(n) {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let v = Number(n), i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? v + ' B' : v.toFixed(2) + ' ' + units[i];
}
function usd(v) {
  if (v > 0 && v < 0.00005) return '< $0.0001';
  if (v !== 0 && Math.abs(v) < 0.01) return '$' + v.toFixed(4);
  return '$' + v.toLocaleString('en-US', {minimumFractionDigits: 2, maximumFractionDigits: 2});
}
// Rates in MB = 10^6 bytes, as network speeds are quoted (cli FormatRate).
function rate(v) { return (Number(v) / 1e6).toFixed(2) + ' MB/s'; }
function num(metric, value, fmt) {
  const td = el('td', (fmt || count)(value), 'n');
  td.dataset.metric = metric;
  td.dataset.value = String(value);
  return td;
}
function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) tr.appendChild(typeof c === 'object' ? c : el('td', c));
  return tr;
}
function head(table, names) {
  table.replaceChildren(row(names.map((n) => el('th', n, /^(Files|Bytes|Data|Attempts|Deleted|Error|Total|USD)$/.test(n) ? 'n' : ''))));
}
function card(label, metric, value, fmt) {
  const c = el('div', null, 'card');
  c.appendChild(el('div', label, 'label'));
  const v = el('div', (fmt || count)(value), 'value');
  v.dataset.metric = metric;
  v.dataset.value = String(value);
  c.appendChild(v);
  return c;
}
function code(text) { const td = el('td'); td.appendChild(el('code', text)); return td; }

function render(d) {
  const s = d.status;
  const live = d.live;
  const done = s.states.deleted.files + ((live && (live.keep_source || live.dry_run)) ? s.states.verified.files : 0);
  const cards = [
    card('Objects', 'totals.files', s.totals.files),
    card('Data', 'totals.bytes', s.totals.bytes, bytes),
    card('Deleted from S3', 'states.deleted.files', s.states.deleted.files),
    card('Done', 'done.files', done),
    card('In error', 'states.error.files', s.states.error.files),
  ];
  if (live) {
    cards.push(card('Throughput', 'live.bytes_per_second', live.bytes_per_second || 0, rate));
    cards.push(card('Transfers', 'live.active_transfers', live.active_transfers));
  }
  if (d.free_bytes !== null) cards.push(card('Free on destination', 'free_bytes', d.free_bytes, bytes));
  $('cards').replaceChildren(...cards);

  if (live) {
    $('block').textContent = live.progress_block;
  } else if (d.last_sample) {
    const last = d.last_sample;
    $('block').textContent = (d.run_active ? 'A migrate run is storing progress samples; as of the last one, at ' + last.at + ':\n'
        : 'No migrate run is storing progress samples now; the last one, at ' + last.at + ', showed:\n') + d.stored_block;
  } else {
    $('block').textContent = 'No migrate run has stored a progress sample yet: the figures below come from the state database.';
  }

  $('charts').innerHTML = d.charts.map((c) => c.svg).join('');  // rendered and escaped by the server

  head($('states'), ['State', 'Files', 'Bytes']);
  for (const [name, t] of Object.entries(s.states)) {
    $('states').appendChild(row([name, num('states.' + name + '.files', t.files), num('states.' + name + '.bytes', t.bytes, bytes)]));
  }
  $('states').appendChild(row([el('th', 'total'), num('totals.files', s.totals.files), num('totals.bytes', s.totals.bytes, bytes)]));

  head($('restores'), ['Tier', 'State', 'Files', 'Bytes', 'Requested since', 'Expires']);
  for (const r of d.restores) {
    $('restores').appendChild(row([r.tier, r.state, num('restores.' + r.tier + '.' + r.state + '.files', r.files),
      num('restores.' + r.tier + '.' + r.state + '.bytes', r.bytes, bytes), r.oldest_request || '',
      r.earliest_expiry ? (r.earliest_expiry === r.latest_expiry ? r.earliest_expiry : r.earliest_expiry + ' … ' + r.latest_expiry) : '']));
  }
  const g = s.glacier;
  let note = 'Waiting for a restore request: ' + count(g.need_restore.files) + ' objects (' + bytes(g.need_restore.bytes) +
    '); in flight: ' + count(g.restores_in_flight.files) + '. Tier: ' + d.restore_tier + '.';
  if (live && live.next_restore_check) note += ' Next check: ' + live.next_restore_check + '.';
  $('restore-note').textContent = note;
  $('restore-note').dataset.metric = 'glacier.restores_in_flight.files';
  $('restore-note').dataset.value = String(g.restores_in_flight.files);

  head($('buckets'), ['Bucket', 'Region', 'Listing', 'Files', 'Deleted', 'Error', 'Data']);
  for (const b of s.buckets) {
    const st = b.states || {};
    let files = 0, data = 0;
    for (const t of Object.values(st)) { files += t.files; data += t.bytes; }
    $('buckets').appendChild(row([b.name, b.region, b.scan_state + (b.last_error ? ': ' + b.last_error : ''),
      num('buckets.' + b.name + '.files', files), num('buckets.' + b.name + '.deleted', st.deleted ? st.deleted.files : 0),
      num('buckets.' + b.name + '.error', st.error ? st.error.files : 0), num('buckets.' + b.name + '.bytes', data, bytes)]));
  }

  const e = d.errors;
  $('errors-note').replaceChildren();
  if (e.total === 0) {
    $('errors-note').textContent = 'No object is in error.';
  } else {
    $('errors-note').append(count(e.total) + (e.total === 1 ? ' object' : ' objects') + ' in error' + (e.items.length < e.total ? ' (the ' + e.items.length + ' most recent below)' : '') +
      '. Retry all of them: ', el('code', e.retry_all_command));
  }
  head($('errors'), e.total ? ['Bucket', 'Key', 'Cause', 'Attempts', 'Retry this one'] : []);
  for (const x of e.items) {
    $('errors').appendChild(row([x.bucket, x.key, el('td', x.message, 'bad'), num('error.attempts', x.attempts), code(x.retry_command)]));
  }

  const c = s.cost_estimate;
  head($('costs'), ['Item', 'USD']);
  for (const [tier, r] of Object.entries(c.restore)) {
    $('costs').appendChild(row(['Restore, ' + tier + (tier === c.configured_tier ? ' (configured)' : ''), num('cost.restore.' + tier, r.total, usd)]));
  }
  $('costs').appendChild(row(['Requests', num('cost.requests', c.requests, usd)]));
  $('costs').appendChild(row(['Data transfer out', num('cost.transfer_out', c.transfer_out, usd)]));
  $('costs').appendChild(row(['Early deletion', num('cost.early_deletion', c.early_deletion, usd)]));
  $('costs').appendChild(row([el('th', 'Total'), num('cost.total', c.total, usd)]));

  $('database').textContent = s.database;
  $('generated').textContent = d.generated_at;
  document.body.dataset.generatedAt = d.generated_at;
  document.body.dataset.ready = '1';
  $('conn').textContent = live ? 'live: migrate is running' :
    (d.run_active ? 'from the state database (a migrate run is active)' : 'from the state database');
}

async function refresh() {
  try {
    const r = await fetch('/api/status', {headers: token ? {Authorization: 'Bearer ' + token} : {}, cache: 'no-store'});
    if (!r.ok) {
      $('conn').textContent = 'HTTP ' + r.status + ': ' + (await r.text());
    } else {
      render(await r.json());
    }
  } catch (err) {
    $('conn').textContent = 'disconnected (' + err + '); retrying';
  }
  setTimeout(refresh, 2000);
}
refresh();
)js";

}  // namespace

const std::vector<PageAsset>& PageAssets() {
  static const std::vector<PageAsset> assets = {
      {"/", "text/html; charset=utf-8", kHtml},
      {"/app.js", "text/javascript; charset=utf-8", kScript},
      {"/style.css", "text/css; charset=utf-8", kStyle},
  };
  return assets;
}

std::string_view PageStyle() { return kStyle; }

}  // namespace s3m::watch
