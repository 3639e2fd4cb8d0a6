/**
 * The floor: a Worker that forwards the request (method, headers, body) to the upstream's chat
 * completions URL and returns the upstream's response as it streams in. Nothing else — no parsing,
 * no auth, no routing — so whatever Junction takes beyond this is Junction's own cost.
 *
 * Typed against the web-standard Request/Response only, so it checks under the Node project too.
 */
interface BaselineEnv {
  UPSTREAM_URL: string;
}

export default {
  fetch(request: Request, env: BaselineEnv): Promise<Response> {
    return fetch(new Request(env.UPSTREAM_URL, request));
  },
};
