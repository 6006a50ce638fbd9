import type { InternalJsonError } from './nix-errors';

/**
 * Nix's `--log-format internal-json` stream: one `@nix {json}` line per event. The numbers
 * are nix's ActivityType and ResultType enums (libutil/logging.hh); they have been stable
 * from 2.3 to current nix and Lix. Newer versions only add values, which are ignored.
 */
export const ActivityType = {
  Unknown: 0,
  CopyPath: 100,
  FileTransfer: 101,
  Realise: 102,
  CopyPaths: 103,
  Builds: 104,
  Build: 105,
  OptimiseStore: 106,
  VerifyPaths: 107,
  Substitute: 108,
  QueryPathInfo: 109,
  PostBuildHook: 110,
  BuildWaiting: 111,
  FetchTree: 112,
} as const;

export const ResultType = {
  FileLinked: 100,
  BuildLogLine: 101,
  UntrustedPath: 102,
  CorruptedPath: 103,
  SetPhase: 104,
  Progress: 105,
  SetExpected: 106,
  PostBuildLogLine: 107,
  FetchStatus: 108,
} as const;

export type NixField = string | number;

/** One parsed line of the stream. Lines that are not `@nix` JSON become `text`. */
export type NixLogEvent =
  | { readonly kind: 'start'; readonly id: number; readonly type: number; readonly level: number; readonly text: string; readonly fields: readonly NixField[]; readonly parent: number }
  | { readonly kind: 'stop'; readonly id: number }
  | { readonly kind: 'result'; readonly id: number; readonly type: number; readonly fields: readonly NixField[] }
  | { readonly kind: 'msg'; readonly level: number; readonly msg: string; readonly error?: InternalJsonError }
  | { readonly kind: 'text'; readonly text: string };

interface RawEvent {
  action?: unknown;
  id?: unknown;
  type?: unknown;
  level?: unknown;
  text?: unknown;
  fields?: unknown;
  parent?: unknown;
  msg?: unknown;
  raw_msg?: unknown;
  file?: unknown;
  line?: unknown;
  column?: unknown;
  trace?: unknown;
}

const prefix = '@nix ';

/**
 * Parse one line of nix's stderr. Never throws: a line that is not JSON (a builder that
 * wrote straight to stderr, a torn line, an old nix) comes back as text to show as is.
 */
export function parseNixLogLine(line: string): NixLogEvent {
  if (!line.startsWith(prefix)) return { kind: 'text', text: line };
  let raw: RawEvent;
  try {
    raw = JSON.parse(line.slice(prefix.length)) as RawEvent;
  } catch {
    return { kind: 'text', text: line };
  }
  if (raw === null || typeof raw !== 'object') return { kind: 'text', text: line };
  const id = typeof raw.id === 'number' ? raw.id : -1;
  const fields = Array.isArray(raw.fields) ? (raw.fields as NixField[]) : [];
  switch (raw.action) {
    case 'start':
      return {
        kind: 'start',
        id,
        type: typeof raw.type === 'number' ? raw.type : 0,
        level: typeof raw.level === 'number' ? raw.level : 0,
        text: typeof raw.text === 'string' ? raw.text : '',
        fields,
        parent: typeof raw.parent === 'number' ? raw.parent : 0,
      };
    case 'stop':
      return { kind: 'stop', id };
    case 'result':
      return { kind: 'result', id, type: typeof raw.type === 'number' ? raw.type : 0, fields };
    case 'msg': {
      const level = typeof raw.level === 'number' ? raw.level : 0;
      const msg = typeof raw.msg === 'string' ? raw.msg : '';
      if (level !== 0) return { kind: 'msg', level, msg };
      const error: InternalJsonError = {
        msg,
        ...(typeof raw.raw_msg === 'string' ? { raw_msg: raw.raw_msg } : {}),
        ...(typeof raw.file === 'string' ? { file: raw.file } : {}),
        ...(typeof raw.line === 'number' ? { line: raw.line } : {}),
        ...(typeof raw.column === 'number' ? { column: raw.column } : {}),
        ...(Array.isArray(raw.trace) ? { trace: raw.trace as InternalJsonError['trace'] } : {}),
      };
      return { kind: 'msg', level, msg, error };
    }
    default:
      return { kind: 'text', text: line };
  }
}

/** The derivation's name from its store path: /nix/store/<hash>-hello-1.0.drv -> hello-1.0. */
export function derivationName(storePath: string): string {
  const base = storePath.slice(storePath.lastIndexOf('/') + 1);
  const dash = base.indexOf('-');
  const name = dash >= 0 ? base.slice(dash + 1) : base;
  return name.endsWith('.drv') ? name.slice(0, -4) : name;
}
