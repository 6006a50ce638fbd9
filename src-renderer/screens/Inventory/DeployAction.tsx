import { useState } from 'react';
import { DeployDiff } from '../../components/DeployDiff';
import { DeploySheet } from '../../components/DeploySheet';
import { useAppStore } from '../../stores/app';

/** Show a deploy job on the Deploys screen. */
function openDeploy(jobId: string): void {
  useAppStore.getState().navigate('deploys', jobId);
}

/**
 * "Deploy" from an inventory screen: the deploy domain's confirmation sheet with each
 * host's closure diff (as DeployButton shows it), then the deploy's live view on the
 * Deploys screen.
 */
export function DeployAction({ targets, label, primary = true, disabled }: { readonly targets: readonly string[]; readonly label: string; readonly primary?: boolean; readonly disabled?: boolean }) {
  const [open, setOpen] = useState(false);
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
        {label}
      </button>
      {open ? <DeploySheet targets={targets} onClose={() => setOpen(false)} onStarted={openDeploy} diffSlot={(preview) => <DeployDiff preview={preview} />} /> : null}
    </>
  );
}
