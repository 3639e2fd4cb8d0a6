/**
 * `AMAZON_BEDROCK_API_KEY` holds one of two credentials:
 *
 * - `<accessKeyId>:<secretAccessKey>` or `<accessKeyId>:<secretAccessKey>:<sessionToken>`: IAM
 *   credentials, and every request is signed with SigV4;
 * - an Amazon Bedrock API key (what AWS calls `AWS_BEARER_TOKEN_BEDROCK`), sent as a Bearer token.
 *
 * AWS access keys, secrets, session tokens and Bedrock API keys never contain ":", so the colon
 * tells them apart.
 */
import { JunctionError } from "../../errors";

export type BedrockCredentials =
  | { kind: "sigv4"; accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  | { kind: "bearer"; token: string };

export function parseBedrockCredentials(secret: string | undefined): BedrockCredentials {
  if (secret === undefined || secret.trim() === "") {
    throw new JunctionError(502, "Amazon Bedrock has no credentials configured", "provider_unavailable");
  }
  const value = secret.trim();
  if (!value.includes(":")) return { kind: "bearer", token: value };
  const [accessKeyId, secretAccessKey, sessionToken, ...rest] = value.split(":");
  if (!accessKeyId || !secretAccessKey || rest.length > 0 || sessionToken === "") {
    // Never echo the secret: it is the thing that is malformed.
    throw new JunctionError(
      502,
      "Amazon Bedrock credentials must be <accessKeyId>:<secretAccessKey>[:<sessionToken>] or a Bedrock API key",
      "provider_unavailable",
    );
  }
  return sessionToken === undefined
    ? { kind: "sigv4", accessKeyId, secretAccessKey }
    : { kind: "sigv4", accessKeyId, secretAccessKey, sessionToken };
}

/** The region to sign for: the provider's `aws_region`, else the one in a bedrock-runtime host name. */
export function bedrockRegion(awsRegion: unknown, baseUrl: string): string {
  if (typeof awsRegion === "string" && awsRegion !== "") return awsRegion;
  const match = /bedrock-runtime(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com/.exec(baseUrl);
  return match?.[1] ?? "us-east-1";
}
