/**
 * Endpoints are spread over SHARDS `EndpointStats` objects by a hash of their key, so no single
 * object takes every isolate's flushes and snapshot reads. Eight: an isolate flushes at most one
 * batch per shard per interval and refreshes only the shards of endpoints it routes to (a model has
 * a handful), while eight objects take an eighth of the write load each. The count is part of each
 * object's name: changing it starts new, empty objects instead of mixing two hashings, and the old
 * ones expire within a day.
 */
export const SHARDS = 8;

/** FNV-1a: fast, stable across isolates and deployments, spreads short similar keys well. */
export function shardOf(endpoint: string, shards = SHARDS): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < endpoint.length; i++) {
    hash ^= endpoint.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}
