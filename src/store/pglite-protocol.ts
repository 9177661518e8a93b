// Messages between db.ts and the PGlite worker thread (pglite-worker.ts).
export type WorkerRequest =
  | { id: number; op: 'open' }
  | { id: number; op: 'query'; sql: string; params: unknown[] | undefined }
  | { id: number; op: 'exec'; sql: string }
  | { id: number; op: 'close' }

export type WorkerReply = { id: number; rows: unknown[] } | { id: number; error: { message: string; code?: string } }
