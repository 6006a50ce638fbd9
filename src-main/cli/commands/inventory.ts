import type { Command } from 'commander';
import type { Inventory, InventoryWarning } from '../../core/homelab/types';
import { openSession, type GlobalOptions } from '../core-session';
import { printJson, terminalText } from '../output';

function flakeMark(state: string): string {
  switch (state) {
    case 'discovered-and-in-flake':
      return 'ok';
    case 'in-flake-only':
      return 'flake only';
    case 'discovered-only':
      return 'not in flake';
    default:
      return '?';
  }
}

function table(rawRows: readonly (readonly string[])[]): string {
  // Names come from folder names in the checkout: escaped before they are measured and printed.
  const rows = rawRows.map((row) => row.map(terminalText));
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n') + '\n';
}

function warningLine(w: InventoryWarning): string {
  return `${w.severity === 'error' ? 'error' : w.severity === 'warning' ? 'warning' : 'note'}: ${terminalText(w.message)}\n`;
}

/** The inventory as a person reads it: one table per kind, then every warning. */
export function formatInventory(inventory: Inventory): string {
  let out = `${terminalText(inventory.root)}${inventory.layoutRoot !== inventory.root ? ` (layout in ${terminalText(inventory.layoutRoot)})` : ''}\n`;
  const flake = inventory.flake;
  out +=
    flake.state === 'ok'
      ? `flake evaluated in ${flake.durationMs ?? '?'} ms\n`
      : flake.state === 'pending'
        ? 'flake: not evaluated (directory scan only)\n'
        : `flake: ${flake.state}: ${terminalText(flake.error ?? 'unknown error')}\n`;
  out += `\nSystems (${inventory.systems.length})\n`;
  out += table([
    ['NAME', 'ARCH', 'DEPLOY TARGET', 'TAGS', 'HOMES', 'FLAKE'],
    ...inventory.systems.map((s) => [
      s.name,
      s.system,
      s.deploy.refused ? 'refused' : `${s.deploy.user ? `${s.deploy.user}@` : ''}${s.deploy.host}${s.deploy.port ? `:${s.deploy.port}` : ''}`,
      s.deploy.tags.join(',') || '-',
      s.homes.join(',') || '-',
      flakeMark(s.flake),
    ]),
  ]);
  out += `\nHomes (${inventory.homes.length}; standalone: ${terminalText(inventory.standaloneHomes.map((h) => h.name).join(', ') || 'none')})\n`;
  out += table([['NAME', 'USER', 'KIND', 'HOST'], ...inventory.homes.map((h) => [h.name, h.user, h.kind, h.host ?? '-'])]);
  out += `\nDroids (${inventory.droids.length})\n`;
  out += table([['NAME', 'ARCH', 'HOMES', 'FLAKE'], ...inventory.droids.map((d) => [d.name, d.system, d.homes.join(',') || '-', flakeMark(d.flake)])]);
  const moduleCount = (nodes: Inventory['modules']): number => nodes.reduce((n, m) => n + (m.children.length === 0 ? 1 : moduleCount(m.children)), 0);
  const modules = inventory.modules.map((m) => `${m.name} ${moduleCount(m.children)}`).join(', ');
  out += `\nModule files: ${terminalText(modules || 'none')}; templates: ${terminalText(inventory.templates.join(', ') || 'none')}\n`;
  if (inventory.secrets.length > 0) {
    out += `\nSecrets (${inventory.secrets.length})\n`;
    out += table([
      ['FILE', 'FORMAT', 'RECIPIENTS', 'STATUS'],
      ...inventory.secrets.map((s) => [
        s.path,
        s.format,
        String(s.recipients.length),
        s.missingRecipients.length + s.extraRecipients.length > 0 ? 'needs sops updatekeys' : s.warnings.length > 0 ? 'see warnings' : 'ok',
      ]),
    ]);
  }
  return out;
}

/** Every warning of the inventory: the checkout's and each item's. */
export function allWarnings(inventory: Inventory): InventoryWarning[] {
  return [
    ...inventory.warnings,
    ...inventory.systems.flatMap((s) => s.warnings),
    ...inventory.homes.flatMap((h) => h.warnings),
    ...inventory.standaloneHomes.flatMap((h) => h.warnings),
    ...inventory.droids.flatMap((d) => d.warnings),
    ...inventory.secrets.flatMap((s) => s.warnings),
  ];
}

/** `fleet inventory [PATH]`: systems, homes, droids, modules and secrets of a checkout, checked against the flake. */
export function registerInventory(program: Command): void {
  program
    .command('inventory [path]')
    .description('list the systems, homes and droids of the homelab, checked against the flake')
    .option('--json', 'print one JSON object {root, layoutRoot, systems, homes, droids, modules, secrets, warnings, ...}')
    .option('--no-eval', 'do not run nix: the directory scan only')
    .action(async (target: string | undefined, opts: { json?: boolean; eval: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const session = openSession(target ? { ...globals, flake: target } : globals);
      try {
        const inventory = opts.eval ? await session.call('inventory.evaluate', {}) : await session.call('inventory.get', {});
        if (opts.json) {
          printJson({ ...inventory, warnings: allWarnings(inventory) });
          return;
        }
        process.stdout.write(formatInventory(inventory));
        for (const warning of allWarnings(inventory)) process.stderr.write(warningLine(warning));
      } finally {
        await session.close();
      }
    });
}
