import { describe, expect, it } from "vitest";
import { frame, stringFrame, stringValue } from "../../../test/fixtures/bedrock/frames";
import { MalformedUpstreamError } from "../types";
import { crc32, decodeMessage, EventStreamDecoder } from "./event-stream";

const bytes = (...values: (number | string)[]) =>
  Uint8Array.from(values.flatMap((v) => (typeof v === "string" ? [...new TextEncoder().encode(v)] : [v])));

/**
 * Published vectors of the framing (independent encoders): the payload `{"foo": "bar"}` alone,
 * and with the header `content-type: application/json`.
 */
const BARE = bytes(0, 0, 0, 30, 0, 0, 0, 0, 186, 242, 246, 138, '{"foo": "bar"}', 174, 114, 88, 228);
const WITH_HEADER = bytes(
  0,
  0,
  0,
  62,
  0,
  0,
  0,
  32,
  64,
  93,
  249,
  70,
  12,
  "content-type",
  7,
  0,
  16,
  "application/json",
  '{"foo": "bar"}',
  111,
  162,
  191,
  59,
);

const str = stringValue;
const event = (type: string, payload: object) =>
  stringFrame(
    { ":event-type": type, ":content-type": "application/json", ":message-type": "event" },
    JSON.stringify(payload),
  );

describe("crc32", () => {
  it("is the IEEE CRC-32", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe("decodeMessage", () => {
  it("decodes the published vectors", () => {
    expect(new TextDecoder().decode(decodeMessage(BARE).payload)).toBe('{"foo": "bar"}');
    const message = decodeMessage(WITH_HEADER);
    expect(message.headers).toEqual({ "content-type": "application/json" });
    expect(new TextDecoder().decode(message.payload)).toBe('{"foo": "bar"}');
  });

  it("reads every header value type", () => {
    const be = (n: number, size: number) => {
      const out = new Uint8Array(size);
      const view = new DataView(out.buffer);
      if (size === 1) view.setInt8(0, n);
      if (size === 2) view.setInt16(0, n);
      if (size === 4) view.setInt32(0, n);
      if (size === 8) view.setBigInt64(0, BigInt(n));
      return out;
    };
    const uuid = Uint8Array.from({ length: 16 }, (_, i) => i);
    const message = decodeMessage(
      frame(
        [
          ["t", 0, new Uint8Array(0)],
          ["f", 1, new Uint8Array(0)],
          ["byte", 2, be(-5, 1)],
          ["short", 3, be(-300, 2)],
          ["int", 4, be(70000, 4)],
          ["long", 5, be(2 ** 40, 8)],
          ["bytes", 6, Uint8Array.from([0, 2, 9, 8])],
          ["string", 7, str("héllo")],
          ["time", 8, be(1_700_000_000_000, 8)],
          ["uuid", 9, uuid],
        ],
        "{}",
      ),
    );
    expect(message.headers).toEqual({
      t: true,
      f: false,
      byte: -5,
      short: -300,
      int: 70000,
      long: 2n ** 40n,
      bytes: Uint8Array.from([9, 8]),
      string: "héllo",
      time: new Date(1_700_000_000_000),
      uuid,
    });
  });

  it("rejects a corrupt prelude or message", () => {
    const prelude = WITH_HEADER.slice();
    prelude[5] = (prelude[5] as number) ^ 1;
    expect(() => decodeMessage(prelude)).toThrow(/prelude CRC/);
    const payload = WITH_HEADER.slice();
    payload[50] = (payload[50] as number) ^ 0x20;
    expect(() => decodeMessage(payload)).toThrow(/message CRC/);
  });
});

describe("EventStreamDecoder", () => {
  const stream = [
    event("messageStart", { role: "assistant" }),
    event("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "Héllo" }, p: "abcd" }),
    event("messageStop", { stopReason: "end_turn" }),
  ];
  const whole = Uint8Array.from(stream.flatMap((f) => [...f]));
  const expected = [
    { event: "messageStart", data: '{"role":"assistant"}' },
    { event: "contentBlockDelta", data: '{"contentBlockIndex":0,"delta":{"text":"Héllo"},"p":"abcd"}' },
    { event: "messageStop", data: '{"stopReason":"end_turn"}' },
  ];

  it("decodes frames split at every byte boundary", () => {
    for (let cut = 0; cut <= whole.length; cut++) {
      const decoder = new EventStreamDecoder();
      const events = [
        ...decoder.push(whole.subarray(0, cut)),
        ...decoder.push(whole.subarray(cut)),
        ...decoder.end(),
      ];
      expect(events).toEqual(expected);
    }
  });

  it("decodes a stream delivered one byte at a time", () => {
    const decoder = new EventStreamDecoder();
    const events = [];
    for (const byte of whole) events.push(...decoder.push(Uint8Array.of(byte)));
    expect(events).toEqual(expected);
    expect(decoder.end()).toEqual([]);
  });

  it("names exceptions by their type and errors by their headers", () => {
    const exception = frame(
      [
        [":exception-type", 7, str("throttlingException")],
        [":content-type", 7, str("application/json")],
        [":message-type", 7, str("exception")],
      ],
      '{"message":"slow down"}',
    );
    const error = frame(
      [
        [":error-code", 7, str("InternalFailure")],
        [":error-message", 7, str("boom")],
        [":message-type", 7, str("error")],
      ],
      "",
    );
    expect(new EventStreamDecoder().push(Uint8Array.from([...exception, ...error]))).toEqual([
      { event: "throttlingException", data: '{"message":"slow down"}' },
      { event: "error", data: '{"code":"InternalFailure","message":"boom"}' },
    ]);
  });

  it("throws on a CRC mismatch, wherever the stream was split", () => {
    const corrupt = whole.slice();
    const first = (stream[0] as Uint8Array).length;
    corrupt[first + 30] = (corrupt[first + 30] as number) ^ 1;
    for (const cut of [1, 13, first + 5, corrupt.length - 1]) {
      const decoder = new EventStreamDecoder();
      expect(() => {
        decoder.push(corrupt.subarray(0, cut));
        decoder.push(corrupt.subarray(cut));
      }).toThrow(MalformedUpstreamError);
    }
  });

  it("throws on an impossible length instead of waiting for it", () => {
    const bad = new Uint8Array(12);
    const view = new DataView(bad.buffer);
    view.setUint32(0, 8);
    view.setUint32(8, crc32(bad, 0, 8));
    expect(() => new EventStreamDecoder().push(bad)).toThrow(/impossible length/);
  });

  it("throws when the body ends inside a frame", () => {
    const decoder = new EventStreamDecoder();
    decoder.push(whole.subarray(0, whole.length - 3));
    expect(() => decoder.end()).toThrow(/ended inside a message/);
  });
});
