/** serverless.yml `plugins:` takes a .js path: the plugin itself is deploy/package-limits.ts. */
export { default } from './package-limits.ts';
