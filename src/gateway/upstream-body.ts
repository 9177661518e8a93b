// The body an upstream gets: the client's, minus the fields that are the
// gateway's own (the guardrail policy's and the guardrail types'), at the top
// level and in `metadata`.
import { isObject, type JsonObject } from '../json.ts'

export function withoutFields<Req extends JsonObject>(req: Req, fields: readonly string[]): Req {
  let out: Req | undefined
  for (const f of fields) {
    if (f in req) {
      out ??= { ...req }
      delete out[f]
    }
  }
  // `metadata` is LiteLLM's per-request gateway metadata; OpenAI accepts it only with `store`.
  const metadata = req.metadata
  if ('metadata' in req && req.store !== true) {
    out ??= { ...req }
    delete out.metadata
  } else if (isObject(metadata) && fields.some((f) => f in metadata)) {
    // Forwarded with `store`, it must not carry the gateway's own fields: they
    // are not the upstream's business, and OpenAI rejects metadata values that
    // are not strings.
    const kept = { ...metadata }
    for (const f of fields) delete kept[f]
    out = { ...(out ?? req), metadata: kept }
  }
  return out ?? req
}
