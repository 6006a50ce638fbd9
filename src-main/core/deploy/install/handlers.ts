import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CoreContext } from '../../context';
import { FleetError } from '../../contract';
import type { HandlersFor } from '../../handlers';
import { gitAt } from '../../git/repo';
import { inventoryService } from '../../homelab/handlers';
import { insideGit } from '../../homelab/scan';
import type { SystemItem } from '../../homelab/types';
import { writeFileAtomic } from '../../settings/atomic-file';
import type { installCommands } from './contract';
import { hardwareConfigurationNix, diskoDevices, setDiskoDevice, writeHardwareFile } from './hardware-files';
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

/** Handlers of the install verbs: hardware facts, hardware files, the disk of disko.nix. */
export function installHandlers(ctx: CoreContext): HandlersFor<typeof installCommands> {
  return {
    'install.hardware': (input) => readHardware(ctx, parseInstallTarget(input.to), { acceptNewHostKey: input.acceptNewHostKey ?? false }),
    'install.writeHardware': async (input) => {
      const system = systemFolder(ctx, input.system);
      const facts = await readHardware(ctx, parseInstallTarget(input.to), { acceptNewHostKey: input.acceptNewHostKey ?? false });
      const format = input.format ?? 'hardware-configuration.nix';
      // facter.json holds the facts as read; nixos-facter's own report has more, the lab stand-in reads driver_module from it.
      const content = format === 'facter.json'
        ? `${JSON.stringify({ version: 1, source: 'homelab-fleet', system: facts.nixSystem, hardware: { pci: facts.drivers.map((driver_module) => ({ driver_module })) }, facts }, null, 2)}\n`
        : hardwareConfigurationNix(facts, input.system);
      return writeHardwareFile(ctx.root(), system.path, format, content, input.replace ?? false);
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
    'install.chooseDisk': async (input) => {
      const system = systemFolder(ctx, input.system);
      const file = path.join(ctx.root(), system.path, 'disko.nix');
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        throw new FleetError('not-found', `${system.path} has no disko.nix: the install needs a disk layout (https://github.com/nix-community/disko).`);
      }
      const previous = diskoDevices(text)[0] ?? '';
      writeFileAtomic(file, setDiskoDevice(text, input.device), fs.statSync(file).mode & 0o777);
      if (insideGit(ctx.root())) await gitAt(ctx.root()).raw(['add', '--', path.relative(ctx.root(), file)]);
      return { file: `${system.path}/disko.nix`, device: input.device, previous };
    },
  };
}
