import type { AndroidDevice } from '../../../src-main/core/api';
import { Icon } from '../Icon';

const stateTone: Readonly<Record<AndroidDevice['state'], string>> = { device: 'ok', unauthorized: 'warn', offline: 'err', unknown: 'warn' };

/** One phone: model, Android version, ABI, battery, state, and what to do about it. */
export function DeviceCard({ device, actions }: { readonly device: AndroidDevice; readonly actions?: React.ReactNode }) {
  const name = [device.manufacturer, device.model].filter(Boolean).join(' ') || 'Android device';
  return (
    <div className="droid-device" data-testid="droid-device" data-serial={device.serial} data-state={device.state}>
      <Icon name="phone" size={22} />
      <div className="droid-device-main">
        <div className="droid-device-name">
          {name}
          <span className={`badge ${stateTone[device.state]}`} data-testid="droid-device-state">
            {device.state === 'device' ? 'connected' : device.state}
          </span>
          <span className="badge">{device.transport === 'usb' ? 'USB' : 'wireless'}</span>
        </div>
        <div className="droid-device-facts muted">
          <span className="mono">{device.serial}</span>
          {device.androidVersion ? <span>Android {device.androidVersion}</span> : null}
          {device.abi ? <span className="mono">{device.abi}</span> : null}
          {device.battery !== undefined ? <span>battery {device.battery}%</span> : null}
          {device.droid ? <span>linked to droids/{device.droid}</span> : null}
        </div>
        {device.problem ? (
          <div className="droid-device-problem" data-testid="droid-device-problem">
            <Icon name="warning" size={13} /> {device.problem}
          </div>
        ) : null}
      </div>
      {actions ? <div className="droid-device-actions">{actions}</div> : null}
    </div>
  );
}
