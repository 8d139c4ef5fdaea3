import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GaleraCluster } from './galera.js';

/** Where the instances connect: HAProxy's frontend in front of the three nodes. */
export const HAPROXY_PORT = 23300;
/** The HTTP health check of node i, for HAProxy: 200 while the node is Synced, or a donor. */
const healthPort = (i: number) => 23390 + i;

/**
 * HAProxy in TCP mode in front of the Galera nodes, as docs/scaling.md deploys it. Its check of
 * a node is an HTTP request to a small health server (the role clustercheck plays in
 * production, with AVAILABLE_WHEN_DONOR=1), which answers 200 while the node's
 * wsrep_local_state is 4 (Synced) or 2 (Donor: it keeps serving while it sends a rejoining node
 * its missing writesets by IST, or a state snapshot with a non-blocking method such as
 * mariabackup): a joining, desynced or dead node gets no new connections, and the sessions to a
 * node marked down are cut, so clients reconnect to a live one. (This cluster's only rsync
 * transfers, which do block their donor, happen while it forms, before any client connects.)
 */
export class HAProxy {
  private haproxy?: ChildProcess;
  private readonly health: Server[] = [];

  constructor(private readonly cluster: GaleraCluster) {}

  url(database: string): string {
    return `mysql://app:app@127.0.0.1:${HAPROXY_PORT}/${database}`;
  }

  async start(): Promise<void> {
    for (const node of this.cluster.nodes) {
      const server = createServer((_req, res) => {
        this.cluster.state(node.index).then((state) => {
          const available = state === 4 || state === 2;
          res.statusCode = available ? 200 : 503;
          res.end(`state ${state ?? 'down'}`);
        });
      });
      await new Promise<void>((resolve) => server.listen(healthPort(node.index), '127.0.0.1', resolve));
      this.health.push(server);
    }
    const config = join(this.cluster.base, 'haproxy.cfg');
    writeFileSync(
      config,
      `global
  maxconn 1024
defaults
  mode tcp
  timeout connect 1s
  timeout client 120s
  timeout server 120s
  retries 2
  option redispatch
frontend mysql
  bind 127.0.0.1:${HAPROXY_PORT}
  default_backend galera
backend galera
  balance leastconn
  option httpchk GET /
  default-server inter 400ms fall 1 rise 2 on-marked-down shutdown-sessions
${this.cluster.nodes.map((n) => `  server n${n.index} 127.0.0.1:${n.port} check port ${healthPort(n.index)}`).join('\n')}
`,
    );
    this.haproxy = spawn('haproxy', ['-f', config, '-db'], { stdio: 'ignore' });
    await sleep(1500); // the first checks mark the nodes up (rise 2 × 400 ms)
  }

  async stop(): Promise<void> {
    this.haproxy?.kill('SIGKILL');
    await Promise.all(this.health.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}
