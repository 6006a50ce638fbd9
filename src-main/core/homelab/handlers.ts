import type { CoreContext } from '../context';
import type { HandlersFor } from '../handlers';
import type { homelabCommands } from './contract';
import { addConfiguration } from './add-configuration';
import { computeAffected } from './affected';
import { InventoryService } from './service';

/** The inventory service of this core: one per core, disposed with it (watcher, running nix). */
export function inventoryService(ctx: CoreContext): InventoryService {
  return ctx.service(
    'homelab.inventory',
    () => new InventoryService({ events: ctx.events, settings: ctx.settings, env: ctx.env, live: ctx.host !== 'cli' }),
    (service) => service.dispose(),
  );
}

/** Handlers of the homelab domain's commands: the inventory and the edits it offers. */
export function homelabHandlers(ctx: CoreContext): HandlersFor<typeof homelabCommands> {
  return {
    'inventory.get': (input) => inventoryService(ctx).get(ctx.root(), input.rescan ?? false),
    'inventory.evaluate': (input) =>
      inventoryService(ctx).evaluate(ctx.root(), input.timeoutSeconds !== undefined ? input.timeoutSeconds * 1000 : undefined),
    'inventory.setDeployTarget': (input) => inventoryService(ctx).setDeployTarget(ctx.root(), input.system, input.deploy),
    'inventory.add': async (input) => {
      const root = ctx.root();
      const service = inventoryService(ctx);
      const result = await addConfiguration(service.get(root, true), input, { env: ctx.env });
      service.refresh(root);
      return { ...result, inventory: await service.evaluate(root) };
    },
    'changes.affected': (input) => {
      const root = ctx.root();
      const layoutRoot = ctx.settings.get().layoutRoots?.[root];
      return computeAffected(root, {
        ...(input.base !== undefined ? { base: input.base } : {}),
        ...(input.confirm !== undefined ? { confirm: input.confirm } : {}),
        ...(layoutRoot !== undefined ? { layoutRoot } : {}),
        nix: { env: ctx.env },
      });
    },
    'inventory.setLayoutRoot': (input) => {
      const root = ctx.root();
      ctx.settings.update((s) => {
        const layoutRoots = { ...s.layoutRoots };
        if (input.layoutRoot === null) delete layoutRoots[root];
        else layoutRoots[root] = input.layoutRoot;
        return { ...s, layoutRoots };
      });
      return inventoryService(ctx).refresh(root);
    },
  };
}
