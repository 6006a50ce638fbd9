import { useState } from 'react';
import type { Disk, HardwareFacts, SystemItem } from '../../../src-main/core/api';
import { formatBytes } from '../../../src-main/shared/units';
import { client } from '../../client';
import { InstallProgress } from './InstallProgress';
import { ProposedFile, type Proposal } from './ProposedFile';

type HardwareFile = 'hardware-configuration.nix' | 'facter.json';

/** A file the wizard offers to write, previewed by the core, and how to write it. */
interface PendingEdit {
  readonly proposal: Proposal;
  readonly write: () => Promise<string>;
}

/** The name disko.nix should use for a disk: a /dev/disk/by-id name when it has one (it survives reboots and new disks). */
function diskoName(disk: Disk): string {
  return disk.ids[0] ? `/dev/disk/by-id/${disk.ids[0]}` : disk.device;
}

type Step = 'address' | 'hardware' | 'disk' | 'summary' | 'progress';
const steps: readonly { readonly id: Step; readonly title: string }[] = [
  { id: 'address', title: 'Address' },
  { id: 'hardware', title: 'Hardware' },
  { id: 'disk', title: 'Disk' },
  { id: 'summary', title: 'Summary' },
  { id: 'progress', title: 'Install' },
];

function DiskLine({ disk }: { readonly disk: Disk }) {
  return (
    <>
      <span className="mono">{disk.device}</span> {formatBytes(disk.sizeBytes)} {disk.model ?? disk.kind}
      {disk.partitions.length > 0 ? <span className="faint"> · partitions: {disk.partitions.map((p) => `${p.device.replace('/dev/', '')} ${p.fsType ?? '?'}`).join(', ')}</span> : <span className="faint"> · blank</span>}
    </>
  );
}

/**
 * The Install wizard of a system: where the installer is, its hardware, the disk to erase
 * (confirmed by typing its name), a summary, then the install's stages as they run.
 */
