import { say } from './log';

/** Undo steps registered as resources come up; run() undoes them newest first, once, each even if another fails. */
export const createCleanup = () => {
  const steps: { name: string; undo: () => Promise<unknown> }[] = [];
  let running: Promise<void> | undefined;
  return {
    add(name: string, undo: () => Promise<unknown>) {
      steps.push({ name, undo });
    },
    run() {
      running ??= (async () => {
        for (const step of steps.reverse()) {
          try {
            await step.undo();
          } catch (error) {
            say(`cleanup: ${step.name} failed: ${(error as Error).message.split('\n')[0]}`);
          }
        }
      })();
      return running;
    },
  };
};
