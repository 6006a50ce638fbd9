import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, Notification, session, shell, Tray, utilityProcess } from 'electron';
import { mainWindowOptions } from './window-options';
import { hardenSession, hardenWebContents } from './security';
import { bindIpc, channels } from './ipc';
import { startCoreRelay } from './core-relay';
import { createTrayView } from './tray';
import { initialTrayState, reduceTray, type TrayState, type TrayStatus } from '../shared/tray-model';
import { showInWindow, startTrayDeploy, trayClickHandler } from './tray-actions';
import { openDataDir } from '../core/app/data-dir';

// The Electron main process: windows, tray, notifications and the IPC relay. It stays
// thin; the core runs in a utility process (core-process.ts).

const here = path.dirname(fileURLToPath(import.meta.url));
const appRoot = path.resolve(here, '../..');
const rendererIndex = path.join(appRoot, 'out/renderer/index.html');
const appUrl = process.env.ELECTRON_RENDERER_URL ?? pathToFileURL(rendererIndex).toString();
const resources = path.join(appRoot, 'resources');

let window: BrowserWindow | null = null;
let trayState: TrayState = initialTrayState;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => showWindow());
  void app.whenReady().then(start);
}

function start(): void {
  hardenSession(session.defaultSession);
  const relay = startCoreRelay(
    (modulePath, args, options) => utilityProcess.fork(modulePath, args, options),
    path.join(here, 'core-process.js'),
    {
      ...process.env,
      // The same data folder as `fleet` and `fleet serve`; what older versions kept in
      // Electron's userData folder is moved there once.
      FLEET_DATA_DIR: openDataDir(process.env, [app.getPath('userData')]).dataDir,
      FLEET_EXAMPLE_HOMELAB: path.join(appRoot, 'flake'),
    },
  );

  bindIpc(ipcMain, {
    appUrl,
    invoke: (name, input) => relay.invoke(name, input),
    pickFolder: async () => {
      const result = await dialog.showOpenDialog({ title: 'Open homelab checkout', properties: ['openDirectory'] });
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
    openExternal: (url) => shell.openExternal(url),
  });

  const icons = Object.fromEntries(
    (['idle', 'running', 'succeeded', 'failed'] as TrayStatus[]).map((s) => [s, nativeImage.createFromPath(path.join(resources, `tray-${s}.png`))]),
  ) as Record<TrayStatus, Electron.NativeImage>;
  const tray = new Tray(icons.idle);
  const trayView = createTrayView({
    tray,
    icons,
    buildMenu: (template) => Menu.buildFromTemplate(template),
    onMenuItem: trayClickHandler(() => trayState, {
      app,
      window: () => window,
      showWindow,
      deploy: (targets) =>
        void startTrayDeploy(targets, {
          invoke: (name, input) => relay.invoke(name, input),
          openJob,
          tell: ({ title, body }) => {
            if (Notification.isSupported()) new Notification({ title, body, urgency: 'critical' }).show();
            else dialog.showErrorBox(title, body);
          },
        }),
    }),
  });
  const renderTray = () => trayView.render(trayState, Boolean(window?.isVisible()));
  renderTray();

  relay.onEvent((event) => {
    window?.webContents.send(channels.event, event);
    const next = reduceTray(trayState, event);
    trayState = next.state;
    for (const spec of next.notifications) {
      if (!Notification.isSupported()) continue;
      const notification = new Notification({ title: spec.title, body: spec.body, urgency: spec.urgent ? 'critical' : 'normal' });
      notification.on('click', () => openJob(spec.jobId));
      notification.show();
    }
    renderTray();
  });

  createWindow();
  app.on('activate', () => showWindow());
  app.on('before-quit', () => relay.shutdown());
  // A tray app keeps running with its window closed; Quit is in the tray menu.
  app.on('window-all-closed', () => undefined);
}

function createWindow(): BrowserWindow {
  const created = new BrowserWindow(mainWindowOptions(path.join(appRoot, 'out/preload/index.cjs'), path.join(resources, 'icon.png')));
  window = created;
  hardenWebContents(created.webContents, appUrl, (url) => void shell.openExternal(url));
  created.once('ready-to-show', () => created.show());
  created.on('closed', () => (window = null));
  void created.loadURL(appUrl);
  return created;
}

function showWindow(): BrowserWindow {
  const shown = window ?? createWindow();
  shown.show();
  shown.focus();
  return shown;
}

function openJob(jobId: string): void {
  showInWindow({ showWindow }, { type: 'ui.open-job', jobId });
}
