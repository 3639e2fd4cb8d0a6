import { readFileSync } from "node:fs";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { TEST_ADMIN_KEY, TEST_DEMO_KEY, TEST_UPSTREAM_KEY } from "./test/constants.ts";

/** @openrouter/sdk names source maps it does not ship; load it without those comments to keep logs readable. */
const withoutMissingSourceMaps = {
  name: "without-missing-source-maps",
  enforce: "pre" as const,
  load(id: string) {
    if (!id.includes("/node_modules/@openrouter/sdk/esm/") || !id.endsWith(".js")) return null;
    return readFileSync(id.split("?")[0] as string, "utf8").replace(/^\/\/# sourceMappingURL=.*$/m, "");
  },
};

/**
 * Every catalog provider the tests exercise is pointed at the mock upstream, under a path
 * segment naming the provider, with the family's usual base path after it.
 */
const MOCK_PROVIDERS: Record<string, string> = {
  openai: "/v1",
  azure: "",
  anthropic: "",
  "google-ai-studio": "",
  "google-vertex": "",
  "amazon-bedrock": "",
  cohere: "",
  "workers-ai": "/v1",
  groq: "/v1",
  together: "/v1",
  fireworks: "/v1",
  deepinfra: "/v1",
};

/** Every provider slug in the bundled catalog. */
const CATALOG_PROVIDERS: string[] = JSON.parse(
  readFileSync("./src/catalog/bundled.json", "utf8"),
).providers.map((p: { slug: string }) => p.slug);

/**
 * Tests never reach the internet, whatever a developer's `.dev.vars` holds (vitest loads it):
 * every catalog provider's base URL is the mock; only the providers above get a key.
 */
function mockProviderBindings(origin: string): Record<string, string> {
  const bindings: Record<string, string> = {};
  for (const slug of CATALOG_PROVIDERS) {
    bindings[`${slug.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_BASE_URL`] = `${origin}/${slug}/v1`;
  }
  for (const [slug, basePath] of Object.entries(MOCK_PROVIDERS)) {
    const name = slug.toUpperCase().replace(/[^A-Z0-9]/g, "_");
    bindings[`${name}_BASE_URL`] = `${origin}/${slug}${basePath}`;
    bindings[`${name}_API_KEY`] = `test-key-${slug}`;
  }
  return bindings;
}

export default defineConfig({
  plugins: [
    withoutMissingSourceMaps,
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ADMIN_KEY: TEST_ADMIN_KEY,
          DEMO_API_KEY: TEST_DEMO_KEY,
          DEMO_CHUNK_DELAY_MS: "0",
          ...mockProviderBindings(`http://127.0.0.1:${inject("mockUpstreamPort")}`),
          OPENAI_API_KEY: TEST_UPSTREAM_KEY,
          UPSTREAM_FIRST_TOKEN_TIMEOUT_MS: "1500",
          UPSTREAM_IDLE_TIMEOUT_MS: "1500",
          UPSTREAM_ATTEMPT_TIMEOUT_MS: "1500",
          UPSTREAM_TOTAL_TIMEOUT_MS: "6000",
          STREAM_KEEPALIVE_MS: "400",
          // Stats move in test time: flush and refresh every 100 ms, shared circuits probe after 1.5 s.
          STATS_FLUSH_INTERVAL_MS: "100",
          STATS_SNAPSHOT_TTL_MS: "100",
          STATS_CIRCUIT_COOLDOWN_MS: "1500",
          KEY_LEASE_MS: "1000",
          TENANT_CACHE_TTL_MS: "500",
          MASTER_KEY: "test-master-key-for-byok-encryption",
        },
      },
    })),
  ],
  test: {
    globalSetup: ["./test/global-setup.ts"],
    // Integration tests start workerd isolates and Durable Objects on two cores; first requests are slow.
    testTimeout: 20_000,
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
  },
});
