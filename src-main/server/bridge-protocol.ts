import { z } from 'zod';

/** A request from the browser over the WebSocket: validated before it reaches the core. */
export const wsRequestSchema = z
  .object({
    id: z.number().int().nonnegative(),
    name: z.string().min(1).max(100),
    input: z.unknown().optional(),
  })
  .strict();

export type WsRequest = z.infer<typeof wsRequestSchema>;
