// JSON values as the gateway handles them: bodies keep every field a client
// sent, so they are plain records, and one guard tells an object from the rest.

export type JsonObject = Record<string, unknown>

/** A JSON object: not null, not an array. */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
