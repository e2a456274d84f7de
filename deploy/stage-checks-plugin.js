/** serverless.yml `plugins:` takes a .js path: the plugin itself is deploy/stage-checks.ts. */
export { default } from './stage-checks.ts';
