// The local dashboard page: draws each snapshot the server pushes (local/dashboard/snapshot.ts says
// its shape). Plain script, no build step: uPlot is the only library and is served by the dashboard.
/* global uPlot */

// The last 15 minutes, as the console's live view: CloudWatch's 1-minute periods make a few points.
const WINDOW_SECONDS = 15 * 60;
// Compact figures (12K, 3.4M); a billion shows as G, so that the storage axis does not read as bytes.
const compactFormat = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const compact = { format: (v) => compactFormat.format(v).replace(/B$/, 'G') };
const COLORS = ['#0073bb', '#ec7211', '#1d8102', '#d13212', '#8456ce', '#687078'];
const charts = new Map();
let snapshots = 0;
let previousPositions = new Map();

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function fillTable(id, rows, toCells, empty) {
  const body = document.querySelector(`#${id} tbody`);
  body.replaceChildren();
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = cell(empty, 'muted');
    td.colSpan = document.querySelectorAll(`#${id} th`).length;
    tr.append(td);
    body.append(tr);
    return;
  }
  for (const row of rows) {
    const tr = document.createElement('tr');
    const { cells, attributes } = toCells(row);
    tr.append(...cells);
    for (const [name, value] of Object.entries(attributes ?? {})) tr.setAttribute(name, value);
    body.append(tr);
  }
}

const time = (iso) => new Date(iso).toLocaleTimeString();
const ms = (value) => (value === undefined || value === null ? '–' : Math.round(value).toLocaleString());

/** Columns of x values (epoch seconds) and one y column per local series, null where it has no point. */
function alignedData(series) {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  return [
    xs,
    ...series.map((s) => {
      const byX = new Map(s.points.map((p) => [p[0], p[1]]));
      return xs.map((x) => byX.get(x) ?? null);
    }),
  ];
}

function renderWidget(container, widget, key) {
  let card = container.querySelector(`[data-key="${key}"]`);
  if (!card) {
    card = document.createElement('div');
    card.className = 'widget';
    card.dataset.key = key;
    card.dataset.widget = widget.title;
    card.style.gridColumn = `span ${widget.width}`;
    const title = document.createElement('h3');
    title.textContent = widget.title;
    const body = document.createElement('div');
    const legend = document.createElement('ul');
    card.append(title, body, legend);
    container.append(card);
  }
  const [, body, legend] = card.children;
  const local = widget.series.filter((s) => !s.awsOnly);
  const withData = local.filter((s) => s.points.length > 0);
  card.dataset.localSeries = String(local.length);
  card.dataset.seriesWithData = String(withData.length);
  card.dataset.awsOnly = String(local.length === 0);

  legend.replaceChildren(
    ...widget.series.map((s) => {
      const li = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = s.awsOnly ? 'transparent' : COLORS[local.indexOf(s) % COLORS.length];
      li.append(swatch, `${s.label}: ${s.awsOnly ? `AWS only (${s.source})` : s.source}`);
      if (s.awsOnly || s.points.length === 0) li.className = 'none';
      return li;
    }),
  );

  if (local.length === 0) {
    if (!body.classList.contains('aws-only')) {
      body.className = 'aws-only';
      body.textContent = 'AWS only: no local counterpart';
    }
    return;
  }
  const data = alignedData(local);
  let chart = charts.get(key);
  if (!chart || chart.series.length !== local.length + 1) {
    chart?.destroy();
    body.className = 'chart';
    body.replaceChildren();
    chart = new uPlot(
      {
        width: Math.max(body.clientWidth, 200),
        height: 150,
        legend: { show: false },
        scales: {
          x: { time: true, range: () => [Date.now() / 1000 - WINDOW_SECONDS, Date.now() / 1000 + 60] },
          y: {
            range: (_u, min, max) => [
              widget.yAxis.min ?? Math.min(min * 1.1, 0),
              widget.yAxis.max ?? Math.max(max * 1.1, 1),
            ],
          },
        },
        series: [
          {},
          ...local.map((s, i) => ({
            label: s.label,
            stroke: COLORS[i % COLORS.length],
            width: 2,
            points: { show: true, size: 5 },
          })),
        ],
        axes: [{}, { size: 50, values: (_u, values) => values.map((v) => compact.format(v)) }],
      },
      data,
      body,
    );
    charts.set(key, chart);
  } else {
    chart.setData(data);
  }
}

