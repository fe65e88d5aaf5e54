/**
 * A progress indicator for long benchmark phases: on a terminal, one line rewritten in place; otherwise (CI logs,
 * redirected output) a plain line at most every `everyMs`, so a log shows that the run is alive without flooding it.
 */
export interface Progress {
  update(text: string): void;
  /** Clears the in-place line (no-op when nothing is shown). */
  done(): void;
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr, everyMs = 5000): Progress {
  const interactive = Boolean(stream.isTTY);
  let shown = false;
  let lastPrinted = 0;
  return {
    update(text) {
      if (interactive) {
        const width = Math.max(20, (stream.columns ?? 120) - 1);
        stream.write(`\r\x1b[2K${text.slice(0, width)}`);
        shown = true;
        return;
      }
      const now = Date.now();
      if (now - lastPrinted >= everyMs) {
        stream.write(`… ${text}\n`);
        lastPrinted = now;
      }
    },
    done() {
      if (interactive && shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
