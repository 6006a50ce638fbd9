/**
 * Commands that run on the phone (adb's shell: service and ssh both hand one string to
 * /bin/sh) are quoted the same way as remote commands on hosts: one implementation, in
 * core/ssh/quote.ts. Every argument is quoted; nothing from data is ever spliced raw.
 */
export { quoteRemoteArg as shQuote, quoteRemoteArgs as shCommand } from '../ssh/quote';
