import pkg from '../../../package.json';
import { FleetError } from '../contract';
import type { CoreContext } from '../context';
import type { HandlersFor } from '../handlers';
import type { appCommands, AppInfo } from './contract';
import { readCheckout } from './checkout';

const version: string = pkg.version;

/** Handlers of the app's own commands: settings, the open checkout, jobs, prompts. */
export function appHandlers(ctx: CoreContext): HandlersFor<typeof appCommands> {
  return {
    'app.info': (): AppInfo => ({
      version,
      dataDir: ctx.dataDir,
      platform: process.platform,
      host: ctx.host,
      ...(ctx.settings.problem ? { settingsProblem: ctx.settings.problem } : {}),
      ...(ctx.exampleHomelab ? { exampleHomelab: ctx.exampleHomelab } : {}),
    }),
    'settings.get': () => ctx.settings.get(),
    'settings.update': (input) =>
      ctx.settings.update((s) => ({
        ...s,
        ...(input.theme ? { theme: input.theme } : {}),
        ...(input.buildConcurrency ? { buildConcurrency: input.buildConcurrency } : {}),
        ...(input.deploy ? { deploy: { ...s.deploy, ...input.deploy, buildHost: input.deploy.buildHost === undefined ? s.deploy.buildHost : (input.deploy.buildHost ?? undefined) } } : {}),
        ...(input.jobRetention ? { jobRetention: { ...s.jobRetention, ...input.jobRetention } } : {}),
      })),
    'settings.setEditor': (input) => ctx.settings.update((s) => ({ ...s, editor: input.editor ?? undefined })),
    'checkout.open': async (input) => {
      const checkout = await readCheckout(input.path);
      if (ctx.host !== 'cli') ctx.settings.openCheckout(checkout.root);
      ctx.events.emit({ type: 'checkout.changed', checkout });
      return checkout;
    },
    'checkout.current': async () => {
      const root = ctx.currentRoot();
      if (!root) return null;
      try {
        return await readCheckout(root);
      } catch {
        return null;
      }
    },
    'checkout.forget': (input) => ctx.settings.forgetCheckout(input.path),
    'jobs.list': (input) => ctx.jobs.list(input.limit),
    'jobs.get': (input) => {
      const job = ctx.jobs.get(input.jobId);
      if (!job) throw new FleetError('not-found', `No job with id ${input.jobId}.`);
      return job;
    },
    'jobs.cancel': (input) => ({ cancelled: ctx.jobs.cancel(input.jobId) }),
    'jobs.log': (input) => ctx.jobs.readLog(input.jobId, input.from, input.max),
    'prompts.pending': () => ctx.prompts.list(),
    'prompts.answer': (input) => {
      ctx.prompts.answer(input.id, { accept: input.accept, ...(input.value !== undefined ? { value: input.value } : {}) });
      return { accepted: input.accept };
    },
  };
}
