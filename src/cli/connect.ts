/** A Temporal client for the CLI, with the same data converter (encryption) as the worker. */
import { Client, Connection } from '@temporalio/client';
import { dataConverterFor } from '../codec/data-converter';
import type { AppConfig } from '../config';

export interface ConnectedClient {
  client: Client;
  close(): Promise<void>;
}

export async function connectClient(config: AppConfig): Promise<ConnectedClient> {
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address: config.temporal.address,
      connectTimeout: '10 seconds',
    });
  } catch (err) {
    throw new Error(
      `cannot reach Temporal at ${config.temporal.address} (TEMPORAL_ADDRESS): ${(err as Error).message}. ` +
        'Start one with `make dev-server` or set TEMPORAL_ADDRESS.',
    );
  }
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: dataConverterFor(config.keyring),
  });
  return { client, close: () => connection.close() };
}
