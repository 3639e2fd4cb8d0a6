/** Real clients against Junction: the SDKs validate shapes that hand-written asserts miss. */

import { exports } from "cloudflare:workers";
import { HTTPClient, OpenRouter } from "@openrouter/sdk";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { TEST_ADMIN_KEY, TEST_DEMO_KEY } from "./constants";
import { BASE } from "./helpers";

const workerFetch = (input: RequestInfo | URL, init?: RequestInit) =>
  exports.default.fetch(new Request(input, init));

const tools: OpenAI.Chat.ChatCompletionTool[] = [
  {
    type: "function",
    function: {
      name: "lookup",
      description: "Look something up",
      parameters: { type: "object", properties: { query: { type: "string" } }, required: ["query"] },
    },
  },
];

for (const prefix of ["/v1", "/api/v1"]) {
  describe(`openai SDK at ${prefix}`, () => {
    const client = new OpenAI({
      baseURL: `${BASE}${prefix}`,
      apiKey: TEST_DEMO_KEY,
      fetch: workerFetch,
      maxRetries: 0,
    });

    it("chat.completions.create, JSON, against the demo provider and the OpenAI-compatible upstream", async () => {
      for (const model of ["junction/demo", "openai/gpt-4o-mini"]) {
        const completion = await client.chat.completions.create({
          model,
          messages: [{ role: "user", content: "Hi" }],
        });
        expect(completion.choices[0]?.message.content).toBeTruthy();
        expect(completion.usage?.total_tokens).toBeGreaterThan(0);
        expect(completion.id).toMatch(/^gen-/);
      }
    });

    it("streams with the SDK's iterator, usage included", async () => {
      for (const model of ["junction/demo", "openai/gpt-4o-mini"]) {
        const stream = await client.chat.completions.create({
          model,
          stream: true,
          stream_options: { include_usage: true },
          messages: [{ role: "user", content: "Hi" }],
        });
        let text = "";
        let usage: OpenAI.CompletionUsage | undefined | null;
        for await (const chunk of stream) {
          text += chunk.choices[0]?.delta.content ?? "";
          if (chunk.usage) usage = chunk.usage;
        }
        expect(text.length).toBeGreaterThan(5);
        expect(usage?.completion_tokens).toBeGreaterThan(0);
      }
    });

    it("tools: a tool call, then the tool result, JSON and streamed (runTools helper)", async () => {
      const first = await client.chat.completions.create({
        model: "junction/demo",
        tools,
        tool_choice: "required",
        messages: [{ role: "user", content: "look up the answer" }],
      });
      const call = first.choices[0]?.message.tool_calls?.[0];
      expect(call?.type).toBe("function");
      if (call?.type !== "function") return;
      expect(JSON.parse(call.function.arguments)).toEqual({ query: "demo" });

      const runner = client.chat.completions.runTools({
        model: "junction/demo",
        stream: true,
        messages: [{ role: "user", content: "please use lookup" }],
        tools: [
          {
            type: "function",
            function: {
              name: "lookup",
              parameters: { type: "object", properties: { query: { type: "string" } }, required: ["query"] },
              function: (args: { query: string }) => `result for ${args.query}`,
              parse: (raw: string) => JSON.parse(raw) as { query: string },
            },
          },
          // The SDK's overloads cannot infer the tool context type here; the shape is its documented one.
        ] as never,
      });
      const final = await runner.finalContent();
      expect(final).toBe("The tool returned: result for demo");
    });

    it("surfaces Junction's errors as the SDK's typed errors", async () => {
      await expect(
        client.chat.completions.create({
          model: "nobody/nothing",
          messages: [{ role: "user", content: "x" }],
        }),
      ).rejects.toMatchObject({ status: 404 });
      await expect(
        client.chat.completions.create({
          model: "openai/gpt-4o-mini",
          messages: [{ role: "user", content: "x" }],
          mock: { status: 429, retry_after: "3" },
        } as never),
      ).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    });

    it("a mid-stream failure raises in the SDK's iterator", async () => {
      const stream = await client.chat.completions.create({
        model: "openai/gpt-4o-mini",
        stream: true,
        messages: [{ role: "user", content: "x" }],
        mock: { content: "one two three four", cut_after_chunks: 2 },
      } as never);
      const consume = async () => {
        for await (const _ of stream as unknown as AsyncIterable<unknown>) {
          // drain
        }
      };
      await expect(consume()).rejects.toThrow(/(OpenAI|Azure): upstream stream failed/);
    });

    it("models.list", async () => {
      const page = await client.models.list();
      expect(page.data.map((m) => m.id)).toContain("junction/demo");
    });
  });
}

