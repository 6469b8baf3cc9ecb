// Ctrl-C and SIGTERM: the first stops every host's run between tasks (the recap, the report and
// the audit trail still say what happened; exit 130); a second one aborts at once.
export interface Interrupt {
  requested(): boolean;
  dispose(): void;
}

export function onInterrupt(say: (line: string) => void): Interrupt {
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      say(`\nprovision: ${signal}: stopping after the task running on each host (again to abort at once)`);
      return;
    }
    say(`\nprovision: ${signal} again: aborting now; a task that was running may not have finished`);
    process.exit(130);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    requested: () => count > 0,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
