import type { TestProject } from "vitest/node";
import { startMockUpstream } from "./mock-upstream/server";

declare module "vitest" {
  export interface ProvidedContext {
    mockUpstreamPort: number;
  }
}

export default async function setup(project: TestProject) {
  const mock = await startMockUpstream();
  project.provide("mockUpstreamPort", mock.port);
  return () => mock.close();
}
