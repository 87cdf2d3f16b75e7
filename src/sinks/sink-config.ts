/**
 * Chooses and builds the sink named by `OCSF_SINK` (default `file:./out`).
 *
 * To add a sink (a webhook, a queue): write one module exporting a `SinkDefinition` and add it to
 * `SINK_DEFINITIONS`. Parsing, error messages, `SinkConfig` and `createSink` follow from the list.
 */

import { fileSinkDefinition } from './file-sink';
import { sekoiaSinkDefinition } from './sekoia-sink';
import type { EventSink, SinkDefinition, SinkDeps } from './sink';
import { stdoutSinkDefinition } from './stdout-sink';

export const SINK_DEFINITIONS = [
  fileSinkDefinition,
  stdoutSinkDefinition,
  sekoiaSinkDefinition,
] as const;

export const DEFAULT_OCSF_SINK = 'file:./out';

type ConfigOf<D> =
  D extends SinkDefinition<infer Kind, infer Settings>
    ? {
        readonly kind: Kind;
        readonly settings: Settings;
        /** One line for logs, without secrets (API keys are `Secret`s, redacted in JSON too). */
        readonly description: string;
      }
    : never;

/** A parsed sink choice; `kind` tells which `settings` it carries. */
export type SinkConfig = ConfigOf<(typeof SINK_DEFINITIONS)[number]>;

export type SinkKind = SinkConfig['kind'];

// Widened once here: each definition's `create` only ever receives the settings its own `parse`
// produced, which `SinkConfig` pairs by `kind`.
const definitions: readonly SinkDefinition<string, unknown>[] = SINK_DEFINITIONS;

export function parseSinkConfig(
  env: NodeJS.ProcessEnv,
): { ok: true; config: SinkConfig } | { ok: false; errors: string[] } {
  const raw = (env.OCSF_SINK ?? '').trim() || DEFAULT_OCSF_SINK;
  const colon = raw.indexOf(':');
  const kind = colon < 0 ? raw : raw.slice(0, colon);
  const arg = colon < 0 ? undefined : raw.slice(colon + 1);
  const definition = definitions.find((d) => d.kind === kind);
  if (definition === undefined) {
    return {
      ok: false,
      errors: [
        `OCSF_SINK: expected one of ${definitions.map((d) => d.syntax).join(', ')}; ` +
          `got ${JSON.stringify(raw.slice(0, 100))}`,
      ],
    };
  }
  const parsed = definition.parse(arg, env);
  if (!parsed.ok) return parsed;
  const config = {
    kind: definition.kind,
    settings: parsed.settings,
    description: definition.describe(parsed.settings),
  };
  // The definition found by `kind` produced these settings, so the pair is a valid SinkConfig.
  return { ok: true, config: config as SinkConfig };
}

export function createSink(config: SinkConfig, deps: SinkDeps = {}): EventSink {
  const definition = definitions.find((d) => d.kind === config.kind);
  if (definition === undefined) throw new Error(`unknown sink kind ${JSON.stringify(config.kind)}`);
  return definition.create(config.settings, deps);
}
