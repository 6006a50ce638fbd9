import { create } from 'zustand';
import type { PromptRequest } from '../../src-main/core/api';
import { client } from '../client';

interface PromptsState {
  /** Questions jobs are waiting on, oldest first. */
  readonly pending: readonly PromptRequest[];
  readonly error: string | null;
  add(request: PromptRequest): void;
  remove(id: string): void;
  /** Answer a question; a secret goes straight to the core and is not kept here. */
  answer(id: string, accept: boolean, value?: string): Promise<void>;
  load(): Promise<void>;
}

/** Questions the core asks mid-job (host keys, sudo passwords), answered in a sheet. */
export const usePromptsStore = create<PromptsState>((set, get) => ({
  pending: [],
  error: null,
  add(request) {
    if (get().pending.some((p) => p.id === request.id)) return;
    set({ pending: [...get().pending, request] });
  },
  remove(id) {
    set({ pending: get().pending.filter((p) => p.id !== id) });
  },
  async answer(id, accept, value) {
    try {
      await client().invoke('prompts.answer', { id, accept, ...(value !== undefined ? { value } : {}) });
      set({ error: null });
    } catch (error) {
      set({ error: (error as Error).message });
    }
    get().remove(id);
  },
  async load() {
    set({ pending: await client().invoke('prompts.pending', {}) });
  },
}));
