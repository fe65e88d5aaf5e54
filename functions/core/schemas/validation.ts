import * as z from 'zod/mini';
import { en } from 'zod/v4/locales';
import { ValidationError } from '../domain/errors';

// zod/mini ships no messages; loading only the English locale keeps the handler bundles small.
z.config(en());

/** Parses untrusted input; failures become a ValidationError listing every issue (path + message). */
export function parseOrThrow<T>(schema: z.ZodMiniType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    `invalid ${what}`,
    result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
  );
}

/** Whether the schema takes `{}`: then a request may leave its body out (actions without parameters). */
export function acceptsEmptyObject(schema: z.ZodMiniType): boolean {
  return schema.safeParse({}).success;
}
