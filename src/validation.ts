import type { z } from 'zod';

/** Renders zod issues as `path: message` lines, the path in the user's own notation (`a.b[1].c`). */
export function describeIssues(error: z.ZodError, root = ''): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.reduce<string>(
        (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)),
        root,
      );
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('; ');
}

/** Parses `value` with `schema` or throws `makeError(description)`. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  makeError: (description: string) => Error,
  root = '',
): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw makeError(describeIssues(result.error, root));
  return result.data;
}
