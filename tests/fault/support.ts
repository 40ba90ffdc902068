// Helpers of the fault suite: a seeded generator, a bounded worker pool, table counts, control of this
// worktree's Postgres (stop/start through scripts/stack.sh) and a TCP proxy that can freeze.
import type postgres from "postgres";
import { DATABASE_URL } from "../support/harness.ts";
import { PROJECT_ROOT } from "../support/scripts.ts";

/** mulberry32: small, fast, reproducible. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

/** Runs `fn` over `items` with at most `concurrency` in flight. */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

export const TABLES = [
  "users",
  "subscriptions",
  "payments",
  "webhook_events",
  "tribute_inbox",
  "outbox",
  "admin_actions",
  "plans",
] as const;

/** Row count of every data table, for "nothing was written" assertions. */
export async function tableCounts(sql: postgres.Sql): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) {
    const [r] = await sql.unsafe(`select count(*)::int as n from public.${t}`);
    out[t] = r.n as number;
  }
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------
// This worktree's Postgres (the cluster npm test uses, chosen by PG_PORT like scripts/stack.sh)

async function stack(command: "db-down" | "db-up"): Promise<void> {
  const out = await new Deno.Command("bash", {
    args: ["scripts/stack.sh", command],
    cwd: PROJECT_ROOT,
    env: { DATABASE_URL },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`stack.sh ${command} failed: ${new TextDecoder().decode(out.stderr).slice(-2000)}`);
  }
}

/** Stops Postgres (pg_ctl stop -m fast: open sessions are terminated). */
export const stopPostgres = () => stack("db-down");
/** Starts Postgres again (roles, migrations and seed are re-checked; all idempotent). */
export const startPostgres = () => stack("db-up");

/** Is Postgres answering? (a fresh connection, one query, short timeouts) */
export async function postgresUp(sql: () => postgres.Sql): Promise<boolean> {
  const probe = sql();
  try {
    await probe`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await probe.end({ timeout: 1 }).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------------
// A TCP proxy in front of Postgres that can freeze: connections stay open, bytes stop flowing both ways
// (a hung server or a network path that silently drops packets; the case only timeouts can end).

export interface FreezableProxy {
  url: string;
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

export function startFreezableProxy(targetUrl = DATABASE_URL, port = 0): FreezableProxy {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port || 5432);
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  const sockets = new Set<Deno.Conn>();
  let frozen = false;
  let thawed: () => void = () => {};
  let thawPromise = Promise.resolve();

  const pipe = async (from: Deno.Conn, to: Deno.Conn) => {
    const buf = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await from.read(buf);
        if (n === null) break;
        while (frozen) await thawPromise;
        let off = 0;
        while (off < n) off += await to.write(buf.subarray(off, n));
      }
    } catch { /* a side closed */ }
    for (const c of [from, to]) {
      try {
        c.close();
      } catch { /* already closed */ }
      sockets.delete(c);
    }
  };

  const accepting = (async () => {
    for await (const client of listener) {
      try {
        const server = await Deno.connect({ hostname: target.hostname, port: targetPort });
        sockets.add(client);
        sockets.add(server);
        pipe(client, server);
        pipe(server, client);
      } catch {
        client.close();
      }
    }
  })().catch(() => {});

  const proxyUrl = new URL(targetUrl);
  proxyUrl.port = String((listener.addr as Deno.NetAddr).port);
  return {
    url: proxyUrl.toString(),
    freeze() {
      if (frozen) return;
      frozen = true;
      thawPromise = new Promise((r) => (thawed = r));
    },
    thaw() {
      frozen = false;
      thawed();
    },
    async close() {
      listener.close();
      this.thaw();
      for (const c of sockets) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
      sockets.clear();
      await accepting;
    },
  };
}
