/** Starts the mock upstream as a child process and talks to its control endpoints. */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { StreamLogEntry } from "./server.ts";
import type { MockProfile } from "./wire.ts";

export interface MockUpstream {
  readonly origin: string;
  readonly pid: number;
  setProfile(profile: Partial<MockProfile>): Promise<void>;
  release(user: string): Promise<boolean>;
  streams(): Promise<{ requestsServed: number; streams: StreamLogEntry[] }>;
  stop(): Promise<void>;
}

const SERVER = new URL("./server.ts", import.meta.url).pathname;

export async function startMockProcess(): Promise<MockUpstream> {
  const child: ChildProcess = spawn(process.execPath, [SERVER, "0"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once("line", (line) => resolve((JSON.parse(line) as { port: number }).port));
    child.once("exit", (code) => reject(new Error(`mock upstream exited early (${code})`)));
  });
  const origin = `http://127.0.0.1:${port}`;
  const call = (method: string, path: string, body?: string) =>
    fetch(`${origin}${path}`, { method, ...(body === undefined ? {} : { body }) });
  return {
    origin,
    pid: child.pid ?? 0,
    async setProfile(profile) {
      const res = await call("PUT", "/__bench/profile", JSON.stringify(profile));
      if (res.status !== 204) throw new Error(`mock refused profile: ${res.status}`);
    },
    async release(user) {
      const res = await call("POST", `/__bench/release/${encodeURIComponent(user)}`);
      return res.status === 204;
    },
    async streams() {
      const res = await call("GET", "/__bench/streams");
      return (await res.json()) as { requestsServed: number; streams: StreamLogEntry[] };
    },
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      });
    },
  };
}
