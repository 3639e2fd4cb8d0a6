/** UTC calendar arithmetic for usage periods and rate windows. Pure: every function takes `now`. */
import type { LimitReset } from "../keys/store";

const DAY = 86_400_000;
export const MINUTE = 60_000;

export function minuteStart(now: number): number {
  return now - (now % MINUTE);
}

export function dayStart(now: number): number {
  return now - (now % DAY);
}

/** Weeks start on Monday, 00:00 UTC. */
export function weekStart(now: number): number {
  const day = dayStart(now);
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday = 0
  return day - weekday * DAY;
}

export function monthStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

function nextMonthStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The usage buckets a spend at `now` is added to (all time, day, week, month). */
export function periodKeys(now: number): { all: string; day: string; week: string; month: string } {
  const iso = (t: number) => new Date(t).toISOString().slice(0, 10);
  return {
    all: "all",
    day: `day:${iso(dayStart(now))}`,
    week: `week:${iso(weekStart(now))}`,
    month: `month:${iso(monthStart(now))}`,
  };
}

/** The bucket a credit limit is measured in, and when it next resets (null: never). */
export function creditPeriod(
  reset: LimitReset | null,
  now: number,
): { key: string; resetsAt: number | null } {
  const keys = periodKeys(now);
  switch (reset) {
    case "daily":
      return { key: keys.day, resetsAt: dayStart(now) + DAY };
    case "weekly":
      return { key: keys.week, resetsAt: weekStart(now) + 7 * DAY };
    case "monthly":
      return { key: keys.month, resetsAt: nextMonthStart(now) };
    default:
      return { key: keys.all, resetsAt: null };
  }
}
