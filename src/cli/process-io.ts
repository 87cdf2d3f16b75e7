/**
 * The process edges that long-running commands (the simulator, the codec server) share: output
 * streams, and the wait for the signal that asks them to stop. Commands take these through an
 * injectable object so tests can run them in-process.
 */

export interface ProcessOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const processOutput: ProcessOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Resolves with the signal's name at the first SIGINT or SIGTERM, then stops listening. */
export function waitForShutdownSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
