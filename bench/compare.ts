/**
 * Issue 11's cross-profile figures: the bulk enrichment strategy (`tuned`, the default for full
 * syncs) against the per-user strategy (`per-user`) on the same tenants, measured in one
 * benchmark run. Every ratio is computed from the two outcomes' own runs; nothing here runs a
 * sync.
 */
import {
  callsPerUserByEndpoint,
  mostUsedPerUserEndpoint,
  type ProfileName,
  type Projection,
  type ScenarioName,
  type ScenarioOutcome,
  type Target,
} from './scenarios';

/** The pair compared: bulk (this checkout's default) against the per-user strategy. */
export const BULK: ProfileName = 'tuned';
export const PER_USER: ProfileName = 'per-user';

/** Users/s of bulk ÷ per-user each scenario must reach (issue 11, "What it must show"). */
const RATIO_GOALS: Partial<Record<ScenarioName, number>> = {
  'rate-limited': 2.5,
  'rate-limited-per-template': 2.5,
  'rate-limited-users-family': 2.5,
  unthrottled: 2,
};
/** Calls per user in the most-used per-user endpoint family, bulk, api-calls scenario. */
const FAMILY_GOAL = 1.05;
const RSS_LIMIT_MB = 400;

export interface ComparisonRow {
  scenario: string;
  users: number;
  bulkUsersPerSecond: number;
  perUserUsersPerSecond: number;
  /** bulk ÷ per-user users/s. */
  usersPerSecondRatio: number | null;
  bulkCallsPerUser: number | null;
  perUserCallsPerUser: number | null;
  /** Rate-limited scenarios: efficiency against each run's own bound, and the 429 share. */
  bulkEfficiency: number | null;
  perUserEfficiency: number | null;
  bulk429Share: number | null;
  perUser429Share: number | null;
  bulkPeakRssMB: number | null;
  perUserPeakRssMB: number | null;
}

export interface Comparison {
  bulk: ProfileName;
  perUser: ProfileName;
  rows: ComparisonRow[];
  /** Per scenario, calls per listed user per endpoint template, for both strategies. */
  callsPerUserByEndpoint: Record<
    string,
    { bulk: Record<string, number>; perUser: Record<string, number> }
  >;
  targets: Target[];
  /** The 1,000,000-user projections of the scale scenario, side by side. */
  projection: { bulk: Projection; perUser: Projection } | null;
}

function num(v: number | string | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function rssMB(o: ScenarioOutcome, i: number): number | null {
  const r = o.runs[i];
  const b = r ? (r.worker.peakRssBytes ?? r.worker.sampledPeakRssBytes) : null;
  return b === null ? null : b / (1024 * 1024);
}

function ratio(a: number, b: number): number | null {
  return b > 0 ? a / b : null;
}

/** Null unless the run holds both profiles. */
export function compareProfiles(outcomes: ScenarioOutcome[]): Comparison | null {
  const find = (scenario: ScenarioName, profile: ProfileName): ScenarioOutcome | undefined =>
    outcomes.find((o) => o.scenario === scenario && o.profile === profile);
  const pairs = [...new Set(outcomes.map((o) => o.scenario))].flatMap((scenario) => {
    const bulk = find(scenario, BULK);
    const perUser = find(scenario, PER_USER);
    return bulk && perUser ? [{ scenario, bulk, perUser }] : [];
  });
  if (pairs.length === 0) return null;
  const rows: ComparisonRow[] = [];
  const calls: Comparison['callsPerUserByEndpoint'] = {};
  const targets: Target[] = [];
  let projection: Comparison['projection'] = null;
  for (const { scenario, bulk, perUser } of pairs) {
    bulk.runs.forEach((b, i) => {
      const p = perUser.runs[i];
      if (!p) return;
      const label = bulk.runs.length > 1 ? `${scenario} ${b.sync.users}` : scenario;
      rows.push({
        scenario: label,
        users: b.sync.users,
        bulkUsersPerSecond: b.usersPerSecond,
        perUserUsersPerSecond: p.usersPerSecond,
        usersPerSecondRatio: ratio(b.usersPerSecond, p.usersPerSecond),
        bulkCallsPerUser: b.sync.users > 0 ? b.simulator.requests / b.sync.users : null,
        perUserCallsPerUser: p.sync.users > 0 ? p.simulator.requests / p.sync.users : null,
        bulkEfficiency: num(bulk.figures.efficiency),
        perUserEfficiency: num(perUser.figures.efficiency),
        bulk429Share: num(bulk.figures.rateLimitedShare),
        perUser429Share: num(perUser.figures.rateLimitedShare),
        bulkPeakRssMB: rssMB(bulk, i),
        perUserPeakRssMB: rssMB(perUser, i),
      });
      calls[label] = { bulk: callsPerUserByEndpoint(b), perUser: callsPerUserByEndpoint(p) };
    });
    const goal = RATIO_GOALS[scenario];
    const b0 = bulk.runs[0];
    const p0 = perUser.runs[0];
    if (goal !== undefined && b0 && p0) {
      const r = ratio(b0.usersPerSecond, p0.usersPerSecond);
      targets.push({
        name: `${scenario}: users/s, bulk ÷ per-user`,
        goal: `≥ ${goal}`,
        value: r,
        met: r === null ? null : r >= goal,
      });
    }
    if (scenario === 'api-calls' && b0) {
      const f = mostUsedPerUserEndpoint(b0);
      targets.push({
        name: `api-calls: bulk calls per user in the most-used per-user endpoint (${f.template})`,
        goal: `≤ ${FAMILY_GOAL}`,
        value: f.callsPerUser,
        met: f.callsPerUser === null ? null : f.callsPerUser <= FAMILY_GOAL,
      });
    }
    if (scenario === 'scale') {
      const last = bulk.runs.length - 1;
      const peak = rssMB(bulk, last);
      targets.push({
        name: `scale: bulk worker peak RSS at ${bulk.runs[last]?.sync.users ?? '?'} users (MB)`,
        goal: `< ${RSS_LIMIT_MB}`,
        value: peak,
        met: peak === null ? null : peak < RSS_LIMIT_MB,
      });
      if (bulk.projection && perUser.projection) {
        projection = { bulk: bulk.projection, perUser: perUser.projection };
      }
    }
  }
  return {
    bulk: BULK,
    perUser: PER_USER,
    rows,
    callsPerUserByEndpoint: calls,
    targets,
    projection,
  };
}
