// `npm run dev`: zero-configuration local Junction. Writes .dev.vars with fresh random keys when it
// is missing, prints the keys, then runs `wrangler dev` on 127.0.0.1:8787.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const path = new URL("../.dev.vars", import.meta.url);

if (!existsSync(path)) {
  const admin = `sk-jn-admin-${randomBytes(24).toString("hex")}`;
  const demo = `sk-jn-v1-${randomBytes(32).toString("hex")}`;
  writeFileSync(
    path,
    [
      "# Written by `npm run dev`. Local secrets only; never commit this file.",
      `ADMIN_KEY=${admin}`,
      `DEMO_API_KEY=${demo}`,
      "# Point a provider at a real or local host, e.g.:",
      "# OPENAI_API_KEY=sk-...",
      "# OPENAI_BASE_URL=http://127.0.0.1:11434/v1",
      "",
    ].join("\n"),
  );
  console.log("Created .dev.vars with new keys.");
}

const vars = Object.fromEntries(
  readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => /^[A-Z0-9_]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
);
console.log(`
  Junction on http://127.0.0.1:8787
  ADMIN_KEY     ${vars.ADMIN_KEY ?? "(not set)"}
  DEMO_API_KEY  ${vars.DEMO_API_KEY ?? "(not set)"}

  curl http://127.0.0.1:8787/api/v1/chat/completions \\
    -H "Authorization: Bearer ${vars.DEMO_API_KEY ?? "$DEMO_API_KEY"}" -H "Content-Type: application/json" \\
    -d '{"model":"junction/demo","messages":[{"role":"user","content":"Hello"}]}'
`);

const child = spawn("wrangler", ["dev", "--ip", "127.0.0.1", "--port", "8787", ...process.argv.slice(2)], {
  stdio: "inherit",
  shell: process.platform === "win32",
});
child.on("exit", (code) => process.exit(code ?? 0));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
