/**
 * The Content-Security-Policy of the UI, the same for the Electron window and `fleet serve`:
 * only the app's own scripts and styles, no eval, no plugins, no framing, and network only
 * back to the app itself (the WebSocket bridge in the browser).
 */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');
