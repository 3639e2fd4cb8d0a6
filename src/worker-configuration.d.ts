// Ties Cloudflare's ambient types to this Worker: `env` and `exports` from "cloudflare:workers".
type JunctionEnv = import("./env").Env;

declare namespace Cloudflare {
  interface Env extends JunctionEnv {}
  interface GlobalProps {
    mainModule: typeof import("./index");
    durableNamespaces: "KeyGuard" | "EndpointStats";
  }
}
