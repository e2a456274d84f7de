/**
 * `npm run package [-- --stage <stage>] [other serverless options]`: packages the service offline.
 *
 * Runs `serverless package --stage <stage>` (default dev) on the project's Node 24 with dummy AWS
 * credentials and a region when none are set: packaging calls no AWS API, but the AWS provider
 * insists on credentials. The template and the zips land in `.serverless/`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Node 24 from the `node` package when present: the machine's own Node may be older. */
const localNode = path.join(root, 'node_modules', 'node', 'bin', 'node');
const node = existsSync(localNode) ? localNode : process.execPath;
const serverless = path.join(root, 'node_modules', 'osls', 'bin', 'serverless.js');

const args = process.argv.slice(2);
if (!args.some((arg) => arg === '--stage' || arg === '-s' || arg.startsWith('--stage='))) args.push('--stage', 'dev');

const env = { ...process.env };
env.AWS_ACCESS_KEY_ID ??= 'offline-packaging-key';
env.AWS_SECRET_ACCESS_KEY ??= 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
env.AWS_REGION ??= 'us-east-1';
env.AWS_DEFAULT_REGION ??= env.AWS_REGION;
env.SLS_TELEMETRY_DISABLED ??= '1';
// serverless-esbuild leaves one folder per function in the temporary directory: keep them in .esbuild/.
const scratch = path.join(root, '.esbuild', 'tmp');
mkdirSync(scratch, { recursive: true });
env.TMPDIR = scratch;
env.PATH = [path.dirname(node), path.join(root, 'node_modules', '.bin'), env.PATH].filter(Boolean).join(path.delimiter);

const result = spawnSync(node, [serverless, 'package', ...args], { cwd: root, env, stdio: 'inherit' });
rmSync(scratch, { recursive: true, force: true });
if (result.error) {
  console.error(`package: cannot run serverless: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
