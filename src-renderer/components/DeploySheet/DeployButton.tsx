import { useState, type ReactNode } from 'react';
import type { DeployPreview } from '../../../src-main/core/api';
import { DeploySheet } from './DeploySheet';
import { DeployDiff } from '../DeployDiff';
import { useAppStore } from '../../stores/app';

export interface DeployButtonProps {
  readonly targets: readonly string[];
  readonly label?: string;
  readonly primary?: boolean;
  readonly disabled?: boolean;
  readonly diffSlot?: (preview: DeployPreview) => ReactNode;
}

/** "Deploy" for a host or a selection: opens the confirmation sheet; the deploy view opens once it starts. */
export function DeployButton({ targets, label, primary = true, disabled, diffSlot }: DeployButtonProps) {
  const [open, setOpen] = useState(false);
  const onStarted = (jobId: string) => useAppStore.getState().navigate('deploys', jobId);
  return (
    <>
      <button
        className={`btn${primary ? ' primary' : ''}`}
        type="button"
        disabled={disabled || targets.length === 0}
        onClick={() => setOpen(true)}
        data-testid="deploy-button"
        data-targets={targets.join(' ')}
      >
        {label ?? (targets.length === 1 ? `Deploy ${targets[0]}` : `Deploy ${targets.length}`)}
      </button>
      {open ? <DeploySheet targets={targets} onClose={() => setOpen(false)} onStarted={onStarted} diffSlot={diffSlot ?? ((preview) => <DeployDiff preview={preview} />)} /> : null}
    </>
  );
}
