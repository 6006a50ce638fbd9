import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CoreContext } from '../../context';
import { FleetError } from '../../contract';
import type { HandlersFor } from '../../handlers';
import { inventoryService } from '../../homelab/handlers';
import type { SystemItem } from '../../homelab/types';
import type { installCommands } from './contract';
import { chooseInstallDisk } from './choose-disk';
import { facterJson, hardwareConfigurationNix, writeHardwareFile } from './hardware-files';
import { parseInstallTarget } from './install-target';
import { readHardware } from './read-hardware';
import { runInstall } from './install-run';

/** A system of the checkout that lives in its own folder (hardware files and disko.nix go there). */
export function systemFolder(ctx: CoreContext, name: string): SystemItem {
  const inventory = inventoryService(ctx).get(ctx.root(), true);
  const system = inventory.systems.find((s) => s.name === name);
  if (!system) throw new FleetError('not-found', `No system named "${name}" (systems: ${inventory.systems.map((s) => s.name).join(', ') || 'none'}).`);
  if (!system.path || system.path.endsWith('.nix')) {
    throw new FleetError('invalid-input', `${name} is not a folder (systems/${name}/default.nix), so it has no place for hardware files or disko.nix.`);
  }
  return system;
}

/** Handlers of the install verbs: hardware facts, hardware files, the disk of disko.nix, the install. */
export function installHandlers(ctx: CoreContext): HandlersFor<typeof installCommands> {
  return {
    'install.hardware': (input) => readHardware(ctx, parseInstallTarget(input.to), { acceptNewHostKey: input.acceptNewHostKey ?? false }),
    'install.writeHardware': async (input) => {
      const system = systemFolder(ctx, input.system);
      const facts = await readHardware(ctx, parseInstallTarget(input.to), { acceptNewHostKey: input.acceptNewHostKey ?? false });
      const format = input.format ?? 'hardware-configuration.nix';
      const content = format === 'facter.json' ? facterJson(facts) : hardwareConfigurationNix(facts, input.system);
      return writeHardwareFile(ctx.root(), system.path, format, content, {
        replace: input.replace ?? false,
        preview: input.preview ?? false,
        ...(input.expectSha256 ? { expectSha256: input.expectSha256 } : {}),
      });
    },
    'install.start': (input) => {
      const system = systemFolder(ctx, input.system);
      const target = parseInstallTarget(input.to);
      if (!fs.existsSync(path.join(ctx.root(), system.path, 'disko.nix'))) {
        throw new FleetError('not-found', `${system.path} has no disko.nix: an install needs the disk layout (https://github.com/nix-community/disko).`);
      }
      return {
        spec: { kind: 'install', title: `Install ${input.system} on ${input.to}`, targets: [input.system] },
        run: (job) =>
          runInstall(ctx, job, {
            system: input.system,
            systemPath: system.path,
            target,
            targetText: input.to,
            ...(input.disk ? { disk: input.disk } : {}),
            yes: input.yes ?? false,
            acceptNewHostKey: input.acceptNewHostKey ?? false,
          }),
      };
    },
    'install.chooseDisk': (input) => chooseInstallDisk(ctx.root(), systemFolder(ctx, input.system).path, input.device, input.preview ?? false),
  };
}
