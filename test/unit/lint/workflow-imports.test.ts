/**
 * Determinism is a lint rule, not a convention: ESLint refuses I/O imports in src/workflows
 * (eslint.config.mjs). The project's real ESLint lints probe sources under chosen file names, in
 * one child process (ESLint's config is an ES module, which jest's CommonJS runtime cannot load).
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '..', '..', '..');

interface Probe {
  filePath: string;
  code: string;
}

const LINT_SCRIPT = `
const { ESLint } = require('eslint');
const probes = JSON.parse(process.argv[1]);
(async () => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const out = [];
  for (const p of probes) {
    const [r] = await eslint.lintText(p.code, { filePath: p.filePath });
    out.push(r.messages.map((m) => m.message));
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
`;

function lint(probes: Probe[]): string[][] {
  const stdout = execFileSync(process.execPath, ['-e', LINT_SCRIPT, JSON.stringify(probes)], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return JSON.parse(stdout) as string[][];
}

const FORBIDDEN: Array<[string, string, string]> = [
  ["import { readFileSync } from 'node:fs';", 'readFileSync', 'node:fs'],
  ["import * as path from 'path';", 'path', 'path'],
  ["import axios from 'axios';", 'axios', 'axios'],
  ["import { Context } from '@temporalio/activity';", 'Context', '@temporalio/activity'],
  ["import { createActivities } from '../activities';", 'createActivities', '../activities'],
  ["import { OktaClient } from '../okta/client';", 'OktaClient', '../okta/client'],
];

describe('workflow import restrictions (eslint.config.mjs)', () => {
  let results: string[][];
  beforeAll(() => {
    results = lint([
      ...FORBIDDEN.map(([line, binding]) => ({
        filePath: 'src/workflows/probe.ts',
        code: `${line}\nexport const used = [${binding}];\n`,
      })),
      {
        filePath: 'src/workflows/probe.ts',
        code: "import type { SyncActivities } from '../activities';\nimport { makeSyncId } from '../sync/naming';\nexport type A = SyncActivities;\nexport const f = makeSyncId;\n",
      },
      {
        filePath: 'src/activities/probe.ts',
        code: "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n",
      },
    ]);
  }, 120_000);

  it.each(FORBIDDEN.map(([line, , name], i) => [line, name, i] as const))(
    'refuses %s in src/workflows',
    (_line, name, i) => {
      expect(results[i]).toEqual([expect.stringContaining(`'${name}' import is restricted`)]);
    },
  );

  it('allows type-only imports of I/O modules, and pure modules', () => {
    expect(results[FORBIDDEN.length]).toEqual([]);
  });

  it('leaves activity code free to do I/O', () => {
    expect(results[FORBIDDEN.length + 1]).toEqual([]);
  });
});
