import { createParser } from "eventsource-parser";
import type { StreamDecoder, StreamEvent } from "../providers/types";
import { TimeoutError } from "./upstream";

/**
 * Reads an upstream body as server-sent events, one network read at a time; or, given a
 * `StreamDecoder`, as that decoder's framing.
 */
export class SseSource {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private readonly parser;
  private events: StreamEvent[] = [];

  constructor(
    body: ReadableStream<Uint8Array>,
    private readonly frames?: StreamDecoder,
  ) {
    this.reader = body.getReader();
    this.parser = createParser({ onEvent: (event) => this.events.push(event) });
  }

  /**
   * The events completed by the next network read (possibly none), or null at the end of the body.
   * Rejects with `TimeoutError` when the upstream stays silent for `timeoutMs`.
   */
  async next(timeoutMs: number): Promise<StreamEvent[] | null> {
    let timer: number | null = null;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new TimeoutError(`upstream stream silent for ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      const { done, value } = await Promise.race([this.reader.read(), timeout]);
      if (this.frames) {
        const events = done ? this.frames.end() : this.frames.push(value);
        return done && events.length === 0 ? null : events;
      }
      if (done) {
        this.parser.feed(`${this.decoder.decode()}\n\n`);
        return this.take() ?? null;
      }
      this.parser.feed(this.decoder.decode(value, { stream: true }));
      return this.take() ?? [];
    } finally {
      clearTimeout(timer);
    }
  }

  private take(): StreamEvent[] | undefined {
    if (this.events.length === 0) return undefined;
    const out = this.events;
    this.events = [];
    return out;
  }

  cancel(reason?: unknown): void {
    this.reader.cancel(reason).catch(() => {});
  }
}
