import { useState } from 'react';
import { useAppStore } from '../../stores/app';
import { RebootSheet } from './RebootSheet';

export interface RebootButtonProps {
  /** Systems to reboot, in the order they go down. */
  readonly targets: readonly string[];
  readonly label?: string;
  readonly disabled?: boolean;
}

/** "Reboot" for a host or a selection: opens the confirmation sheet; the deploy view opens once it starts. */
export function RebootButton({ targets, label, disabled }: RebootButtonProps) {
  const [open, setOpen] = useState(false);
  const onStarted = (jobId: string) => useAppStore.getState().navigate('deploys', jobId);
  return (
    <>
      <button className="btn" type="button" disabled={disabled || targets.length === 0} onClick={() => setOpen(true)} data-testid="reboot-button" data-targets={targets.join(' ')}>
        {label ?? (targets.length === 1 ? 'Reboot' : `Reboot ${targets.length}`)}
      </button>
      {open ? <RebootSheet targets={targets} onClose={() => setOpen(false)} onStarted={onStarted} /> : null}
    </>
  );
}
