import type { CheckoutSummary, PromptRequest } from './app/contract';

/**
 * Events of the domains (checkout, prompts, inventory, devices, deploy status...). Each
 * domain adds its events to this union; job events live in events.ts.
 */
export type DomainEvent =
  | { readonly type: 'checkout.changed'; readonly checkout: CheckoutSummary | null }
  | { readonly type: 'prompt.request'; readonly request: PromptRequest }
  | { readonly type: 'prompt.resolved'; readonly id: string };
