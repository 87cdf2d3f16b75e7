/**
 * Issue 12: OKTA_OCSF_SYSTEM_LOG and OKTA_OCSF_SYSTEM_LOG_MARGIN_SECONDS are validated with the
 * rest of the configuration (one line naming the variable), and reach the sync's input.
 */
import { syncInput } from '../../../src/cli/sync-runner';
import { loadConfig } from '../../../src/config';

const BASE = { OKTA_ORG_URL: 'https://acme.okta.com' };

describe('System Log configuration', () => {
  test('defaults: auto, 5 minutes of margin, passed to the sync input', () => {
    const r = loadConfig(BASE, { okta: 'url', sink: false });
    if (!r.ok) throw new Error(r.errors.join('; '));
    expect([r.config.systemLog, r.config.systemLogMarginMs]).toEqual(['auto', 300_000]);
    expect(syncInput(r.config, 'incremental')).toMatchObject({
      systemLog: 'auto',
      systemLogMarginMs: 300_000,
    });
  });

  test('off, required and a margin are read', () => {
    for (const mode of ['off', 'required', 'OFF'] as const) {
      const r = loadConfig(
        { ...BASE, OKTA_OCSF_SYSTEM_LOG: mode, OKTA_OCSF_SYSTEM_LOG_MARGIN_SECONDS: '60' },
        { okta: 'url', sink: false },
      );
      if (!r.ok) throw new Error(r.errors.join('; '));
      expect([r.config.systemLog, r.config.systemLogMarginMs]).toEqual([
        mode.toLowerCase(),
        60_000,
      ]);
    }
  });

  test('bad values are named, with what was expected', () => {
    const r = loadConfig(
      { ...BASE, OKTA_OCSF_SYSTEM_LOG: 'sometimes', OKTA_OCSF_SYSTEM_LOG_MARGIN_SECONDS: '-5' },
      { okta: 'url', sink: false },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      expect.stringMatching(/^OKTA_OCSF_SYSTEM_LOG: expected auto, required or off.*"sometimes"/),
      expect.stringMatching(/^OKTA_OCSF_SYSTEM_LOG_MARGIN_SECONDS: expected an integer.*"-5"/),
    ]);
  });
});
