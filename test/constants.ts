/** Secrets the test Worker runs with (bound in vitest.config.ts). */
export const TEST_ADMIN_KEY = "sk-jn-admin-test-0123456789";
export const TEST_DEMO_KEY = "sk-jn-v1-test-demo-key-0123456789";
/** The `openai` provider's key; the mock upstream plays `openai`. Must never reach a client. */
export const TEST_UPSTREAM_KEY = "sk-upstream-secret-do-not-leak";
