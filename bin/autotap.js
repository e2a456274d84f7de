#!/usr/bin/env node
// The CLI is TypeScript run by Node's own type stripping, so it needs the Node the project installs.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `autotap needs Node 24 or later (this is ${process.version}); run it through npm: npx autotap ... or npm start\n`,
  );
  // 2: could not run, as for every command (cli/errors.ts, EXIT).
  process.exit(2);
}
// The operator commands (cli/) with the local AWS's own (simulate, demo, bench, plan --scenario).
const { main } = await import('../cli/main.ts');
const { commands } = await import('../local/commands.ts');
process.exitCode = await main(process.argv.slice(2), commands);
