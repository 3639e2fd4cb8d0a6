import { describe, expect, it } from "vitest";
import { CircuitBreakers, DEFAULT_CIRCUIT_OPTIONS } from "./circuit";

function breakers() {
  let now = 1_000_000;
  const circuits = new CircuitBreakers(DEFAULT_CIRCUIT_OPTIONS, () => now);
  return { circuits, advance: (ms: number) => (now += ms) };
}

describe("CircuitBreakers", () => {
  it("opens when most recent attempts failed, not before the minimum sample", () => {
    const { circuits } = breakers();
    circuits.recordFailure("e");
    circuits.recordFailure("e");
    circuits.recordFailure("e");
    expect(circuits.state("e")).toBe("closed");
    circuits.recordFailure("e");
    expect(circuits.state("e")).toBe("open");
  });
  it("stays closed while the failure ratio is below the threshold", () => {
    const { circuits } = breakers();
    for (let i = 0; i < 10; i++) {
      circuits.recordSuccess("e");
      if (i % 3 === 0) circuits.recordFailure("e");
    }
    expect(circuits.state("e")).toBe("closed");
  });
  it("forgets failures older than the window", () => {
    const { circuits, advance } = breakers();
    for (let i = 0; i < 3; i++) circuits.recordFailure("e");
    advance(DEFAULT_CIRCUIT_OPTIONS.windowMs + 1);
    circuits.recordFailure("e");
    expect(circuits.state("e")).toBe("closed");
  });
  it("half-opens after the cooldown; a successful probe closes it, a failed one re-opens for longer", () => {
    const { circuits, advance } = breakers();
    for (let i = 0; i < 4; i++) circuits.recordFailure("e");
    advance(DEFAULT_CIRCUIT_OPTIONS.cooldownMs);
    expect(circuits.state("e")).toBe("half_open");
    circuits.recordFailure("e");
    expect(circuits.state("e")).toBe("open");
    advance(DEFAULT_CIRCUIT_OPTIONS.cooldownMs);
    expect(circuits.state("e")).toBe("open");
    advance(DEFAULT_CIRCUIT_OPTIONS.cooldownMs);
    expect(circuits.state("e")).toBe("half_open");
    circuits.recordSuccess("e");
    expect(circuits.state("e")).toBe("closed");
    circuits.recordFailure("e");
    expect(circuits.state("e")).toBe("closed");
  });
  it("a long Retry-After opens the circuit for that long at once", () => {
    const { circuits, advance } = breakers();
    circuits.recordFailure("e", 30_000);
    expect(circuits.state("e")).toBe("open");
    advance(29_999);
    expect(circuits.state("e")).toBe("open");
    advance(1);
    expect(circuits.state("e")).toBe("half_open");
  });
  it("keeps memory bounded", () => {
    let now = 0;
    const circuits = new CircuitBreakers({ ...DEFAULT_CIRCUIT_OPTIONS, maxEndpoints: 3 }, () => now++);
    for (const key of ["a", "b", "c", "d"]) for (let i = 0; i < 4; i++) circuits.recordFailure(key);
    expect(circuits.state("a")).toBe("closed");
    expect(circuits.state("d")).toBe("open");
  });
});
