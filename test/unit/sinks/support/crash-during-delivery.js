/**
 * Child process of file-sink.test.ts: delivers one page through the real FileSink and is killed
 * (SIGKILL: no cleanup, no finally, no exit handlers) at the instant between the flushed write of
 * the temporary file and the rename — what a crash or a power cut at the worst moment leaves.
 *
 * Usage: node crash-during-delivery.js <dir> <syncId> <partId> <events.json>
 */
const fs = require('node:fs');
const { transformSync } = require('@swc/core');

// Load the TypeScript sources directly, compiled the way jest compiles them.
require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

const { FileSink } = require('../../../../src/sinks/file-sink.ts');

const [dir, syncId, partId, eventsFile] = process.argv.slice(2);
const events = JSON.parse(fs.readFileSync(eventsFile, 'utf8'));
const sink = new FileSink(
  { dir },
  {
    beforeRename: () => {
      process.kill(process.pid, 'SIGKILL');
    },
  },
);
sink.deliver({ syncId, partId, events }).then(
  () => process.exit(0), // reaching this means the hook did not run: the test fails on the exit code
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
