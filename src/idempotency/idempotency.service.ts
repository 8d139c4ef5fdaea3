import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import { isTransactionConflict } from '../db/errors.js';
import { Errors } from '../errors.js';
import { hashSecret } from '../secrets.js';
import type { Claim, IdempotencyRepository, KeptReply } from './idempotency.repository.js';

/** How long an answer is kept under its key. */
export const KEPT_MS = 24 * 60 * 60 * 1000;
/** How long a claim holds without an answer before another request may take it over (its process died). */
const LEASE_MS = 60 * 1000;
/** Rounds of claim / read before a request gives up as if the first were still in flight. */
const ROUNDS = 5;

/** JSON with object keys sorted, so that the same body sent with its keys reordered is the same request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export interface IdempotentRequest {
  operationId: string;
  /** The caller, when authenticated: keys are theirs alone. */
  userId: number | undefined;
  key: string;
  body: unknown;
}

export interface IdempotentOutcome {
  reply: KeptReply;
  /** The kept answer of an earlier request, not a new one. */
  replayed: boolean;
}

export type Idempotency = ReturnType<typeof createIdempotency>;

/**
 * Idempotency keys (draft-ietf-httpapi-idempotency-key-header). The first request with a key
 * claims it by inserting its row, is processed, and its successful answer is kept for 24 h;
 * a repeat with the same body gets that answer, one with another body 422, one while the
 * first is in flight 409. A failed request gives its claim up. The request is known by an
 * HMAC of its body, never the body itself: a registration's body holds a password.
 */
export function createIdempotency(deps: { keys: IdempotencyRepository; secret: Buffer; clock: Clock; onKeepFailed?: (err: unknown) => void }) {
  const { keys, clock } = deps;
  const macKey = Buffer.from(hkdfSync('sha256', deps.secret, Buffer.alloc(0), 'idempotency request fingerprint', 32));
  const fingerprintOf = (r: IdempotentRequest) =>
    createHmac('sha256', macKey)
      .update(`${r.operationId}\n${canonicalJson(r.body)}`)
      .digest('hex');

  /** Claims the key for this request, or answers what an earlier request with it decides. */
  async function claimOrReplay(claim: Claim): Promise<KeptReply | undefined> {
    for (let round = 0; round < ROUNDS; round += 1) {
      const now = clock();
      try {
        if (await keys.insert(claim, now + LEASE_MS, now + KEPT_MS)) return undefined;
      } catch (err) {
        // On a cluster, the insert that lost the race to another node's is a write conflict.
        if (!isTransactionConflict(err)) throw err;
        continue;
      }
      const held = await keys.find(claim);
      if (!held) continue; // released or purged meanwhile: claim again
      if (held.expiresAt <= now) {
        await keys.deleteExpired(claim, now);
        continue;
      }
      if (held.fingerprint !== claim.fingerprint) throw Errors.idempotencyKeyReused();
      if (held.reply) return held.reply;
      if (held.lockedUntil > now) throw Errors.idempotencyKeyInFlight();
      if (await keys.takeOver(claim, now, now + LEASE_MS)) return undefined;
    }
    throw Errors.idempotencyKeyInFlight();
  }

  return {
    async run(request: IdempotentRequest, process: () => Promise<KeptReply>): Promise<IdempotentOutcome> {
      const claim: Claim = {
        scope: `${request.operationId}:${request.userId ?? '-'}`,
        keyHash: hashSecret(request.key),
        userId: request.userId ?? null,
        fingerprint: fingerprintOf(request),
        owner: randomBytes(12).toString('hex'),
      };
      const kept = await claimOrReplay(claim);
      if (kept) return { reply: kept, replayed: true };
      let reply: KeptReply;
      try {
        reply = await process();
      } catch (err) {
        await keys.release(claim).catch(() => undefined);
        throw err;
      }
      // The work is done: a failure to keep the answer must not turn it into an error. The
      // claim then stays unfinished until its lease runs out.
      await keys.complete(claim, reply).catch((err: unknown) => deps.onKeepFailed?.(err));
      return { reply, replayed: false };
    },

    /** Deletes the expired keys (the server's periodic purge). */
    purge: () => keys.purgeExpired(clock()),
  };
}
