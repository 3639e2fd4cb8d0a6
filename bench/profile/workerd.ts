/** CPU profiles and heap readings of one Worker's isolate, through workerd's inspector. */
import { connectCdp, workerTarget } from "./cdp.ts";
import type { CpuProfile } from "./summarize.ts";

/** Samples the isolate every `intervalUs` while `during` runs. */
export async function profileWorker(
  inspectorUrl: string,
  workerName: string,
  during: () => Promise<void>,
  intervalUs = 100,
): Promise<CpuProfile> {
  const session = await connectCdp(workerTarget(inspectorUrl, workerName));
  try {
    await session.send("Profiler.enable");
    await session.send("Profiler.setSamplingInterval", { interval: intervalUs });
    await session.send("Profiler.start");
    await during();
    const { profile } = await session.send<{ profile: CpuProfile }>("Profiler.stop");
    await session.send("Profiler.disable");
    return profile;
  } finally {
    session.close();
  }
}

export interface HeapReading {
  usedBytes: number;
  totalBytes: number;
}

/**
 * The isolate's heap after a full garbage collection. workerd's inspector does not answer
 * `HeapProfiler.collectGarbage`, but V8 collects fully before every heap snapshot, so a snapshot
 * (whose chunks are discarded) stands in for it; two in a row read the same, which shows it works.
 */
export async function heapAfterGc(inspectorUrl: string, workerName: string): Promise<HeapReading> {
  const session = await connectCdp(workerTarget(inspectorUrl, workerName));
  try {
    await session.send("HeapProfiler.enable");
    await session.send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
    const usage = await session.send<{ usedSize: number; totalSize: number }>("Runtime.getHeapUsage");
    await session.send("HeapProfiler.disable");
    return { usedBytes: usage.usedSize, totalBytes: usage.totalSize };
  } finally {
    session.close();
  }
}
