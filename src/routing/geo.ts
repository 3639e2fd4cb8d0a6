import type { ProviderRegion } from "../catalog/types";

export interface GeoPoint {
  lat: number;
  lon: number;
}

const EARTH_RADIUS_KM = 6371;
const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance in km. */
export function distanceKm(a: GeoPoint, b: GeoPoint): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Distance to the provider's nearest region; undefined when either side has no location. */
export function nearestRegionKm(
  from: GeoPoint | undefined,
  regions: ProviderRegion[] | undefined,
): number | undefined {
  if (!from || !regions || regions.length === 0) return undefined;
  let best = Number.POSITIVE_INFINITY;
  for (const region of regions) best = Math.min(best, distanceKm(from, region));
  return best;
}

/** The caller's location from `request.cf` (Cloudflare sets latitude/longitude as strings). */
export function callerLocation(cf: unknown): GeoPoint | undefined {
  const props = cf as { latitude?: unknown; longitude?: unknown } | undefined;
  const lat = Number(props?.latitude);
  const lon = Number(props?.longitude);
  if (
    props?.latitude === undefined ||
    props?.longitude === undefined ||
    !Number.isFinite(lat) ||
    !Number.isFinite(lon)
  ) {
    return undefined;
  }
  return { lat, lon };
}
