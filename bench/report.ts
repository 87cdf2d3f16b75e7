/**
 * What a benchmark run leaves behind: a table on stdout, `bench/results/<date>.json` (every
 * figure, machine-readable) and `bench/results/<date>.svg` (users per second per scenario,
 * hand-written SVG).
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Comparison } from './compare';
import { cpuMsPerUser, type Profile, type Projection, type ScenarioOutcome } from './scenarios';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  totalMemoryBytes: number;
  platform: string;
  node: string;
  /** 1/5/15-minute load averages when the benchmark started and ended (others share the box). */
  loadAverageStart: number[];
  loadAverageEnd: number[];
}

export interface BenchResults {
  schema: 'okta-ocsf-bench/1';
  startedAt: string;
  finishedAt: string;
  size: string;
  command: string;
  /** `BENCH_WORKER_NODE_ARGS` of the run, if any (absent from results written before it). */
  workerNodeArgs?: string | null;
  git: { commit: string | null; dirty: boolean | null };
  /** The commit the `baseline` profile ran, when it ran. */
  baseline: { ref: string; commit: string } | null;
  profiles: Record<string, Profile>;
  machine: MachineInfo;
  outcomes: ScenarioOutcome[];
  /** Bulk against per-user on the same tenants (issue 11); null unless both profiles ran. */
  comparison: Comparison | null;
}

export function machineInfo(loadAverageStart: number[]): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemoryBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    loadAverageStart,
    loadAverageEnd: os.loadavg(),
  };
}

interface Row {
  cells: string[];
}

const HEAD = [
  'scenario',
  'profile',
  'users',
  'time s',
  'users/s',
  'calls/user',
  '429 %',
  'key figure',
  'CPU ms/user',
  'RSS MB',
  'max events',
  'runs',
  'targets',
];

function fmt(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  return v.toFixed(digits);
}

function keyFigure(o: ScenarioOutcome): string {
  const f = o.figures;
  switch (o.scenario) {
    case 'rate-limited':
    case 'rate-limited-per-template':
    case 'rate-limited-users-family':
      return `efficiency ${fmt(f.efficiency as number, 2)} (bound ${fmt(f.lowerBoundSeconds as number)} s, ${String(f.bindingBucket)})`;
    case 'unthrottled':
      return `${fmt(f.pipelineToBareWalk as number, 2)} × bare walk (${fmt(f.bareWalkUsersPerSecond as number, 0)} users/s)`;
    case 'api-calls':
      return `${fmt(f.apiCallsPerUser as number, 2)}/user vs naive ${fmt(f.naiveCallsPerUser as number, 2)}, allowed ${fmt(f.allowedCallsPerUser as number, 2)}; most-used per-user endpoint ${fmt(f.mostUsedPerUserEndpointCallsPerUser as number, 2)}/user`;
    case 'scale':
      return o.projection
        ? `1M users: ${hours(o.projection.projectedSeconds)} (${o.projection.bindingBucket} bound)`
        : '';
  }
}

/** The projection under Okta's Terraform provider's reading of the buckets. */
function usersFamily(p: Projection): string {
  return `; if Okta counted everything under /api/v1/users as one users bucket: ${hours(p.usersFamilyRateLimitSeconds)} on ${p.usersFamilyBindingWindow}`;
}

function hours(s: number): string {
  return s >= 3600 ? `${(s / 3600).toFixed(1)} h` : `${(s / 60).toFixed(1)} min`;
}

export function tableRows(outcomes: ScenarioOutcome[]): Row[] {
  const rows: Row[] = [];
  for (const o of outcomes) {
    const targets = o.targets
      .map((t) => (t.met === null ? '?' : t.met ? 'met' : 'MISSED'))
      .join(', ');
    o.runs.forEach((r, i) => {
      const requests = r.simulator.requests;
      rows.push({
        cells: [
          o.runs.length > 1 ? `${o.scenario} ${r.sync.users}` : o.scenario,
          o.profile,
          String(r.sync.users),
          fmt(r.durationMs / 1000),
          fmt(r.usersPerSecond, 0),
          fmt(r.sync.users > 0 ? requests / r.sync.users : null, 2),
          fmt(requests > 0 ? (100 * r.simulator.rateLimited) / requests : null, 2),
          i === o.runs.length - 1 ? keyFigure(o) : '',
          fmt(cpuMsPerUser(r), 2),
          fmt(mb(r.worker.peakRssBytes ?? r.worker.sampledPeakRssBytes), 0),
          String(r.temporal.largestRunEvents),
          String(r.temporal.runs.length),
          i === o.runs.length - 1 ? targets : '',
        ],
      });
    });
  }
  return rows;
}

