import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { type Connection, createConnection } from 'mysql2/promise';

/**
 * A three-node MariaDB Galera cluster of the test's own on this machine: its own data
 * directories (under a temporary folder), its own ports (below Linux's ephemeral range, so no
 * client port takes them), run as the `mysql` user (rsync SST drops privileges). The shared
 * MariaDB on 3306 is never touched. Needs root, and Debian's galera-4 and rsync.
 */

export const PROVIDER = '/usr/lib/galera/libgalera_smm.so';
/** SQL port of node i (1-based): 23301, 23302, 23303. */
export const sqlPort = (i: number) => 23300 + i;
const gcommPort = (i: number) => 24560 + i;
const istPort = (i: number) => 24570 + i;
const sstPort = (i: number) => 24580 + i;

/** What this machine lacks to run a cluster, if anything. */
export function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (the nodes run as the mysql user)');
  if (!existsSync(PROVIDER)) missing.push('galera-4 (apt-get install galera-4)');
  if (!existsSync('/usr/bin/rsync')) missing.push('rsync (apt-get install rsync)');
  if (!existsSync('/usr/sbin/haproxy')) missing.push('haproxy (apt-get install haproxy)');
  return missing;
}

const MYSQL_USER = 'mysql';

function mysqlIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${MYSQL_USER}:`));
  if (!line) throw new Error('no mysql user on this machine');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export interface GaleraNode {
  index: number;
  port: number;
  dir: string;
  process?: ChildProcess;
}

export class GaleraCluster {
  readonly base = mkdtempSync(join(tmpdir(), 'galera-'));
  readonly nodes: GaleraNode[] = [1, 2, 3].map((index) => ({ index, port: sqlPort(index), dir: join(this.base, `n${index}`) }));
  /** `mysql://app:app@127.0.0.1:<port>/<database>` of node i. */
  url(i: number, database: string): string {
    return `mysql://app:app@127.0.0.1:${sqlPort(i)}/${database}`;
  }

  private node(i: number): GaleraNode {
    return this.nodes[i - 1] as GaleraNode;
  }

  private writeConfig(node: GaleraNode): string {
    const cluster = this.nodes.map((n) => `127.0.0.1:${gcommPort(n.index)}`).join(',');
    const file = join(node.dir, 'my.cnf');
    writeFileSync(
      file,
      `[mariadbd]
datadir=${node.dir}/data
socket=${node.dir}/mysqld.sock
pid-file=${node.dir}/mysqld.pid
port=${node.port}
bind-address=127.0.0.1
user=${MYSQL_USER}
log-error=${node.dir}/error.log
skip-name-resolve
innodb_buffer_pool_size=64M
innodb_log_file_size=16M
innodb_flush_log_at_trx_commit=2
binlog_format=ROW
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider=${PROVIDER}
wsrep_cluster_name=fitness_test
wsrep_cluster_address=gcomm://${cluster}
wsrep_node_address=127.0.0.1:${gcommPort(node.index)}
wsrep_node_name=n${node.index}
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:${gcommPort(node.index)};ist.recv_addr=127.0.0.1:${istPort(node.index)};gcache.size=64M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S"
wsrep_sst_receive_address=127.0.0.1:${sstPort(node.index)}
wsrep_sst_method=rsync
`,
    );
    return file;
  }

  /** Creates the data directories, starts node 1 as a new cluster, joins 2 and 3 (SST), and creates the `app` user. */
  async start(): Promise<void> {
    const { uid, gid } = mysqlIds();
    chmodSync(this.base, 0o755);
    for (const node of this.nodes) {
      mkdirSync(join(node.dir, 'data'), { recursive: true });
      const config = this.writeConfig(node);
      for (const path of [node.dir, join(node.dir, 'data'), config]) chownSync(path, uid, gid);
      execFileSync('mariadb-install-db', [`--defaults-file=${config}`, `--user=${MYSQL_USER}`, '--auth-root-authentication-method=normal', '--skip-test-db'], {
        stdio: 'ignore',
      });
    }
    this.launch(1, ['--wsrep-new-cluster']);
    await this.waitSynced(1);
    await this.root(1, async (c) => {
      await c.query("CREATE USER IF NOT EXISTS 'app'@'%' IDENTIFIED BY 'app'");
      await c.query("GRANT ALL PRIVILEGES ON *.* TO 'app'@'%'");
    });
    this.launch(2);
    this.launch(3);
    await Promise.all([this.waitSynced(2), this.waitSynced(3)]);
    await this.waitClusterSize(3);
  }

  private launch(i: number, extra: string[] = []): void {
    const node = this.node(i);
    node.process = spawn('mariadbd', [`--defaults-file=${join(node.dir, 'my.cnf')}`, ...extra], { stdio: 'ignore' });
  }

  /** A statement as root over TCP on node i. */
  async root<T>(i: number, work: (c: Connection) => Promise<T>): Promise<T> {
    const c = await createConnection({ host: '127.0.0.1', port: sqlPort(i), user: 'root', connectTimeout: 3000 });
    try {
      return await work(c);
    } finally {
      await c.end();
    }
  }

  /** wsrep_local_state of node i (4 = Synced), or undefined while it does not answer. */
  async state(i: number): Promise<number | undefined> {
    try {
      return await this.root(i, async (c) => {
        const [rows] = await c.query("SHOW STATUS LIKE 'wsrep_local_state'");
        return Number((rows as { Value: string }[])[0]?.Value);
      });
    } catch {
      return undefined;
    }
  }

  async waitSynced(i: number, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await this.state(i)) === 4) return;
      await sleep(200);
    }
    throw new Error(`node ${i} is not Synced after ${timeoutMs} ms (see ${join(this.node(i).dir, 'error.log')})`);
  }

  async waitClusterSize(size: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const sizes = await Promise.all(
        this.nodes
          .filter((n) => n.process && n.process.exitCode === null && n.process.signalCode === null)
          .map((n) =>
            this.root(n.index, async (c) => Number(((await c.query("SHOW STATUS LIKE 'wsrep_cluster_size'"))[0] as { Value: string }[])[0]?.Value)).catch(
              () => 0,
            ),
          ),
      );
      if (sizes.length >= size && sizes.every((s) => s === size)) return;
      await sleep(200);
    }
    throw new Error(`the cluster did not reach size ${size} within ${timeoutMs} ms`);
  }

  /** kill -9 of node i. */
  async kill(i: number): Promise<void> {
    const child = this.node(i).process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /**
   * Restarts a killed node where it left off: `--wsrep-recover` reads its last committed
   * position from InnoDB, and started there it catches up by IST from a donor.
   */
  async restart(i: number): Promise<{ position: string }> {
    const node = this.node(i);
    const config = join(node.dir, 'my.cnf');
    const recoverLog = join(node.dir, 'recover.log');
    // Not execFileSync: this process also runs the instances under load and HAProxy's health
    // checks, and blocking it for the seconds recovery takes failed every check at once, so
    // HAProxy cut the sessions to the live nodes too.
    await promisify(execFile)('mariadbd', [`--defaults-file=${config}`, '--wsrep-recover', `--log-error=${recoverLog}`]);
    const position = /Recovered position: (\S+)/.exec(readFileSync(recoverLog, 'utf8'))?.[1];
    if (!position) throw new Error(`node ${i}: --wsrep-recover found no position (${recoverLog})`);
    this.launch(i, [`--wsrep-start-position=${position}`]);
    await this.waitSynced(i);
    return { position };
  }

  /** Whether node i rejoined by IST (incremental) rather than a full state transfer. */
  rejoinedByIst(i: number): boolean {
    return /IST received|Receiving IST/.test(readFileSync(join(this.node(i).dir, 'error.log'), 'utf8'));
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.kill(n.index)));
    rmSync(this.base, { recursive: true, force: true });
  }
}
