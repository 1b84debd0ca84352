/**
 * A delaying TCP proxy: a stand-in for a monitored project far away (the benchmark's fan-out),
 * and a counter of what a client sends (the tests of round trips). Every connection waits
 * `delayMs` before its upstream connection is opened, and every chunk is forwarded `delayMs`
 * after it arrived, in each direction — so one request/response round trip costs 2 × delayMs
 * on top of the server's own time, and chunks keep their order (equal delays fire in order).
 * With `delayMs` 0 it only counts.
 */
import net from "node:net";

export interface DelayProxy {
  port: number;
  /**
   * Connections accepted, and chunks forwarded client → server (≈ round trips: each is a
   * request). `queries` counts the round trips spent on statements: a client chunk that starts
   * with a Query or Parse message counts when the client has received something since its
   * previous chunk, so pipelined statements (written apart, sent before any answer) count once.
   * Exact when delayMs is larger than the gaps between a client's pipelined writes.
   */
  stats: { connections: number; requests: number; responses: number; queries: number };
  close(): Promise<void>;
}

export async function startDelayProxy(target: { host: string; port: number }, delayMs: number): Promise<DelayProxy> {
  const sockets = new Set<net.Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const stats = { connections: 0, requests: 0, responses: 0, queries: 0 };
  const later = (fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, delayMs);
    timers.add(timer);
  };

  const server = net.createServer((client) => {
    stats.connections++;
    client.setNoDelay(true);
    sockets.add(client);
    let upstream: net.Socket | undefined;
    // The client has been answered since it last wrote: its next statement is a new round trip.
    let answered = true;
    const pending: Buffer[] = [];
    const destroyBoth = () => {
      client.destroy();
      upstream?.destroy();
    };
    client.on("error", destroyBoth);
    client.on("close", () => {
      sockets.delete(client);
      later(() => upstream?.destroy());
    });
    client.on("data", (chunk) => {
      stats.requests++;
      if (answered && (chunk[0] === 0x51 /* Q */ || chunk[0] === 0x50) /* P */) stats.queries++;
      answered = false;
      later(() => (upstream ? upstream.write(chunk) : pending.push(chunk)));
    });
    client.on("end", () => later(() => upstream?.end()));
    // The connection itself takes delayMs to reach the server (as a SYN would).
    later(() => {
      if (client.destroyed) return;
      const up = net.connect(target.port, target.host);
      upstream = up;
      up.setNoDelay(true);
      sockets.add(up);
      for (const chunk of pending.splice(0)) up.write(chunk);
      up.on("data", (chunk) => {
        stats.responses++;
        later(() => {
          if (client.destroyed) return;
          client.write(chunk);
          answered = true;
        });
      });
      up.on("end", () => later(() => client.end()));
      up.on("error", destroyBoth);
      up.on("close", () => {
        sockets.delete(up);
        later(() => client.destroy());
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("the proxy has no address");

  return {
    port: address.port,
    stats,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
