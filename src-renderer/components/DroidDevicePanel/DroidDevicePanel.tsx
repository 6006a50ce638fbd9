import { useEffect, useState, type FormEvent } from 'react';
import { JobPanel } from '../JobPanel';
import { useAppStore } from '../../stores/app';
import { devicesFor, useDevicesStore, wireDevicesStore } from '../../stores/devices';
import { useJob } from '../../stores/jobs';
import { DeviceCard } from './DeviceCard';
import { SetupWizard } from './SetupWizard';
import './droid-panel.css';

/**
 * The phone side of a droid, for its detail pane: the phones linked to it and the others
 * connected, the setup wizard, deploy (HEAD or working tree) and rollback with the job's
 * live progress and log, and the phone's generations.
 */
export function DroidDevicePanel({ droid }: { readonly droid: string }) {
  const { devices, status, error, errorHint, adbPort } = useDevicesStore();
  const jobId = useDevicesStore((s) => s.jobs[droid]);
  const generations = useDevicesStore((s) => s.generations[droid]);
  const job = useJob(jobId);
  const [wizardFor, setWizardFor] = useState<string | null>(null);
  const [source, setSource] = useState<'head' | 'worktree'>('head');
  const [address, setAddress] = useState('');
  const [pairCode, setPairCode] = useState('');
  const [pairNote, setPairNote] = useState<string | null>(null);
  const [buildHere, setBuildHere] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  useEffect(() => wireDevicesStore(), []);

  const { linked, others } = devicesFor(devices, droid);
  const usable = linked.filter((d) => d.state === 'device' && !d.problem);
  const serial = usable.length === 1 ? usable[0]?.serial : undefined;
  const act = (work: () => Promise<unknown>) => {
    setActionError(null);
    work().catch((e: Error & { hint?: string }) => setActionError(`${e.message}${e.hint ? ` ${e.hint}` : ''}`));
  };
  const connect = (event: FormEvent) => {
    event.preventDefault();
    act(() => useDevicesStore.getState().connect(address.trim()).then(() => setAddress('')));
  };
  const pair = () => {
    act(() =>
      useDevicesStore
        .getState()
        .pair(address.trim(), pairCode.trim())
        .then((note) => {
          setPairNote(note);
          setPairCode('');
        }),
    );
  };
  const wizardDevice = devices.find((d) => d.serial === wizardFor);

  return (
    <section className="droid-panel" data-testid="droid-device-panel" data-droid={droid}>
      <header className="droid-panel-head">
        <h2>Phone</h2>
        <span className="faint">{adbPort ? `adb server :${adbPort}` : ''}</span>
      </header>
      {status === 'loading' && devices.length === 0 ? (
        <div className="empty" data-testid="droid-devices-loading">
          <span className="spinner" /> Asking the adb server for phones…
        </div>
      ) : null}
      {status === 'error' ? (
        <div className="notice err" data-testid="droid-devices-error">
          {error} {errorHint}
        </div>
      ) : null}
      {status === 'loaded' && devices.length === 0 ? (
        <div className="droid-empty muted" data-testid="droid-devices-empty">
          No phone connected. Plug one in with USB debugging on (Settings › Developer options), or connect one over Wi-Fi below.
        </div>
      ) : null}
      {linked.map((device) => (
        <DeviceCard
          key={device.serial}
          device={device}
          actions={
            <>
              <button className="btn" type="button" onClick={() => setWizardFor(device.serial)} disabled={device.state !== 'device'} data-testid="droid-setup">
                Set up
              </button>
              <button className="btn" type="button" onClick={() => act(() => useDevicesStore.getState().link(device.serial, null))}>
                Unlink
              </button>
            </>
          }
        />
      ))}
      {others.length > 0 ? <div className="droid-subhead muted">Other phones</div> : null}
      {others.map((device) => (
        <DeviceCard
          key={device.serial}
          device={device}
          actions={
            <button className="btn" type="button" onClick={() => setWizardFor(device.serial)} disabled={device.state !== 'device'} data-testid="droid-setup-other">
              Set up for {droid}
            </button>
          }
        />
      ))}
      <form className="row droid-connect" onSubmit={connect}>
        <input className="input mono" value={address} onChange={(e) => setAddress(e.target.value)} placeholder="192.168.1.20:5555" aria-label="Phone address for adb over Wi-Fi" />
        <button className="btn" type="submit" disabled={!address.trim()}>
          Connect over Wi-Fi
        </button>
        <input className="input mono droid-pair-code" value={pairCode} onChange={(e) => setPairCode(e.target.value)} placeholder="pairing code" inputMode="numeric" maxLength={6} aria-label="Pairing code shown on the phone (Android 11+)" />
        <button className="btn" type="button" disabled={!address.trim() || !/^\d{6}$/.test(pairCode.trim())} onClick={pair}>
          Pair
        </button>
      </form>
      {pairNote ? <div className="notice info">{pairNote}</div> : null}
      {wizardDevice ? <SetupWizard device={wizardDevice} droid={droid} onStarted={() => setWizardFor(null)} onClose={() => setWizardFor(null)} /> : null}

      <div className="droid-deploy row">
        <select className="input" value={source} onChange={(e) => setSource(e.target.value as 'head' | 'worktree')} aria-label="What to deploy" data-testid="droid-source">
          <option value="head">Committed HEAD</option>
          <option value="worktree">Working tree (uncommitted changes)</option>
        </select>
        <label className="row droid-check" title="Needs aarch64-linux builds on this computer (a builder or emulation)">
          <input type="checkbox" checked={buildHere} onChange={(e) => setBuildHere(e.target.checked)} data-testid="droid-build-here" />
          Build on this computer
        </label>
        <button
          className="btn primary"
          type="button"
          disabled={linked.length === 0}
          onClick={() => act(() => useDevicesStore.getState().deploy(droid, { source, buildOn: buildHere ? 'laptop' : 'phone', ...(serial ? { serial } : {}) }))}
          data-testid="droid-deploy"
        >
          Deploy to phone
        </button>
        <button className="btn" type="button" disabled={linked.length === 0} onClick={() => act(() => useDevicesStore.getState().rollback(droid, serial))} data-testid="droid-rollback">
          Roll back
        </button>
        <button className="btn" type="button" disabled={linked.length === 0} onClick={() => act(() => useDevicesStore.getState().loadGenerations(droid, serial))} data-testid="droid-generations">
          Generations
        </button>
      </div>
      {linked.length === 0 && devices.length > 0 ? <div className="muted">Set up a phone for this droid to deploy it.</div> : null}
      {source === 'worktree' ? <div className="notice warn">The working tree goes to the phone as it is, uncommitted changes included; the deploy is not tied to a revision.</div> : null}
      {actionError ? (
        <div className="notice err" data-testid="droid-action-error">
          {actionError}
        </div>
      ) : null}
      {generations ? (
        'error' in generations ? (
          <div className="notice err">{generations.error}</div>
        ) : generations.length === 0 ? (
          <div className="droid-empty muted" data-testid="droid-generation-list">
            The phone has no Nix-on-Droid generation yet: deploy to make the first.
          </div>
        ) : (
          <ul className="droid-generations" data-testid="droid-generation-list">
            {generations.map((g) => (
              <li key={g.number} className={g.current ? 'current' : ''}>
                <span className="mono">#{g.number}</span> <span className="muted">{g.date}</span> {g.current ? <span className="badge ok">current</span> : null}
              </li>
            ))}
          </ul>
        )
      ) : null}
      {jobId && job?.info.kind === 'deploy' ? (
        <div className="row">
          <span className="muted">A phone deploy is a deploy like any host&apos;s: its stages, timeline and history are in Deploys.</span>
          <button className="btn" type="button" onClick={() => useAppStore.getState().navigate('deploys', jobId)} data-testid="droid-open-deploy">
            Open in Deploys
          </button>
        </div>
      ) : null}
      {jobId ? <JobPanel jobId={jobId} /> : null}
    </section>
  );
}
