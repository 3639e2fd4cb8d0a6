/**
 * The catalog served when KV holds none (and what `npm run catalog:seed` loads into local KV).
 *
 * `bundled.json` is generated; do not edit it by hand. Edit the curation in `sources/` (providers
 * with their regions, data policies and adapter quirk fields; models with the LiteLLM keys of their
 * endpoints) and run `npm run catalog:import`, which takes prices, context windows and capabilities
 * from LiteLLM's price map. A test fails when the two disagree.
 */
import bundled from "./bundled.json";
import type { CatalogDocument } from "./types";

// The JSON's inferred literal type is narrower than the document type; the test suite validates it.
export const bundledCatalog = bundled as unknown as CatalogDocument;
