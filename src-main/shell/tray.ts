import type { Menu, MenuItemConstructorOptions, NativeImage, Tray } from 'electron';
import { trayMenu, type TrayState, type TrayStatus } from '../shared/tray-model';

export interface TrayDeps {
  readonly tray: Pick<Tray, 'setImage' | 'setToolTip' | 'setContextMenu'>;
  readonly buildMenu: (template: MenuItemConstructorOptions[]) => Menu;
  readonly icons: Readonly<Record<TrayStatus, NativeImage>>;
  readonly onMenuItem: (id: string) => void;
}

/**
 * Draw the tray from state. Safe to call again and again (Signal's SystemTrayService
 * pattern): it only sets what changed. Linux ignores clicks on tray icons, so the
 * menu always has an explicit Show/Hide item.
 */
export function createTrayView(deps: TrayDeps) {
  let lastStatus: TrayStatus | undefined;
  let lastMenuKey = '';
  let lastTooltip = '';
  return {
    render(state: TrayState, windowVisible: boolean): void {
      if (state.status !== lastStatus) {
        deps.tray.setImage(deps.icons[state.status]);
        lastStatus = state.status;
      }
      if (state.tooltip !== lastTooltip) {
        deps.tray.setToolTip(state.tooltip);
        lastTooltip = state.tooltip;
      }
      const items = trayMenu(state, windowVisible);
      const key = JSON.stringify(items);
      if (key !== lastMenuKey) {
        const template: MenuItemConstructorOptions[] = [];
        items.forEach((item, i) => {
          if (item.id === 'quit' || (i === 1 && item.id.startsWith('job:'))) template.push({ type: 'separator' });
          template.push({ id: item.id, label: item.label, enabled: item.enabled, click: () => deps.onMenuItem(item.id) });
        });
        deps.tray.setContextMenu(deps.buildMenu(template));
        lastMenuKey = key;
      }
    },
  };
}
