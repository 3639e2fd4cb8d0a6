/** Number formatting for the report: one place decides units and precision. */

export const us = (value: number) =>
  Number.isFinite(value) ? `${Math.round(value).toLocaleString("en-US")} µs` : "–";
export const ms = (value: number, digits = 1) =>
  Number.isFinite(value) ? `${value.toFixed(digits)} ms` : "–";
export const int = (value: number) =>
  Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "–";
export const pct = (ratio: number) => (Number.isFinite(ratio) ? `${(ratio * 100).toFixed(0)} %` : "–");
export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;
export const signedUs = (value: number) =>
  Number.isFinite(value)
    ? `${value >= 0 ? "+" : "−"}${Math.round(Math.abs(value)).toLocaleString("en-US")} µs`
    : "–";
export const signedMs = (value: number, digits = 2) =>
  Number.isFinite(value) ? `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(digits)} ms` : "–";
export const signedKiB = (bytes: number) =>
  `${bytes >= 0 ? "+" : "−"}${(Math.abs(bytes) / 1024).toFixed(0)} KiB`;
export const verdict = (pass: boolean) => (pass ? "**pass**" : "**miss**");

export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
