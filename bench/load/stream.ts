/**
 * Part 3: streaming. The mock paces 64 content chunks 20 ms apart; a client reads each stream and
 * timestamps every content chunk as it arrives. Junction and the baseline alternate stream by
 * stream. The mock logs when it wrote each chunk, so the time a chunk spent inside the Worker is
 * measured per chunk (same machine, same wall clock).
 *
 * Proof of no buffering: in gated streams the mock writes the first chunk and then produces
 * nothing until the client reports that it has received that chunk. A relay that held the first
 * chunk back until more data came could never deliver it, and the gate would time out.
 */
import { Agent, request } from "node:http";
import { type BenchEnvironment, QUICK } from "../lib/environment.ts";
import { chatRequestJson } from "../lib/requests.ts";
import { spread } from "../lib/stats.ts";
import type { Side } from "./ab.ts";

const CHUNKS = 64;
const CHUNK_DELAY_MS = 20;

interface StreamTrace {
  user: string;
  status: number;
  headersMs: number;
  firstByteMs: number;
  firstContentMs: number;
  /** Epoch ms (fractional) at which each content chunk arrived. */
  contentArrivals: number[];
}

function traceStream(
  url: string,
  headers: Record<string, string>,
  body: string,
  user: string,
  agent: Agent,
  onFirstContent: () => void,
): Promise<StreamTrace> {
  return new Promise((resolve, reject) => {
    const trace: StreamTrace = {
      user,
      status: 0,
      headersMs: Number.NaN,
      firstByteMs: Number.NaN,
      firstContentMs: Number.NaN,
      contentArrivals: [],
    };
    const startedAt = performance.now();
    const req = request(url, { method: "POST", headers, agent, timeout: 30_000 }, (res) => {
      trace.status = res.statusCode ?? 0;
      trace.headersMs = performance.now() - startedAt;
      res.setEncoding("utf8");
      let buffered = "";
      res.on("data", (text: string) => {
        const now = performance.now();
        const arrivedAt = performance.timeOrigin + now;
        if (Number.isNaN(trace.firstByteMs)) trace.firstByteMs = now - startedAt;
        buffered += text;
        let end = buffered.indexOf("\n\n");
        while (end >= 0) {
          const event = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          end = buffered.indexOf("\n\n");
          if (!event.startsWith("data: ") || event === "data: [DONE]") continue;
          const chunk = JSON.parse(event.slice(6)) as { choices?: { delta?: { content?: unknown } }[] };
          const content = chunk.choices?.[0]?.delta?.content;
          if (typeof content !== "string" || content === "") continue;
          if (trace.contentArrivals.length === 0) {
            trace.firstContentMs = now - startedAt;
            onFirstContent();
          }
          trace.contentArrivals.push(arrivedAt);
        }
      });
      res.on("end", () => resolve(trace));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("stream took longer than 30 s")));
    req.on("error", reject);
    req.end(body);
  });
}

export interface StreamSide {
  streams: number;
  failed: number;
  headersMs: number;
  firstByteMs: number;
  firstContentMsP50: number;
  firstContentMsP90: number;
  gapMsP50: number;
  gapMsP99: number;
  gapMsMax: number;
  /** Upstream write → client arrival, per content chunk. */
  relayUsP50: number;
  relayUsP99: number;
  /** Streams in which the first chunk reached the client before the mock wrote the second. */
  firstBeforeSecond: number;
  chunksPerStream: number;
}

export interface GateProof {
  streams: number;
  released: number;
  /** Upstream write of the first chunk → its arrival at the client, per gated stream. */
  firstChunkRelayMs: number[];
}

export interface StreamResult {
  chunks: number;
  chunkDelayMs: number;
  junction: StreamSide;
  baseline: StreamSide;
  proof: Record<Side, GateProof>;
}

const SIDES: Side[] = ["junction", "baseline"];

