// Errors as they cross every bridge (IPC, WebSocket, the CLI): the renderer runs this file too.

/** An error as it crosses a bridge: plain data, rebuilt as an Error on the other side. */
export interface WireError {
  readonly message: string;
  /** Machine-readable kind: 'invalid-input', 'not-found', 'unknown-command', 'failed', 'cancelled'. */
  readonly code: string;
  /** Where in the input the problem is, for invalid input. */
  readonly issues?: readonly { readonly path: string; readonly message: string }[];
  /** A source location the UI can offer to open, e.g. a nix evaluation error. */
  readonly location?: { readonly file: string; readonly line: number; readonly column?: number };
  readonly hint?: string;
}

export type WireReply<R> = { readonly ok: true; readonly result: R } | { readonly ok: false; readonly error: WireError };

/** An Error whose message a person can act on, carried across bridges as WireError. */
export class FleetError extends Error {
  readonly code: string;
  readonly issues?: WireError['issues'];
  readonly location?: WireError['location'];
  readonly hint?: string;

  constructor(code: string, message: string, extra: Omit<WireError, 'message' | 'code'> = {}) {
    super(message);
    this.name = 'FleetError';
    this.code = code;
    this.issues = extra.issues;
    this.location = extra.location;
    this.hint = extra.hint;
  }

  toWire(): WireError {
    return {
      message: this.message,
      code: this.code,
      ...(this.issues ? { issues: this.issues } : {}),
      ...(this.location ? { location: this.location } : {}),
      ...(this.hint ? { hint: this.hint } : {}),
    };
  }

  static fromWire(error: WireError): FleetError {
    return new FleetError(error.code, error.message, error);
  }
}
