// Messages between db.ts and the PGlite worker thread (pglite-worker.ts).
export type WorkerCall =
  | { op: 'open' }
  | { op: 'query'; sql: string; params: unknown[] | undefined }
  | { op: 'exec'; sql: string }
  | { op: 'close' }

export type WorkerRequest = WorkerCall & { id: number }

export type WorkerReply = { id: number; rows: unknown[] } | { id: number; error: { message: string; code?: string } }
