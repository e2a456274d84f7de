import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectionsSection, mirroringConfig } from '../../src/config/environment.ts';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load.ts';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect((error as Error).name).toBe('ConfigError');
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('loads the shipped dev stage with its defaults', () => {
    const config = loadConfigFile(new URL('../../config/dev.yml', import.meta.url).pathname);
    expect(config.mirroring.crossAz).toBe('prefer-same');
    expect(config.mirroring.scope.excludeTags).toEqual({ 'autotap:mirror': 'false' });
    expect(config.mirroring.sessionNumber).toEqual({ preferred: 1, min: 1, max: 32766 });
  });

  it('names the field that is wrong', () => {
    expect(messageOf(() => parseConfig({ mirroring: { filterId: 'nope', targets: [{ id: 'tmt-01' }] } }))).toContain('mirroring.filterId: expected an id like tmf-');
    expect(messageOf(() => parseConfig({ mirroring: { filterId: 'tmf-01', targets: [{ id: 'tmt-01', maxSources: 7 }] } }))).toContain('mirroring.targets[0].maxSources');
    expect(messageOf(() => parseConfig({ mirroring: { filterId: 'tmf-01' } }))).toContain('mirroring.targets: expected at least one entry');
    expect(messageOf(() => parseConfig({ mirroring: { filterId: 'tmf-01', targets: [{ id: 'tmt-01' }], crossAz: 'any' } }))).toContain('mirroring.crossAz');
    expect(messageOf(() => parseConfig({ mirroring: { filterId: 'tmf-01', targets: [{ id: 'tmt-01' }], sessionNumber: { preferred: 5, min: 6, max: 9 } } }))).toContain(
      'mirroring.sessionNumber',
    );
    expect(messageOf(() => parseConfig({ mirroring: { filterId: 'tmf-01', targets: [{ id: 'tmt-01' }], tpyo: 1 } }))).toContain('tpyo');
  });

  it('reports a missing file, bad YAML and a bad environment variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'autotap-config-'));
    expect(messageOf(() => loadConfigFile(join(dir, 'prod.yml')))).toContain('not found');
    writeFileSync(join(dir, 'bad.yml'), 'mirroring: [unclosed');
    expect(messageOf(() => loadConfigFile(join(dir, 'bad.yml')))).toContain('not valid YAML');
    expect(messageOf(() => mirroringConfig({}))).toContain('AUTOTAP_CONFIG: not set');
    expect(messageOf(() => detectionsSection({ AUTOTAP_CONFIG: '{' }))).toContain('not valid JSON');
    expect(messageOf(() => mirroringConfig({ AUTOTAP_CONFIG: '{"mirroring":{"filterId":"nope"}}' }))).toContain('AUTOTAP_CONFIG: mirroring.filterId');
    expect(ConfigError.name).toBe('ConfigError');
  });
});