export async function measureStreaming(env: BenchEnvironment): Promise<StreamResult> {
  const rounds = QUICK ? 3 : 10;
  const gatedRounds = 3;
  const agents: Record<Side, Agent> = {
    junction: new Agent({ keepAlive: true, maxSockets: 1 }),
    baseline: new Agent({ keepAlive: true, maxSockets: 1 }),
  };
  let serial = 0;
  const once = async (side: Side, onFirst: (user: string) => void) => {
    const user = `bench-stream-${side}-${serial++}`;
    const body = chatRequestJson({ bytes: 2_048, stream: true, user });
    return traceStream(env.urls[side], env.headers, body, user, agents[side], () => onFirst(user));
  };

  try {
    await env.mock.setProfile({ tokens: CHUNKS, chunkDelayMs: CHUNK_DELAY_MS });
    for (const side of SIDES) await once(side, () => {});
    const traces: Record<Side, StreamTrace[]> = { junction: [], baseline: [] };
    for (let round = 0; round < rounds; round++) {
      for (const side of SIDES) traces[side].push(await once(side, () => {}));
    }
    const log = await env.mock.streams();
    const written = new Map(log.streams.map((s) => [s.user, s.writtenAt]));

    await env.mock.setProfile({ tokens: 4, chunkDelayMs: CHUNK_DELAY_MS, gateAfterFirstChunk: true });
    const proof: Record<Side, GateProof> = {
      junction: { streams: 0, released: 0, firstChunkRelayMs: [] },
      baseline: { streams: 0, released: 0, firstChunkRelayMs: [] },
    };
    const gated: Record<Side, StreamTrace[]> = { junction: [], baseline: [] };
    for (let round = 0; round < gatedRounds; round++) {
      for (const side of SIDES) {
        gated[side].push(await once(side, (user) => void env.mock.release(user)));
      }
    }
    const gateLog = new Map((await env.mock.streams()).streams.map((s) => [s.user, s]));
    for (const side of SIDES) {
      for (const trace of gated[side]) {
        const entry = gateLog.get(trace.user);
        proof[side].streams++;
        if (entry?.gate === "released") proof[side].released++;
        const first = entry?.writtenAt[0];
        const arrived = trace.contentArrivals[0];
        if (first !== undefined && arrived !== undefined) proof[side].firstChunkRelayMs.push(arrived - first);
      }
    }

    const summarize = (side: Side): StreamSide => {
      const ok = traces[side].filter((t) => t.status === 200 && t.contentArrivals.length === CHUNKS);
      const gaps: number[] = [];
      const relays: number[] = [];
      let firstBeforeSecond = 0;
      for (const t of ok) {
        for (let i = 1; i < t.contentArrivals.length; i++) {
          gaps.push((t.contentArrivals[i] as number) - (t.contentArrivals[i - 1] as number));
        }
        const writes = written.get(t.user) ?? [];
        t.contentArrivals.forEach((arrived, i) => {
          const wrote = writes[i];
          if (wrote !== undefined) relays.push(arrived - wrote);
        });
        const second = writes[1];
        if (second !== undefined && (t.contentArrivals[0] as number) < second) firstBeforeSecond++;
      }
      const first = spread(ok.map((t) => t.firstContentMs));
      const gap = spread(gaps);
      const relay = spread(relays);
      return {
        streams: ok.length,
        failed: traces[side].length - ok.length,
        headersMs: spread(ok.map((t) => t.headersMs)).p50,
        firstByteMs: spread(ok.map((t) => t.firstByteMs)).p50,
        firstContentMsP50: first.p50,
        firstContentMsP90: first.p90,
        gapMsP50: gap.p50,
        gapMsP99: gap.p99,
        gapMsMax: gap.max,
        relayUsP50: relay.p50 * 1000,
        relayUsP99: relay.p99 * 1000,
        firstBeforeSecond,
        chunksPerStream: CHUNKS,
      };
    };
    return {
      chunks: CHUNKS,
      chunkDelayMs: CHUNK_DELAY_MS,
      junction: summarize("junction"),
      baseline: summarize("baseline"),
      proof,
    };
  } finally {
    agents.junction.destroy();
    agents.baseline.destroy();
    await env.mock.setProfile({});
  }
}