export function InstallWizard({ system, onClose }: { readonly system: SystemItem; readonly onClose: () => void }) {
  const [step, setStep] = useState<Step>('address');
  const [to, setTo] = useState('');
  const [trustKey, setTrustKey] = useState(true);
  const [facts, setFacts] = useState<HardwareFacts | null>(null);
  const [disk, setDisk] = useState('');
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const [edit, setEdit] = useState<PendingEdit | null>(null);
  const [wrote, setWrote] = useState<readonly string[]>([]);

  /** Ask the core what it would write, show the diff; Write writes exactly that. */
  const propose = (load: () => Promise<PendingEdit>) => {
    setBusy(true);
    setProblem(null);
    load()
      .then(setEdit)
      .catch((e: Error) => setProblem(e.message))
      .finally(() => setBusy(false));
  };
  const writeEdit = () => {
    if (!edit) return;
    setBusy(true);
    setProblem(null);
    edit
      .write()
      .then((message) => {
        setWrote((w) => [...w, message]);
        setEdit(null);
      })
      .catch((e: Error) => setProblem(e.message))
      .finally(() => setBusy(false));
  };
  const proposeHardwareFile = (format: HardwareFile) =>
    propose(async () => {
      const base = { system: system.name, to, format, acceptNewHostKey: trustKey };
      const shown = await client().invoke('install.writeHardware', { ...base, preview: true });
      return {
        proposal: {
          file: shown.file,
          diff: shown.diff,
          notes: [...(shown.existed ? [`This replaces the ${format} that is there now.`] : []), ...(shown.hint ? [`Then: ${shown.hint}`] : [])],
        },
        write: async () => {
          const written = await client().invoke('install.writeHardware', { ...base, replace: shown.existed, expectSha256: shown.sha256 });
          return `Wrote ${written.file} (staged in git).${written.hint ? ` ${written.hint}` : ''}`;
        },
      };
    });
  const proposeDisk = (chosenDisk: Disk) =>
    propose(async () => {
      const device = diskoName(chosenDisk);
      const shown = await client().invoke('install.chooseDisk', { system: system.name, device, preview: true });
      return {
        proposal: { file: shown.file, diff: shown.diff, notes: shown.previous === device ? [] : [`disko.nix named ${shown.previous || 'no disk'}; later installs and rebuilds use ${device}.`] },
        write: async () => {
          const written = await client().invoke('install.chooseDisk', { system: system.name, device });
          return `Wrote ${written.file}: the disk is ${written.device} (staged in git).`;
        },
      };
    });
  const go = (next: Step) => {
    setEdit(null);
    setProblem(null);
    setStep(next);
  };

  const readHardware = () => {
    setBusy(true);
    setProblem(null);
    client()
      .invoke('install.hardware', { to, acceptNewHostKey: trustKey })
      .then((f) => {
        setFacts(f);
        setDisk(f.disks.find((d) => !d.readOnly && d.sizeBytes > 0)?.device ?? '');
        setStep('hardware');
      })
      .catch((e: Error) => setProblem(e.message))
      .finally(() => setBusy(false));
  };
  const start = () => {
    setBusy(true);
    setProblem(null);
    client()
      .invoke('install.start', { system: system.name, to, disk, yes: true, acceptNewHostKey: trustKey })
      .then(({ jobId: id }) => {
        setJobId(id);
        setStep('progress');
      })
      .catch((e: Error) => setProblem(e.message))
      .finally(() => setBusy(false));
  };
  const chosen = facts?.disks.find((d) => d.device === disk);
  const stepIndex = steps.findIndex((s) => s.id === step);

  return (
    <div className="sheet-backdrop" role="presentation">
      <div className="sheet install-sheet" role="dialog" aria-modal="true" aria-labelledby="install-title" data-testid="install-wizard" data-step={step}>
        <header id="install-title">Install {system.name}</header>
        <ol className="install-steps">
          {steps.map((s, i) => (
            <li key={s.id} className={i === stepIndex ? 'current' : i < stepIndex ? 'done' : ''}>
              {s.title}
            </li>
          ))}
        </ol>
        <div className="sheet-body stack">
          {problem ? <div className="notice err install-error" data-testid="install-error">{problem}</div> : null}
          {step === 'address' ? (
            <>
              <p className="muted">Boot the machine from a NixOS installer (or any Linux with SSH as root), then give its address.</p>
              <label className="stack add-sheet-field">
                <span className="muted">Machine</span>
                <input className="input mono" autoFocus value={to} placeholder="root@192.168.1.50" onChange={(e) => setTo(e.target.value.trim())} spellCheck={false} data-testid="install-to" />
              </label>
              <label className="row">
                <input type="checkbox" checked={trustKey} onChange={(e) => setTrustKey(e.target.checked)} data-testid="install-trust-key" />
                <span>Trust the installer’s host key (it is new on every boot; without this you are asked to compare its fingerprint)</span>
              </label>
            </>
          ) : null}
          {(step === 'progress' ? [] : wrote).map((message) => (
            <div key={message} className="notice ok" data-testid="install-wrote">
              {message}
            </div>
          ))}
          {step === 'hardware' && facts ? (
            <>
              <dl className="inv-fields" data-testid="install-hardware">
                <dt>System</dt>
                <dd>
                  {facts.hostname}: {facts.nixSystem}, {facts.bootMode === 'uefi' ? 'UEFI' : 'BIOS'} boot
                </dd>
                <dt>CPU</dt>
                <dd>
                  {facts.cpu.model || 'unknown'} ({facts.cpu.cores} cores)
                </dd>
                <dt>Memory</dt>
                <dd>{formatBytes(facts.memoryBytes)}</dd>
                <dt>Disks</dt>
                <dd>
                  {facts.disks.map((d) => (
                    <div key={d.device}>
                      <DiskLine disk={d} />
                    </div>
                  ))}
                </dd>
                <dt>Network</dt>
                <dd>
                  {facts.nics.map((n) => (
                    <div key={n.name} className="mono">
                      {n.name} {n.mac} {n.addresses.join(' ')}
                    </div>
                  ))}
                </dd>
              </dl>
              {edit ? (
                <ProposedFile proposal={edit.proposal} busy={busy} onWrite={writeEdit} onBack={() => setEdit(null)} />
              ) : (
                <div className="row install-files">
                  <span className="muted">Keep these facts in {system.path}:</span>
                  <button className="btn" type="button" disabled={busy} onClick={() => proposeHardwareFile('hardware-configuration.nix')} data-testid="install-write-hardware">
                    Write hardware-configuration.nix…
                  </button>
                  <button className="btn" type="button" disabled={busy} onClick={() => proposeHardwareFile('facter.json')} data-testid="install-write-facter">
                    Write facter.json…
                  </button>
                </div>
              )}
            </>
          ) : null}
          {step === 'disk' && facts ? (
            <>
              <fieldset className="add-sheet-deploy" data-testid="install-disks">
                <legend className="muted">Disk to erase and install to</legend>
                {facts.disks
                  .filter((d) => !d.readOnly && d.sizeBytes > 0)
                  .map((d) => (
                    <label key={d.device} className="row">
                      <input
                        type="radio"
                        name="disk"
                        checked={disk === d.device}
                        onChange={() => {
                          setDisk(d.device);
                          setEdit(null);
                        }}
                      />
                      <span>
                        <DiskLine disk={d} />
                      </span>
                    </label>
                  ))}
              </fieldset>
              {chosen ? (
                <div className="notice warn">
                  Everything on {chosen.device} ({formatBytes(chosen.sizeBytes)}
                  {chosen.partitions.length > 0 ? `, ${chosen.partitions.length} partitions` : ''}) will be erased. Type <strong className="mono">{chosen.device}</strong> to confirm.
                </div>
              ) : null}
              <input className="input mono" value={typed} placeholder={disk} onChange={(e) => setTyped(e.target.value.trim())} spellCheck={false} aria-label="Type the disk name to confirm" data-testid="install-confirm-disk" />
              {chosen && edit ? <ProposedFile proposal={edit.proposal} busy={busy} onWrite={writeEdit} onBack={() => setEdit(null)} /> : null}
              {chosen && !edit ? (
                <div className="row install-files">
                  <span className="muted">{system.path}/disko.nix decides the disk of later installs:</span>
                  <button className="btn" type="button" disabled={busy} onClick={() => proposeDisk(chosen)} data-testid="install-disko-disk">
                    Use {diskoName(chosen)} in disko.nix…
                  </button>
                </div>
              ) : null}
            </>
          ) : null}
          {step === 'summary' && chosen ? (
            <ul className="install-summary" data-testid="install-summary">
              <li>
                Build <strong>{system.name}</strong> and its disko script here, copy them to <span className="mono">{to}</span>
              </li>
              <li>
                Erase <span className="mono">{chosen.device}</span> ({formatBytes(chosen.sizeBytes)}) and partition, format and mount it as {system.path}/disko.nix says
              </li>
              <li>Install the system into /mnt (store, system profile, boot loader) with a new host key, recorded in known_hosts and {system.path}</li>
              <li>Reboot and wait for {system.name} to answer on its new key</li>
            </ul>
          ) : null}
          {step === 'progress' && jobId ? <InstallProgress jobId={jobId} /> : null}
        </div>
        <footer>
          {step === 'progress' ? (
            <button className="btn" type="button" onClick={onClose} data-testid="install-close">
              Close
            </button>
          ) : (
            <>
              <button className="btn" type="button" onClick={onClose} disabled={busy}>
                Cancel
              </button>
              {step === 'address' ? (
                <button className="btn primary" type="button" disabled={busy || !to} onClick={readHardware} data-testid="install-next">
                  {busy ? 'Connecting…' : 'Read hardware'}
                </button>
              ) : null}
              {step === 'hardware' ? (
                <button className="btn primary" type="button" onClick={() => go('disk')} data-testid="install-next">
                  Choose the disk
                </button>
              ) : null}
              {step === 'disk' ? (
                <button className="btn primary" type="button" disabled={!chosen || typed !== disk} onClick={() => go('summary')} data-testid="install-next">
                  Continue
                </button>
              ) : null}
              {step === 'summary' ? (
                <button className="btn primary danger-fill" type="button" disabled={busy} onClick={start} data-testid="install-start">
                  Erase {disk} and install
                </button>
              ) : null}
            </>
          )}
        </footer>
      </div>
    </div>
  );
}
