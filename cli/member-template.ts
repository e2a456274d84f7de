import { writeFileSync } from 'node:fs';
import { memberTemplate } from '../deploy/member-template.ts';
import { parseCommandArgs } from './args.ts';
import { commandConfig } from './stage.ts';

/** `autotap member-template`: the StackSet template of the stage's members, as JSON. */
export function memberTemplateCommand(args: string[], root: string): Promise<number> {
  const { values } = parseCommandArgs('member-template', {
    args,
    options: {
      stage: { type: 'string', default: 'dev' },
      config: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const config = commandConfig(values, root);
  const text = `${JSON.stringify(memberTemplate(config, values.stage), null, 2)}\n`;
  if (values.out) {
    writeFileSync(values.out, text);
    process.stderr.write(`autotap: wrote the ${values.stage} member template to ${values.out}\n`);
  } else process.stdout.write(text);
  return Promise.resolve(0);
}
