import { z } from 'zod';

/**
 * meta.json `deploy.checks`: what must hold on a host after a deploy switched it, before the
 * deploy is confirmed. Parsed here, at the edge, into plain data; a wrong entry is an error
 * naming the file and the field, and the system is not deployed until it is fixed.
 */

/** One health check, defaults filled in. */
export type DeployCheck =
  /** The systemd unit is active after the switch. */
  | { readonly kind: 'unit'; readonly unit: string; readonly timeoutSeconds: number }
  /** A program run on the host as the deploy user (argument vector), exit code 0. */
  | { readonly kind: 'command'; readonly command: readonly string[]; readonly timeoutSeconds: number }
  /** A request from this machine to exactly this URL (redirects are not followed), answering `status`. */
  | { readonly kind: 'http'; readonly url: string; readonly status: number; readonly timeoutSeconds: number };

/** Seconds a check may take to pass (retried until then) unless it says otherwise. */
export const defaultCheckTimeoutSeconds = 15;

const timeout = z
  .number({ error: 'must be a number of seconds' })
  .int('must be a whole number of seconds')
  .min(1, 'must be at least 1 second')
  .max(600, 'must be at most 600 seconds')
  .optional();

const unitSchema = z
  .object({
    unit: z
      .string({ error: 'must be a unit name such as "nginx.service"' })
      .min(1, 'must not be empty')
      .max(256, 'is longer than 256 characters')
      .regex(/^[A-Za-z0-9:_.@\\-]+$/, 'must be a unit name such as "nginx.service" (letters, digits, : _ . @ \\ -)')
      .refine((s) => !s.startsWith('-'), 'cannot start with "-"'),
    timeout,
  })
  .strict();

const commandSchema = z
  .object({
    command: z
      .array(z.string({ error: 'must be a list of strings' }).max(4096, 'has an argument longer than 4096 characters').refine((s) => !s.includes('\0'), 'has an argument with a NUL byte'), {
        error: 'must be a list of strings such as ["curl", "-fsS", "http://localhost:8080/health"]',
      })
      .min(1, 'must name a program')
      .max(64, 'has more than 64 arguments')
      .refine((argv) => (argv[0] ?? '').length > 0, 'must start with a program name'),
    timeout,
  })
  .strict();

const httpSchema = z
  .object({
    http: z
      .string({ error: 'must be a URL such as "https://moonlight.lan/health"' })
      .max(2048, 'is longer than 2048 characters')
      .refine((s) => {
        try {
          const url = new URL(s);
          return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && url.username === '' && url.password === '';
        } catch {
          return false;
        }
      }, 'must be an http:// or https:// URL with a host and no user or password, such as "https://moonlight.lan/health"'),
    status: z.number({ error: 'must be an HTTP status code' }).int('must be a whole number').min(100, 'must be from 100 to 599').max(599, 'must be from 100 to 599').optional(),
    timeout,
  })
  .strict();

function issuesText(error: z.ZodError, field: string): string {
  return error.issues
    .map((issue) => {
      const at = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      if (issue.code === 'unrecognized_keys') return `${field} has an unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      return `${field}${at} ${issue.message}`;
    })
    .join('; ');
}

/**
 * Parse `deploy.checks` of a meta.json. `file` is the meta.json's path as the person sees it
 * ("systems/moonlight/meta.json"). Returns the checks, or an error naming file and field.
 */
export function parseDeployChecks(raw: unknown, file: string): { readonly checks: readonly DeployCheck[]; readonly error?: string } {
  if (raw === undefined) return { checks: [] };
  if (!Array.isArray(raw)) return { checks: [], error: `${file}: deploy.checks must be a list such as [{"unit": "nginx.service"}]` };
  const checks: DeployCheck[] = [];
  const errors: string[] = [];
  raw.forEach((entry: unknown, i) => {
    const field = `deploy.checks[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      errors.push(`${field} must be an object: {"unit": ...}, {"command": [...]} or {"http": ..., "status": 200}`);
      return;
    }
    const kinds = ['unit', 'command', 'http'].filter((k) => k in entry);
    if (kinds.length !== 1) {
      errors.push(`${field} must have exactly one of "unit", "command" or "http"${kinds.length > 1 ? ` (it has ${kinds.join(' and ')})` : ''}`);
      return;
    }
    if (kinds[0] === 'unit') {
      const parsed = unitSchema.safeParse(entry);
      if (!parsed.success) errors.push(issuesText(parsed.error, field));
      else checks.push({ kind: 'unit', unit: parsed.data.unit, timeoutSeconds: parsed.data.timeout ?? defaultCheckTimeoutSeconds });
    } else if (kinds[0] === 'command') {
      const parsed = commandSchema.safeParse(entry);
      if (!parsed.success) errors.push(issuesText(parsed.error, field));
      else checks.push({ kind: 'command', command: parsed.data.command, timeoutSeconds: parsed.data.timeout ?? defaultCheckTimeoutSeconds });
    } else {
      const parsed = httpSchema.safeParse(entry);
      if (!parsed.success) errors.push(issuesText(parsed.error, field));
      else checks.push({ kind: 'http', url: parsed.data.http, status: parsed.data.status ?? 200, timeoutSeconds: parsed.data.timeout ?? defaultCheckTimeoutSeconds });
    }
  });
  return errors.length > 0 ? { checks: [], error: `${file}: ${errors.join('; ')}` } : { checks };
}

/** How a check reads in lists and logs: "unit nginx.service", "command curl -fsS ...", "http https://... → 200". */
export function checkLabel(check: DeployCheck): string {
  switch (check.kind) {
    case 'unit':
      return `unit ${check.unit}`;
    case 'command':
      return `command ${check.command.join(' ')}`;
    case 'http':
      return `http ${check.url} → ${check.status}`;
  }
}
