/** A minimal Chrome DevTools Protocol client over Node's built-in WebSocket, for workerd's inspector. */

/** No inspector call may hang the bench: a method workerd does not answer fails after this. */
const CALL_TIMEOUT_MS = 60_000;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export interface CdpSession {
  send<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T>;
  close(): void;
}

/** Connects to one inspector target, e.g. `ws://127.0.0.1:9229/core:user:junction`. */
export function connectCdp(url: string): Promise<CdpSession> {
  const socket = new WebSocket(url);
  const pending = new Map<number, Pending>();
  let nextId = 1;
  socket.addEventListener("message", (message: MessageEvent) => {
    const data = JSON.parse(String(message.data)) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
    };
    if (data.id === undefined) return;
    const waiter = pending.get(data.id);
    pending.delete(data.id);
    if (data.error) waiter?.reject(new Error(`CDP: ${data.error.message}`));
    else waiter?.resolve(data.result);
  });
  socket.addEventListener("close", () => {
    for (const waiter of pending.values()) waiter.reject(new Error("CDP connection closed"));
    pending.clear();
  });
  return new Promise((resolve, reject) => {
    socket.addEventListener("error", () => reject(new Error(`could not connect to ${url}`)), { once: true });
    socket.addEventListener(
      "open",
      () =>
        resolve({
          send<T>(method: string, params: Record<string, unknown> = {}) {
            const id = nextId++;
            socket.send(JSON.stringify({ id, method, params }));
            return new Promise<T>((done, fail) => {
              const timer = setTimeout(() => {
                pending.delete(id);
                fail(new Error(`CDP: ${method} got no answer within ${CALL_TIMEOUT_MS} ms`));
              }, CALL_TIMEOUT_MS);
              pending.set(id, {
                resolve: (value) => {
                  clearTimeout(timer);
                  done(value as T);
                },
                reject: (error) => {
                  clearTimeout(timer);
                  fail(error);
                },
              });
            });
          },
          close: () => socket.close(),
        }),
      { once: true },
    );
  });
}

/** The inspector URL of one Worker: workerd names its targets `core:user:<worker name>`. */
export function workerTarget(inspectorUrl: string, workerName: string): string {
  return `${inspectorUrl.replace(/\/$/, "")}/core:user:${workerName}`;
}
