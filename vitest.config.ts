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
          OPENAI_API_KEY: TEST_UPSTREAM_KEY,
          OPENAI_BASE_URL: `http://127.0.0.1:${inject("mockUpstreamPort")}/openai/v1`,
          UPSTREAM_FIRST_TOKEN_TIMEOUT_MS: "1500",
          UPSTREAM_IDLE_TIMEOUT_MS: "1500",
          UPSTREAM_TOTAL_TIMEOUT_MS: "3000",
          STREAM_KEEPALIVE_MS: "400",
        },
      },
    })),
  ],
  test: {
    globalSetup: ["./test/global-setup.ts"],
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
  },
});