function render(snapshot) {
  snapshots++;
  document.body.dataset.snapshots = String(snapshots);
  document.body.dataset.final = String(snapshot.final);
  const status = document.getElementById('status');
  status.textContent = snapshot.final
    ? `run ended · last update ${new Date(snapshot.at).toLocaleTimeString()}`
    : `live · ${new Date(snapshot.at).toLocaleTimeString()}`;
  status.className = `status ${snapshot.final ? 'ended' : 'live'}`;

  const widgets = document.getElementById('widgets');
  snapshot.rows.forEach((row, r) => {
    row.forEach((widget, w) => {
      renderWidget(widgets, widget, `${r}-${w}`);
    });
  });

  const figure = (value) => cell(value ?? '—', `num${value?.startsWith('-') ? ' negative' : ''}`);
  fillTable(
    'results',
    snapshot.results,
    (p) => ({
      cells: [
        cell(p.branch),
        cell(p.currency),
        figure(p.position),
        figure(p.averageRate),
        figure(p.realized),
        figure(p.unrealized),
        figure(p.total),
        cell(p.status),
      ],
      attributes: { 'data-branch': p.branch, 'data-currency': p.currency, 'data-total': p.total ?? '' },
    }),
    'no position yet',
  );

  const positions = new Map(snapshot.positions.map((p) => [`${p.branch}|${p.currency}`, p.netAmount]));
  fillTable(
    'positions',
    snapshot.positions,
    (p) => ({
      cells: [
        cell(p.branch),
        cell(p.currency),
        cell(p.netAmount, `num${p.netAmount.startsWith('-') ? ' negative' : ''}`),
        cell(Number(p.txCount).toLocaleString(), 'num'),
        cell(time(p.updatedAt)),
      ],
      attributes: {
        'data-branch': p.branch,
        'data-currency': p.currency,
        'data-net-amount': p.netAmount,
        'data-tx-count': p.txCount,
        class: previousPositions.get(`${p.branch}|${p.currency}`) === p.netAmount ? '' : 'changed',
      },
    }),
    'no position yet',
  );
  previousPositions = positions;

  fillTable(
    'lag',
    snapshot.lag,
    (l) => ({ cells: [cell(String(l.partition)), cell(l.lag.toLocaleString(), 'num')] }),
    'not read yet',
  );
  fillTable(
    'retries',
    snapshot.retries,
    (r) => ({
      cells: [
        cell(time(r.at)),
        cell(String(r.partition)),
        cell(String(r.fromOffset), 'num'),
        cell(String(r.attempt), 'num'),
        cell(r.error),
      ],
    }),
    'no retry',
  );
  fillTable(
    'rejects',
    snapshot.rejects,
    (r) => ({
      cells: [cell(time(r.at)), cell(String(r.partition)), cell(r.offset, 'num'), cell(r.reason)],
    }),
    'no rejected record',
  );
  fillTable(
    'batches',
    snapshot.batches,
    (b) => ({
      cells: [
        cell(b.batchId),
        cell(time(b.committedAt)),
        cell(b.partitions),
        cell(b.records.toLocaleString(), 'num'),
        cell(b.applied.toLocaleString(), 'num'),
        cell(b.rejected.toLocaleString(), 'num'),
        cell(ms(b.processingMs), 'num'),
        cell(ms(b.delayMs), 'num'),
      ],
    }),
    'no batch yet',
  );
}

const events = new EventSource('/events');
events.addEventListener('snapshot', (message) => {
  const snapshot = JSON.parse(message.data);
  render(snapshot);
  if (snapshot.final) events.close();
});
events.onerror = () => {
  const status = document.getElementById('status');
  if (document.body.dataset.final !== 'true') {
    status.textContent = 'connection lost: is npm start still running?';
    status.className = 'status lost';
  }
};
