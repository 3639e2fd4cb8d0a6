import { describe, expect, it } from "vitest";
import { leaseSlice } from "./lease-size";
import { attoToNanos } from "./money";
import { creditPeriod, periodKeys, weekStart } from "./periods";

const at = (iso: string) => Date.parse(iso);

describe("UTC periods", () => {
  it("weeks start on Monday 00:00 UTC", () => {
    expect(new Date(weekStart(at("2026-11-22T23:59:59Z"))).toISOString()).toBe("2026-11-16T00:00:00.000Z"); // Sunday
    expect(new Date(weekStart(at("2026-11-23T00:00:00Z"))).toISOString()).toBe("2026-11-23T00:00:00.000Z"); // Monday
  });
  it("period keys name the day, week and month", () => {
    expect(periodKeys(at("2026-12-31T23:59:59Z"))).toEqual({
      all: "all",
      day: "day:2026-12-31",
      week: "week:2026-12-28",
      month: "month:2026-12-01",
    });
  });
  it("credit periods reset at the next UTC boundary", () => {
    expect(creditPeriod("daily", at("2026-11-21T10:00:00Z"))).toEqual({
      key: "day:2026-11-21",
      resetsAt: at("2026-11-22T00:00:00Z"),
    });
    expect(creditPeriod("weekly", at("2026-11-21T10:00:00Z")).resetsAt).toBe(at("2026-11-23T00:00:00Z"));
    expect(creditPeriod("monthly", at("2026-12-15T10:00:00Z")).resetsAt).toBe(at("2027-01-01T00:00:00Z"));
    expect(creditPeriod(null, at("2026-12-15T10:00:00Z"))).toEqual({ key: "all", resetsAt: null });
  });
});

describe("lease sizing", () => {
  it("takes a quarter of what remains far from the limit, exactly one request's worth near it", () => {
    expect(leaseSlice(1000, 1)).toBe(1 + Math.floor(999 / 4));
    expect(leaseSlice(7, 1)).toBe(1);
    expect(leaseSlice(0, 1)).toBe(0);
    expect(leaseSlice(70, 10)).toBe(10);
    expect(leaseSlice(800, 10)).toBe(10 + Math.floor(790 / 4));
  });
});

describe("money", () => {
  it("rounds attodollars to nano-dollars half up", () => {
    expect(attoToNanos(1_499_999_999n)).toBe(1);
    expect(attoToNanos(1_500_000_000n)).toBe(2);
  });
});