function mb(b: number | null): number | null {
  return b === null ? null : b / (1024 * 1024);
}

/** Plain text, aligned; also valid as a Markdown table. */
export function renderTable(outcomes: ScenarioOutcome[]): string {
  const rows = [HEAD, ...tableRows(outcomes).map((r) => r.cells)];
  const widths = HEAD.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    line(rows[0] ?? []),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

export function renderTargets(outcomes: ScenarioOutcome[]): string {
  const lines: string[] = [];
  for (const o of outcomes) {
    for (const t of o.targets) {
      const verdict = t.met === null ? 'unknown' : t.met ? 'met' : 'MISSED';
      lines.push(
        `${o.scenario} [${o.profile}] ${t.name}: ${fmt(t.value, 3)} (goal ${t.goal}) — ${verdict}`,
      );
    }
    if (o.projection) {
      const p = o.projection;
      lines.push(
        `${o.scenario} [${o.profile}] projection to ${p.users} users: throughput ${hours(p.throughputSeconds)}, ` +
          `rate limits (Enterprise, share ${p.share}) ${hours(p.rateLimitSeconds)} on ${p.bindingBucket}, ` +
          `→ ${hours(p.projectedSeconds)}; ` +
          `if Okta counted each endpoint apart: ${hours(p.perTemplateRateLimitSeconds)} on ${p.bindingTemplate}` +
          usersFamily(p),
      );
    }
  }
  return lines.join('\n');
}

const COMPARISON_HEAD = [
  'scenario',
  'users',
  'bulk users/s',
  'per-user users/s',
  'ratio',
  'bulk calls/user',
  'per-user calls/user',
  'efficiency bulk / per-user',
  '429 % bulk / per-user',
  'RSS MB bulk / per-user',
];

function pct(v: number | null): string {
  return v === null ? '-' : (100 * v).toFixed(2);
}

/** Bulk against per-user, one row per scenario (and size), then the targets and projections. */
export function renderComparison(c: Comparison | null): string {
  if (!c) return '';
  const rows = c.rows.map((r) => [
    r.scenario,
    String(r.users),
    fmt(r.bulkUsersPerSecond, 0),
    fmt(r.perUserUsersPerSecond, 0),
    fmt(r.usersPerSecondRatio, 2),
    fmt(r.bulkCallsPerUser, 2),
    fmt(r.perUserCallsPerUser, 2),
    r.bulkEfficiency === null
      ? '-'
      : `${fmt(r.bulkEfficiency, 2)} / ${fmt(r.perUserEfficiency, 2)}`,
    r.bulk429Share === null ? '-' : `${pct(r.bulk429Share)} / ${pct(r.perUser429Share)}`,
    `${fmt(r.bulkPeakRssMB, 0)} / ${fmt(r.perUserPeakRssMB, 0)}`,
  ]);
  const all = [COMPARISON_HEAD, ...rows];
  const widths = COMPARISON_HEAD.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const out = [
    `Bulk (${c.bulk}) against per-user (${c.perUser}), same tenants, this run:`,
    line(COMPARISON_HEAD),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
    '',
  ];
  for (const t of c.targets) {
    const verdict = t.met === null ? 'unknown' : t.met ? 'met' : 'MISSED';
    out.push(`${t.name}: ${fmt(t.value, 3)} (goal ${t.goal}) — ${verdict}`);
  }
  if (c.projection) {
    for (const [name, p] of [
      ['bulk', c.projection.bulk],
      ['per-user', c.projection.perUser],
    ] as const) {
      out.push(
        `1,000,000 users, ${name}: ${hours(p.projectedSeconds)} (Enterprise budgets as Okta's buckets, share ${p.share}: ` +
          `${hours(p.rateLimitSeconds)} on ${p.bindingBucket}; ` +
          `throughput alone ${hours(p.throughputSeconds)}); if Okta counted each endpoint apart: ${hours(p.perTemplateRateLimitSeconds)} (${p.bindingTemplate})` +
          usersFamily(p),
      );
    }
  }
  return out.join('\n');
}

// ---- chart ---------------------------------------------------------------------------------

interface Bar {
  label: string;
  value: number;
  kind: 'baseline' | 'tuned' | 'other' | 'bare';
}

const COLORS: Record<Bar['kind'], string> = {
  baseline: '#9aa5b1',
  tuned: '#1f6feb',
  other: '#d97706',
  bare: '#2da44e',
};

/** Side by side: per scenario and tenant size, the baseline, this checkout, then the bare walks. */
function bars(outcomes: ScenarioOutcome[]): Bar[] {
  const out: (Bar & { group: string; order: number })[] = [];
  const scenarioOrder = new Map<string, number>();
  for (const o of outcomes) {
    if (!scenarioOrder.has(o.scenario)) scenarioOrder.set(o.scenario, scenarioOrder.size);
  }
  const group = (o: ScenarioOutcome, users: number): string =>
    `${scenarioOrder.get(o.scenario)}-${String(users).padStart(9, '0')}`;
  for (const o of outcomes) {
    const kind = o.profile === 'baseline' || o.profile === 'tuned' ? o.profile : 'other';
    for (const r of o.runs) {
      out.push({
        label: `${o.scenario} ${r.sync.users} · ${o.profile}`,
        value: r.usersPerSecond,
        kind,
        group: group(o, r.sync.users),
        order: { baseline: 0, tuned: 1, other: 2 }[kind],
      });
    }
    if (o.bareWalk) {
      out.push({
        label: `${o.scenario} ${o.bareWalk.users} · bare walk (beside ${o.profile})`,
        value: o.bareWalk.usersPerSecond,
        kind: 'bare',
        group: group(o, o.bareWalk.users),
        order: { baseline: 3, tuned: 4, other: 5 }[kind],
      });
    }
  }
  return out.sort((a, b) => (a.group === b.group ? a.order - b.order : a.group < b.group ? -1 : 1));
}

function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** Horizontal bars of users per second, one per run, grouped by scenario. */
export function renderSvg(results: BenchResults): string {
  const data = bars(results.outcomes);
  const labelW = 330;
  const chartW = 520;
  const rowH = 24;
  const top = 64;
  const height = top + data.length * rowH + 70;
  const width = labelW + chartW + 90;
  const max = Math.max(1, ...data.map((b) => b.value));
  const step = niceStep(max / 5);
  const ticks: number[] = [];
  for (let v = 0; v <= max + step / 2; v += step) ticks.push(v);
  const scaleMax = ticks[ticks.length - 1] ?? max;
  const x = (v: number): number => labelW + (v / scaleMax) * chartW;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="12" y="24" font-size="16" font-weight="bold">okta-ocsf benchmark: users per second of a full sync</text>`,
    `<text x="12" y="44" fill="#555">${esc(`${results.startedAt} · ${results.size} size · ${results.machine.cpus} cores (${results.machine.cpuModel}), shared machine · higher is better`)}</text>`,
  );
  for (const t of ticks) {
    const tx = x(t);
    parts.push(
      `<line x1="${tx.toFixed(1)}" y1="${top - 6}" x2="${tx.toFixed(1)}" y2="${top + data.length * rowH}" stroke="#e5e7eb"/>`,
      `<text x="${tx.toFixed(1)}" y="${top + data.length * rowH + 16}" text-anchor="middle" fill="#555">${t}</text>`,
    );
  }
  data.forEach((b, i) => {
    const y = top + i * rowH;
    const w = Math.max(1, x(b.value) - labelW);
    parts.push(
      `<text x="${labelW - 8}" y="${y + 16}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${labelW}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${COLORS[b.kind]}"><title>${esc(`${b.label}: ${b.value.toFixed(1)} users/s`)}</title></rect>`,
      `<text x="${(labelW + w + 6).toFixed(1)}" y="${y + 16}" fill="#333">${b.value.toFixed(0)}</text>`,
    );
  });
  const ly = top + data.length * rowH + 40;
  let lx = 12;
  const kinds = new Set(data.map((b) => b.kind));
  for (const [kind, name] of [
    ['baseline', 'pipeline, baseline commit'],
    ['tuned', 'pipeline, this checkout'],
    ['other', 'pipeline, another profile'],
    ['bare', 'bare walk (no Temporal)'],
  ] as const) {
    if (!kinds.has(kind)) continue;
    parts.push(
      `<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${COLORS[kind]}"/>`,
      `<text x="${lx + 18}" y="${ly}">${name}</text>`,
    );
    lx += 220;
  }
  parts.push(`<text x="${labelW}" y="${ly + 22}" fill="#555">users/s</text>`, '</svg>');
  return `${parts.join('\n')}\n`;
}

function niceStep(raw: number): number {
  const pow = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-9)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

export async function writeResults(
  dir: string,
  results: BenchResults,
): Promise<{ json: string; svg: string }> {
  await fs.mkdir(dir, { recursive: true });
  const stamp = results.startedAt.replace(/:/g, '-').replace(/\.\d{3}Z$/, 'Z');
  const json = path.join(dir, `${stamp}.json`);
  const svg = path.join(dir, `${stamp}.svg`);
  await fs.writeFile(json, `${JSON.stringify(results, null, 2)}\n`);
  await fs.writeFile(svg, renderSvg(results));
  return { json, svg };
}
