// logging_only guardrails run after the answer, off the hot path. Work goes
// through a bounded queue with a few workers: when it is full the job is
// dropped, counted and logged — a request is never slowed or blocked by it.
// Shutdown drains what is queued (up to a deadline); nothing is fire-and-forget.

export type Job = () => Promise<void>

export interface QueueEvents {
  dropped(): void
  failed(err: unknown): void
}

export class BoundedQueue {
  private readonly jobs: Job[] = []
  private readonly capacity: number
  private readonly concurrency: number
  private readonly events: QueueEvents
  private running = 0
  private idleWaiters: Array<() => void> = []

  constructor(capacity: number, concurrency: number, events: QueueEvents) {
    this.capacity = capacity
    this.concurrency = concurrency
    this.events = events
  }

  get size(): number {
    return this.jobs.length + this.running
  }

  /** false when the queue was full and the job was dropped */
  push(job: Job): boolean {
    if (this.jobs.length >= this.capacity) {
      this.events.dropped()
      return false
    }
    this.jobs.push(job)
    this.pump()
    return true
  }

  /** resolves once every queued job ran (or the deadline passed: false) */
  drain(deadlineMs: number): Promise<boolean> {
    if (this.size === 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), deadlineMs)
      this.idleWaiters.push(() => {
        clearTimeout(timer)
        resolve(true)
      })
    })
  }

  private pump(): void {
    while (this.running < this.concurrency && this.jobs.length > 0) {
      const job = this.jobs.shift() as Job
      this.running++
      // A job that throws before returning its promise (a plain function typed
      // as Job) must not throw out of push() into the request path, nor keep
      // its worker slot forever: treat it as a failed job.
      let run: Promise<void>
      try {
        run = job()
      } catch (err) {
        run = Promise.reject(err)
      }
      run
        .catch((err: unknown) => this.events.failed(err))
        .finally(() => {
          this.running--
          this.pump()
          if (this.size === 0) this.idleWaiters.splice(0).forEach((w) => w())
        })
    }
  }
}
