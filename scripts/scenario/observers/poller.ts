/** Run `poll` every `intervalMs`, never overlapping, until stopped; the final stop() polls once more. */
export function startPolling(poll: () => Promise<void>, intervalMs: number): { stop(): Promise<void> } {
  let stopped = false;
  let current: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const loop = () => {
    if (stopped) return;
    current = poll()
      .catch(() => undefined)
      .then(() => {
        if (!stopped) timer = setTimeout(loop, intervalMs);
      });
  };
  loop();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
      await poll().catch(() => undefined);
    },
  };
}
