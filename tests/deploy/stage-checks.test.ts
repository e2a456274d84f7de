/**
 * What packaging checks beyond the schema (deploy/stage-checks.ts, src/config/examples.ts): the
 * stage, the documentation's placeholder ids, and ops recipients. The real `serverless package`
 * runs of each are in tests/template/package.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exampleValues } from '../../src/config/examples.ts';
import { loadConfigFile, parseConfig } from '../../src/config/load.ts';
import StageChecks, {
  exampleIdRefusal,
  opsRecipientsWarning,
  stageProblem,
  stagesIn,
} from '../../deploy/stage-checks.ts';
import { root } from '../template/inspect.ts';

const dev = loadConfigFile(path.join(root, 'config', 'dev.yml'));
const own = parseConfig({
  mirroring: { filterId: 'tmf-0a1b2c3d4e5f60718', targets: [{ id: 'tmt-0a1b2c3d4e5f60718' }] },
  notifications: { opsEmails: ['ops@example.com'] },
});

describe('the stage', () => {
  test('the stages are the config/<stage>.yml files', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'autotap-stages-'));
    try {
      mkdirSync(path.join(dir, 'config'));
      for (const file of ['prod.yml', 'dev.yml', 'notes.txt']) writeFileSync(path.join(dir, 'config', file), '');
      expect(stagesIn(dir)).toEqual(['dev', 'prod']);
      expect(stagesIn(path.join(dir, 'nowhere'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('none given: refused with the stages, never a default', () => {
    expect(stageProblem(undefined, ['dev', 'prod'])).toBe(
      'no stage: pass --stage <name> (autotap has no default stage, so a deploy never lands on one by accident); the stages are: dev, prod',
    );
  });

  test('one without a configuration file: refused with the stages that exist', () => {
    expect(stageProblem('prdo', ['dev', 'prod'])).toBe(
      'stage "prdo" has no config/prdo.yml; the stages are: dev, prod',
    );
    expect(stageProblem('prod', [])).toBe(
      'stage "prod" has no config/prod.yml; the stages are: none yet (create config/<stage>.yml)',
    );
    expect(stageProblem('../etc', ['dev'])).toBe('stage: expected letters, digits and dashes, got "../etc"');
    expect(stageProblem('prod', ['dev', 'prod'])).toBeUndefined();
  });
});

describe('example ids', () => {
  test("config/dev.yml's placeholders are found with their fields", () => {
    expect(exampleValues(dev)).toEqual([
      { field: 'mirroring.filterId', value: 'tmf-0123456789abcdef0' },
      { field: 'mirroring.targets[0].id', value: 'tmt-0123456789abcdef0' },
    ]);
  });

  test("the documentation's secret ARNs (account 123456789012) and created-resource ids are placeholders too", () => {
    const config = parseConfig({
      mirroring: {
        create: { filter: {}, target: { kind: 'network-interface', networkInterfaceId: 'eni-0123456789abcdef0' } },
      },
      detections: {
        appliance: {
          url: 'https://extrahop.example.com',
          secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:autotap/appliance-AbCdEf',
        },
      },
    });
    expect(exampleValues(config).map((e) => e.field)).toEqual([
      'mirroring.create.target.networkInterfaceId',
      'detections.appliance.secretArn',
    ]);
  });

  test('packaging the demo stage takes them; any other stage, or a deploy, is refused naming each field', () => {
    expect(exampleIdRefusal(dev, 'dev', 'package')).toBeUndefined();
    expect(exampleIdRefusal(dev, 'prod', 'package')).toBe(
      [
        'config/prod.yml holds example values from the documentation, which do not exist in your account:',
        '  mirroring.filterId: tmf-0123456789abcdef0',
        '  mirroring.targets[0].id: tmt-0123456789abcdef0',
        'Replace them with your own ids and ARNs, or let the stack create the filter and target with mirroring.create (docs/configuration.md).',
      ].join('\n'),
    );
    expect(exampleIdRefusal(dev, 'dev', 'deploy')).toContain('config/dev.yml holds example values');
    expect(exampleIdRefusal(own, 'prod', 'deploy')).toBeUndefined();
  });
});

describe('ops recipients', () => {
  test('none: a warning saying nobody hears about failures; some: none', () => {
    expect(opsRecipientsWarning(dev)).toContain(
      'notifications.opsEmails is empty: nobody is told when mirroring fails',
    );
    expect(opsRecipientsWarning(own)).toBeUndefined();
  });
});

describe('the plugin', () => {
  class FrameworkError extends Error {}
  const serverless = (stage: string, commands: string[]) => ({
    service: {
      service: 'autotap',
      provider: { stage },
      getAllFunctions: () => ['normalizeInput'],
      getFunction: () => ({}),
    },
    processedInput: { commands },
    classes: { Error: FrameworkError },
  });

  test('before packaging: refuses a deploy of the demo stage with example ids, and warns through the framework log', () => {
    const warnings: string[] = [];
    const log = { warning: (message: string) => warnings.push(message) };
    const deploy = new StageChecks(serverless('dev', ['deploy']), {}, { log }).hooks['before:package:initialize']!;
    expect(deploy).toThrow(FrameworkError);
    const packaging = new StageChecks(serverless('dev', ['package']), {}, { log }).hooks['before:package:initialize']!;
    expect(packaging).not.toThrow();
    expect(warnings).toEqual([expect.stringContaining('notifications.opsEmails is empty')]);
  });
});
