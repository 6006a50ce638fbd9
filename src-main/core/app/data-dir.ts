import * as os from 'node:os';
import * as path from 'node:path';
import { moveLegacyData } from './move-legacy-data';

/**
 * The one data folder of the desktop app, `fleet` and `fleet serve` (settings, deploy
 * history, job logs, accepted host keys): $FLEET_DATA_DIR, else the XDG data folder
 * ($XDG_DATA_HOME/homelab-fleet, ~/.local/share/homelab-fleet).
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FLEET_DATA_DIR) return path.resolve(env.FLEET_DATA_DIR);
  const home = env.HOME ?? os.homedir();
  const xdg = env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : path.join(home, '.local', 'share');
  return path.join(xdg, 'homelab-fleet');
}

/**
 * Folders earlier versions kept data in: the desktop app's Electron userData folder
 * (~/.config/homelab-fleet on Linux) and the CLI's per-platform folder on macOS and Windows.
 */
export function legacyDataDirs(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string[] {
  const home = env.HOME ?? os.homedir();
  switch (platform) {
    case 'darwin': {
      const support = path.join(home, 'Library', 'Application Support');
      return [path.join(support, 'homelab-fleet'), path.join(support, 'Homelab Fleet')];
    }
    case 'win32': {
      const roaming = env.APPDATA ?? path.join(home, 'AppData', 'Roaming');
      return [path.join(roaming, 'homelab-fleet'), path.join(roaming, 'Homelab Fleet')];
    }
    default: {
      const config = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
      return [path.join(config, 'homelab-fleet'), path.join(config, 'Homelab Fleet')];
    }
  }
}

/**
 * The data folder a front end opens, with data of earlier versions moved into it first
 * (once: moved files are gone from the old folder). `extraLegacy` names another old folder
 * (the desktop app passes Electron's userData path). With $FLEET_DATA_DIR set nothing moves:
 * the user chose that folder.
 */
export function openDataDir(env: NodeJS.ProcessEnv = process.env, extraLegacy: readonly string[] = []): { dataDir: string; moved: readonly string[] } {
  const dataDir = defaultDataDir(env);
  if (env.FLEET_DATA_DIR) return { dataDir, moved: [] };
  const sources = [...new Set([...legacyDataDirs(env), ...extraLegacy].map((d) => path.resolve(d)))].filter((d) => d !== dataDir);
  return { dataDir, moved: moveLegacyData(sources, dataDir) };
}
