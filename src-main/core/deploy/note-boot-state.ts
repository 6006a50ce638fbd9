import { systemProfile } from './activate';
import { bootStateOf, bootStateScript, type BootState } from './boot-state';
import { logFor, type DeployEnv } from './host-stages';
import { keyValues } from './remote-scripts';
import type { TargetRun } from './target-run';

/**
 * After a system's deploy (or reboot): does the host now need a reboot (a new kernel, initrd or
 * modules)? Best effort. `known`: the state the activation's exec read right after the switch
 * (nothing changes it before the deploy ends), so no remote exec of its own.
 */
export async function noteBootState(env: DeployEnv, run: TargetRun, known?: BootState): Promise<void> {
  if (run.spec.kind !== 'system' || env.mode === 'dry-activate' || (!known && !run.session?.connection.isOpen)) return;
  try {
    const state = known ?? bootStateOf(keyValues((await run.session!.script(bootStateScript, [systemProfile], { signal: env.job.signal })).stdout));
    if (state.needsReboot === undefined) return;
    run.needsReboot = state.needsReboot;
    if (state.needsReboot) logFor(env, run)(`reboot needed: ${(state.rebootReasons ?? []).join('; ')}`, 'info');
  } catch {
    // The deploy is done; whether it needs a reboot shows in the next status check.
  }
}
