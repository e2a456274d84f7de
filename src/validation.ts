import { config } from 'zod/mini';
import { en } from 'zod/locales';

// zod's mini API ships no messages of its own; English is the one locale bundled.
config(en());

interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

type SafeParse<T> = { success: true; data: T } | { success: false; error: { issues: readonly Issue[] } };

/** Renders zod issues as `path: message` lines, the path in the user's own notation (`a.b[1].c`). */
export function describeIssues(error: { issues: readonly Issue[] }, root = ''): string {
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

/** Parses `value` with `schema` (zod, classic or mini) or throws `makeError(description)`. */
export function parseOrThrow<T>(
  schema: { safeParse(value: unknown): SafeParse<T> },
  value: unknown,
  makeError: (description: string) => Error,
  root = '',
): T {
  const result = schema.safeParse(value);
  if (!result.success) throw makeError(describeIssues(result.error, root));
  return result.data;
}
