import { useState } from 'react';
import { askNotificationPermission } from '../stores/deploy';

/**
 * Starting a job from a sheet or a card: ask once for notifications (the job reports when it
 * ends), show "starting" until the core answers, then hand the job id on and close the sheet
 * (a card's onClose does nothing), or keep it open with the problem.
 */
export function useJobStart(onStarted: ((jobId: string) => void) | undefined, onClose: () => void) {
  const [problem, setProblem] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const start = (run: () => Promise<string>) => {
    askNotificationPermission();
    setStarting(true);
    run()
      .then((jobId) => {
        setStarting(false);
        onStarted?.(jobId);
        onClose();
      })
      .catch((e: Error) => {
        setProblem(e.message);
        setStarting(false);
      });
  };
  return { problem, setProblem, starting, start };
}
