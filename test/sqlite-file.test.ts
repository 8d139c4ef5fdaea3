import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../src/db/db.js';
import { migrateLatest } from '../src/db/migrate.js';

const modeOf = (file: string) => statSync(file).mode & 0o777;
const modesOf = (file: string) => [modeOf(file), modeOf(`${file}-wal`), modeOf(`${file}-shm`)];

/** A row written through the pool, so that the WAL holds something. */
async function writeRow(db: Db, username: string): Promise<void> {
  await db('users').insert({
    username,
    username_key: username,
    email: `${username}@example.com`,
    email_key: `${username}@example.com`,
    password_hash: 'not-a-real-hash',
    created_at: Date.now(),
    updated_at: Date.now(),
  });
}

describe('the SQLite database file', () => {
  let dir: string;
  let umask: number;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-mode-'));
    // The most permissive umask: the modes below must not come from it.
    umask = process.umask(0);
  });
  afterAll(() => {
    process.umask(umask);
    rmSync(dir, { recursive: true, force: true });
  });

  it('when createDb opens a new file and the migrations and a write run, then the file, its -wal and its -shm are 0600', async () => {
    const file = join(dir, 'new', 'app.db');
    const db = createDb(`sqlite:${file}`);
    try {
      await migrateLatest(db);
      await writeRow(db, 'first');
      expect(modesOf(file)).toEqual([0o600, 0o600, 0o600]);
    } finally {
      await db.destroy();
    }
  });

  it('when the file, -wal and -shm of an earlier run are world-readable, then createDb tightens them to 0600 and the data is still there', async () => {
    const source = join(dir, 'source.db');
    const file = join(dir, 'left-over.db');
    const writer = createDb(`sqlite:${source}`);
    try {
      await migrateLatest(writer);
      await writeRow(writer, 'kept');
      // A copy taken while the WAL is live, as a crash would leave the files.
      for (const suffix of ['', '-wal', '-shm']) copyFileSync(`${source}${suffix}`, `${file}${suffix}`);
    } finally {
      await writer.destroy();
    }
    for (const suffix of ['', '-wal', '-shm']) chmodSync(`${file}${suffix}`, 0o644);
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);

    const db = createDb(`sqlite:${file}`);
    try {
      expect(await db('users').pluck('username')).toEqual(['kept']);
      expect(modesOf(file)).toEqual([0o600, 0o600, 0o600]);
    } finally {
      await db.destroy();
    }
  });

  it('when the URL is sqlite::memory:, then the database works and no file is created', async () => {
    const db = createDb('sqlite::memory:');
    try {
      await migrateLatest(db);
      await writeRow(db, 'in_memory');
      expect(await db('users').pluck('username')).toEqual(['in_memory']);
      expect(existsSync(':memory:')).toBe(false);
    } finally {
      await db.destroy();
    }
  });
});
