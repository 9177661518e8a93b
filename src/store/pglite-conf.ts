/**
 * PGlite's defaults size it like a server (hundreds of MB resident); a
 * gateway's tables are small, so it is kept lean.
 */
export const PGLITE_CONF = ['shared_buffers = 8MB', 'work_mem = 1MB', 'wal_buffers = 256kB', 'temp_buffers = 1MB', 'maintenance_work_mem = 4MB']