describe("@openrouter/sdk", () => {
  const client = new OpenRouter({
    apiKey: TEST_DEMO_KEY,
    serverURL: `${BASE}/api/v1`,
    httpClient: new HTTPClient({ fetcher: workerFetch }),
  });

  it("models.list passes the SDK's validation", async () => {
    const page = await client.models.list();
    const list = page.result;
    expect(list.totalCount).toBe(list.data.length);
    expect(list.data.find((m) => m.id === "junction/demo")?.pricing.prompt).toBe("0");
  });

  it("chat.send, JSON and streaming, passes the SDK's validation", async () => {
    const result = await client.chat.send({
      chatRequest: { model: "junction/demo", messages: [{ role: "user", content: "Hi" }] },
    } as never);
    expect((result as any).choices[0].message.content).toContain("Hi");

    const stream = await client.chat.send({
      chatRequest: { model: "openai/gpt-4o-mini", stream: true, messages: [{ role: "user", content: "Hi" }] },
    } as never);
    let text = "";
    let cost: number | undefined;
    for await (const chunk of stream as unknown as AsyncIterable<any>) {
      text += chunk.choices[0]?.delta?.content ?? "";
      if (chunk.usage) cost = chunk.usage.cost;
    }
    expect(text).toBe("Hello from the mock upstream.");
    expect(cost).toBeGreaterThan(0);
  });

  it("apiKeys.getCurrentKeyMetadata passes the SDK's validation", async () => {
    const me = await (client as any).apiKeys.getCurrentKeyMetadata();
    expect(me.data.isManagementKey).toBe(false);
  });
});

describe("@openrouter/sdk key management, credits and generations", () => {
  const as = (apiKey: string) =>
    new OpenRouter({
      apiKey,
      serverURL: `${BASE}/api/v1`,
      httpClient: new HTTPClient({ fetcher: workerFetch }),
    });
  const management = as(TEST_ADMIN_KEY);

  it("apiKeys.create/list/get/update/delete, credits.getCredits and generations.getGeneration pass validation", async () => {
    const created = await management.apiKeys.create({
      requestBody: { name: "sdk", limit: 2, limitReset: "weekly" },
    } as never);
    const { key, data } = created as unknown as { key: string; data: { hash: string; limitReset: string } };
    expect(data.limitReset).toBe("weekly");

    const list = await management.apiKeys.list();
    expect(list.data.some((k) => k.hash === data.hash)).toBe(true);
    const got = await management.apiKeys.get({ hash: data.hash });
    expect(got.data.limit).toBe(2);
    const updated = await management.apiKeys.update({ hash: data.hash, requestBody: { name: "renamed" } });
    expect(updated.data.name).toBe("renamed");

    const user = as(key);
    const completion = (await user.chat.send({
      chatRequest: { model: "junction/demo", messages: [{ role: "user", content: "Hi" }] },
    } as never)) as unknown as { id: string };
    await new Promise((resolve) => setTimeout(resolve, 300));
    const generation = await user.generations.getGeneration({ id: completion.id });
    expect(generation.data.id).toBe(completion.id);
    const credits = await user.credits.getCredits();
    expect(credits.data.totalCredits).toBe(2);

    const deleted = await management.apiKeys.delete({ hash: data.hash });
    expect(deleted.deleted).toBe(true);
  });
});
