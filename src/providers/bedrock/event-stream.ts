/**
 * AWS event stream (`application/vnd.amazon.eventstream`), the binary framing of Bedrock's
 * ConverseStream. Each message:
 *
 *   total length (u32 BE) | headers length (u32 BE) | prelude CRC32 (of the 8 bytes before)
 *   headers | payload | message CRC32 (of everything before it)
 *
 * A header is name length (u8), name, value type (u8), value. Decoding is incremental: bytes
 * arrive in whatever pieces the network delivers, and a frame may span any number of them.
 */
import { MalformedUpstreamError, type StreamDecoder, type StreamEvent } from "../types";

/** Signed entries: V8 keeps int32 arithmetic in registers, but boxes Uint32 values above 2^31. */
const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, the one gzip uses), as the framing specifies. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const table = CRC_TABLE;
  let crc = -1;
  for (let i = start; i < end; i++)
    crc = (table[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

export type HeaderValue = string | number | bigint | boolean | Uint8Array | Date;

export interface EventStreamMessage {
  headers: Record<string, HeaderValue>;
  payload: Uint8Array;
}

const PRELUDE = 12;
/** Prelude plus the trailing message CRC. */
const OVERHEAD = 16;
/** The framing's own limit; anything larger is corruption, not a message. */
const MAX_MESSAGE = 16 * 1024 * 1024;
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Header names and most values are short ASCII, for which a decoder call costs more than the loop. */
function text(bytes: Uint8Array, start: number, end: number): string {
  let out = "";
  for (let i = start; i < end; i++) {
    const byte = bytes[i] as number;
    if (byte >= 0x80) return utf8.decode(bytes.subarray(start, end));
    out += String.fromCharCode(byte);
  }
  return out;
}

function readHeaders(bytes: Uint8Array, view: DataView, start: number, end: number) {
  const headers: Record<string, HeaderValue> = {};
  let at = start;
  const need = (n: number) => {
    if (at + n > end) throw new MalformedUpstreamError("event stream header runs past its section");
  };
  while (at < end) {
    need(1);
    const nameLength = bytes[at++] as number;
    need(nameLength + 1);
    const name = text(bytes, at, at + nameLength);
    at += nameLength;
    const type = bytes[at++] as number;
    let value: HeaderValue;
    switch (type) {
      case 0:
        value = true;
        break;
      case 1:
        value = false;
        break;
      case 2:
        need(1);
        value = view.getInt8(at);
        at += 1;
        break;
      case 3:
        need(2);
        value = view.getInt16(at);
        at += 2;
        break;
      case 4:
        need(4);
        value = view.getInt32(at);
        at += 4;
        break;
      case 5:
        need(8);
        value = view.getBigInt64(at);
        at += 8;
        break;
      case 6:
      case 7: {
        need(2);
        const length = view.getUint16(at);
        at += 2;
        need(length);
        value = type === 7 ? text(bytes, at, at + length) : bytes.slice(at, at + length);
        at += length;
        break;
      }
      case 8:
        need(8);
        value = new Date(Number(view.getBigInt64(at)));
        at += 8;
        break;
      case 9:
        need(16);
        value = bytes.slice(at, at + 16);
        at += 16;
        break;
      default:
        throw new MalformedUpstreamError(`event stream header ${name} has unknown value type ${type}`);
    }
    headers[name] = value;
  }
  return headers;
}

/**
 * Decodes the one message that fills `bytes` exactly, verifying both CRCs (the prelude's only once:
 * the streaming decoder has checked it before trusting the lengths).
 */
export function decodeMessage(bytes: Uint8Array, verifyPrelude = true): EventStreamMessage {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const total = view.getUint32(0);
  const headersLength = view.getUint32(4);
  if (total !== bytes.length) throw new MalformedUpstreamError("event stream message length mismatch");
  if (verifyPrelude && view.getUint32(8) !== crc32(bytes, 0, 8)) {
    throw new MalformedUpstreamError("event stream prelude CRC mismatch");
  }
  if (view.getUint32(total - 4) !== crc32(bytes, 0, total - 4)) {
    throw new MalformedUpstreamError("event stream message CRC mismatch");
  }
  const headers = readHeaders(bytes, view, PRELUDE, PRELUDE + headersLength);
  return { headers, payload: bytes.subarray(PRELUDE + headersLength, total - 4) };
}

const payloadText = new TextDecoder();

/**
 * A message as the stream translator sees it. Events keep their `:event-type`; exceptions are
 * named by their `:exception-type` (which always ends in "Exception"); error messages become
 * `error` with the code and message from their headers.
 */
export function toStreamEvent(message: EventStreamMessage): StreamEvent {
  const kind = message.headers[":message-type"];
  const data = payloadText.decode(message.payload);
  if (kind === "exception") {
    return { event: String(message.headers[":exception-type"] ?? "unknownException"), data };
  }
  if (kind === "error") {
    return {
      event: "error",
      data: JSON.stringify({
        code: String(message.headers[":error-code"] ?? "error"),
        message: String(message.headers[":error-message"] ?? data),
      }),
    };
  }
  return { event: String(message.headers[":event-type"] ?? "unknown"), data };
}

/** Incremental decoder: keeps only the bytes of the frame in progress. */
export class EventStreamDecoder implements StreamDecoder {
  private pending = new Uint8Array(0);

  push(bytes: Uint8Array): StreamEvent[] {
    let buffer = bytes;
    if (this.pending.length > 0) {
      buffer = new Uint8Array(this.pending.length + bytes.length);
      buffer.set(this.pending);
      buffer.set(bytes, this.pending.length);
    }
    const events: StreamEvent[] = [];
    let at = 0;
    while (buffer.length - at >= PRELUDE) {
      const view = new DataView(buffer.buffer, buffer.byteOffset + at, PRELUDE);
      const total = view.getUint32(0);
      // The prelude is checked before its lengths are trusted: a corrupt length would otherwise
      // make the decoder wait forever for bytes that never come.
      if (view.getUint32(8) !== crc32(buffer, at, at + 8)) {
        throw new MalformedUpstreamError("event stream prelude CRC mismatch");
      }
      if (total < OVERHEAD || total > MAX_MESSAGE || view.getUint32(4) > total - OVERHEAD) {
        throw new MalformedUpstreamError(`event stream message has an impossible length (${total})`);
      }
      if (buffer.length - at < total) break;
      events.push(toStreamEvent(decodeMessage(buffer.subarray(at, at + total), false)));
      at += total;
    }
    this.pending = at === buffer.length ? new Uint8Array(0) : buffer.slice(at);
    return events;
  }

  end(): StreamEvent[] {
    if (this.pending.length > 0) {
      throw new MalformedUpstreamError(`event stream ended inside a message (${this.pending.length} bytes)`);
    }
    return [];
  }
}
