import { useState } from 'react';
import type { AndroidDevice } from '../../../src-main/core/api';
import { useDevicesStore } from '../../stores/devices';

const steps = [
  ['Phone is arm64-v8a', 'Nix-on-Droid runs on aarch64 phones only.'],
  ['Nix-on-Droid installed', 'Installs the APK you pick when the app is missing.'],
  ['First-run bootstrap done', 'Opens the app and types its bootstrap answers (flakes: yes).'],
  ['SSH access', 'Types one command that authorizes your key and starts sshd on 8022.'],
  ['Connection test over adb', 'SSH through the adb stream, no port on this computer.'],
  ['Linked to the droid', 'Deploys of this droid go to this phone.'],
] as const;

/**
 * The setup wizard's start page: what will be checked and done, the APK to install if
 * needed, and consent to type on the phone. The steps then run as a job (shown below it);
 * each checks the phone first, so starting again resumes.
 */
export function SetupWizard({ device, droid, onStarted, onClose }: { readonly device: AndroidDevice; readonly droid: string; readonly onStarted: (jobId: string) => void; readonly onClose: () => void }) {
  const [apkPath, setApkPath] = useState('');
  const [typeWithoutAsking, setTypeWithoutAsking] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const start = () => {
    setBusy(true);
    setError(null);
    useDevicesStore
      .getState()
      .setup(device.serial, droid, { ...(apkPath.trim() ? { apkPath: apkPath.trim() } : {}), typeWithoutAsking })
      .then(onStarted, (e: Error) => setError(e.message))
      .finally(() => setBusy(false));
  };
  return (
    <section className="card droid-wizard" data-testid="droid-wizard">
      <div className="card-body stack">
        <h2>
          Set up {device.model ?? device.serial} for droids/{droid}
        </h2>
        <ol className="droid-wizard-steps">
          {steps.map(([title, detail]) => (
            <li key={title}>
              <strong>{title}</strong> <span className="muted">{detail}</span>
            </li>
          ))}
        </ol>
        <label className="droid-field">
          <span>Nix-on-Droid APK (only if the app is not installed)</span>
          <input className="input mono" value={apkPath} onChange={(e) => setApkPath(e.target.value)} placeholder="/home/you/Downloads/nix-on-droid-arm64-v8a.apk" data-testid="droid-wizard-apk" />
        </label>
        <label className="row droid-check">
          <input type="checkbox" checked={typeWithoutAsking} onChange={(e) => setTypeWithoutAsking(e.target.checked)} data-testid="droid-wizard-consent" />
          Type on the phone without asking each time (keep it unlocked with Nix-on-Droid in front)
        </label>
        {error ? <div className="notice err">{error}</div> : null}
        <div className="row">
          <button className="btn primary" type="button" onClick={start} disabled={busy} data-testid="droid-wizard-start">
            {busy ? 'Starting…' : 'Start setup'}
          </button>
          <button className="btn" type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </section>
  );
}
