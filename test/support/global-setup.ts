import { createConnection } from 'mysql2/promise';

/**
 * Says which databases the suite runs on. In CI the MySQL suite is mandatory: a missing
 * TEST_MYSQL_URL or an unreachable server fails the run instead of silently skipping.
 */
export default async function setup(): Promise<void> {
  const url = process.env.TEST_MYSQL_URL;
  if (!url) {
    if (process.env.CI) throw new Error('CI requires TEST_MYSQL_URL: the MySQL suite must run');
    console.log('\nDatabases: SQLite only (set TEST_MYSQL_URL=mysql://root@127.0.0.1:3306/test to run on MySQL too)\n');
    return;
  }
  const conn = await createConnection({ uri: url, connectTimeout: 5000 });
  const [rows] = await conn.query('SELECT VERSION() AS version');
  await conn.end();
  console.log(`\nDatabases: SQLite and MySQL (${(rows as { version: string }[])[0]?.version})\n`);
}
