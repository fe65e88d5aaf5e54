import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStreamRelay } from '../../local/emulators/stream-relay';

/**
 * The offline outbox relay's saved stream positions survive a SIGKILL: they are written aside and renamed, and a file
 * left unreadable (by a kill mid-write of an older version) means "start at the trim horizon", not a runtime that
 * cannot start. The failover drill kills regions and restarts them on their data.
 */

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'relay-checkpoints-'));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

const relayWith = (checkpointFile: string) =>
  new LocalStreamRelay({
    projectRoot: process.cwd(),
    handlerModule: 'functions/relays/outbox-relay.ts',
    endpoint: 'http://127.0.0.1:9',
    tableName: 'orders-test',
    checkpointFile,
  });

it.each([
  ['truncated JSON', '{"shardId-0001": "0000'],
  ['an empty file', ''],
  ['something else', '["not", "positions"]'],
])('starts from the trim horizon when the file holds %s, and says so', (_, contents) => {
  const file = join(directory, 'checkpoints.json');
  writeFileSync(file, contents);
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    expect(() => relayWith(file)).not.toThrow();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('trim horizon'));
  } finally {
    warn.mockRestore();
  }
});

it('reads positions it saved, and warns about nothing', () => {
  const file = join(directory, 'checkpoints.json');
  writeFileSync(file, JSON.stringify({ 'shardId-0001': '000000000000000000123' }));
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    relayWith(file);
    expect(warn).not.toHaveBeenCalled();
  } finally {
    warn.mockRestore();
  }
});
