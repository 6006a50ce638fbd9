import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Where the app keeps settings, logs and history when no front end says otherwise:
 * $FLEET_DATA_DIR, else the platform's usual per-user data folder.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.FLEET_DATA_DIR) return path.resolve(env.FLEET_DATA_DIR);
  const home = env.HOME ?? os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Homelab Fleet');
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Homelab Fleet');
  return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'homelab-fleet');
}
