#!/usr/bin/env node
/**
 * `okta-ocsf`: the operator CLI. Each command lives in its own module; this file only assembles
 * them. Exit codes: 0 success, 1 failure, 2 bad configuration or arguments.
 */
import { Command } from 'commander';
import pkg from '../package.json';
import { codecServerCommand, keygenCommand } from './codec/command';
import { demoCommand } from './cli/demo-command';
import { scheduleCommand } from './cli/schedule-command';
import { resyncCommand, statusCommand, syncCommand, workerCommand } from './cli/sync-commands';
import { simulateCommand } from './simulator/command';

export function buildProgram(): Command {
  const program = new Command('okta-ocsf')
    .description(
      'Durable sync of an Okta tenant’s users to OCSF User Inventory Info events (class 5003), on Temporal.\n' +
        'Configuration comes from the environment; see README "Configuration".',
    )
    .version(pkg.version);
  for (const cmd of [
    workerCommand(),
    syncCommand(),
    resyncCommand(),
    statusCommand(),
    scheduleCommand(),
    simulateCommand(),
    demoCommand(),
    codecServerCommand(),
    keygenCommand(),
  ]) {
    program.addCommand(cmd);
  }
  applyToAll(program, (c) =>
    c.showHelpAfterError('(add --help for usage)').exitOverride((err) => {
      // commander's own usage errors (unknown option, bad choice) are like bad configuration: 2.
      const usage = err.code.startsWith('commander.') && err.exitCode !== 0;
      process.exit(usage ? 2 : err.exitCode);
    }),
  );
  return program;
}

function applyToAll(cmd: Command, fn: (c: Command) => void): void {
  fn(cmd);
  for (const sub of cmd.commands) applyToAll(sub, fn);
}

if (require.main === module) {
  // `okta-ocsf status | head`: the reader went away; that is not an error of ours.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  void buildProgram().parseAsync(process.argv);
}
