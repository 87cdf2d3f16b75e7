import type { UserInventoryInfo } from '../ocsf/types';

/**
 * One JSON document per line, each line ending in `\n`. `JSON.stringify` escapes every control
 * character inside strings, so an event can never span two lines.
 */
export function toNdjson(events: readonly UserInventoryInfo[]): string {
  let out = '';
  for (const event of events) out += `${JSON.stringify(event)}\n`;
  return out;
}
