/** `GET /stats/endpoints` (management key): every endpoint's rolling stats, from every shard. */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { JunctionError } from "../errors";
import { admissionStats } from "../limits/admission";
import { isolateStatsCounters, shardStub } from "../stats/isolate";
import { SHARDS } from "../stats/shards";
import { RELATIVE_ACCURACY } from "../stats/sketch";

export async function endpointStats(c: Context<AppEnv>): Promise<Response> {
  if (!c.env.ENDPOINT_STATS) throw new JunctionError(503, "No ENDPOINT_STATS binding", "server");
  const wanted = c.req.query("endpoint");
  const shards = await Promise.all(
    Array.from({ length: SHARDS }, (_, shard) => shardStub(c.env, shard).report()),
  );
  const data = shards
    .flatMap((shard, index) => shard.endpoints.map((endpoint) => ({ shard: index, ...endpoint })))
    .filter((e) => wanted === undefined || e.endpoint === wanted)
    .sort((a, b) => a.endpoint.localeCompare(b.endpoint));
  return c.json({
    data,
    shards: shards.map((shard, index) => ({ shard: index, rows_written: shard.rowsWritten })),
    sketch: { kind: "ddsketch-log-buckets", relative_accuracy: RELATIVE_ACCURACY },
    isolate: { ...isolateStatsCounters(), admission: { ...admissionStats } },
    generated_at: new Date().toISOString(),
  });
}
