/**
 * The smallest workflow that leaves a real history: one activity call and its result. Used by
 * the integration tests of the dev-server setup; bundled through `workflowsPath`.
 */
import { proxyActivities } from '@temporalio/workflow';

export interface EchoActivities {
  shout(text: string): Promise<string>;
}

const { shout } = proxyActivities<EchoActivities>({ startToCloseTimeout: '10 seconds' });

export async function echo(text: string): Promise<string> {
  return `echo: ${await shout(text)}`;
}
